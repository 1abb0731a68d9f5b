// The OpenAI-compatible API of the server that served this page (same origin: the CSP allows
// no other).
import { createSseParser } from './sse.js';

function headers(apiKey) {
  const h = { 'content-type': 'application/json' };
  if (apiKey) h.authorization = `Bearer ${apiKey}`;
  return h;
}

async function errorOf(res) {
  const text = await res.text();
  try {
    const message = JSON.parse(text).error?.message;
    if (message) return new Error(`${res.status}: ${message}`);
  } catch { /* not JSON */ }
  return new Error(`${res.status} ${res.statusText}`);
}

/** The models /v1/models lists, as the server sent them (the gateway's with its catalogue). */
export async function listModels(apiKey) {
  const res = await fetch('/v1/models', { headers: headers(apiKey) });
  if (!res.ok) throw await errorOf(res);
  const data = (await res.json()).data;
  return Array.isArray(data) ? data.filter((m) => m && typeof m.id === 'string') : [];
}

/**
 * A JSON call to this server (the admin API, the reports listing): the parsed body, or an
 * Error carrying the status (`e.status`) and the server's message.
 */
export async function callJson(path, { apiKey, method = 'GET', body, headers: extra } = {}) {
  const init = { method, headers: { ...headers(apiKey), ...extra } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(path, init);
  if (!res.ok) {
    const e = await errorOf(res);
    e.status = res.status;
    throw e;
  }
  return res.json();
}

// Streams a chat completion; onChunk gets each parsed chunk. Resolves when the stream ends,
// rejects with an AbortError when `signal` aborts (the server cancels on the disconnect).
export async function streamChat(body, { apiKey, signal, onChunk }) {
  const res = await fetch('/v1/chat/completions', {
    method: 'POST',
    headers: headers(apiKey),
    body: JSON.stringify({ ...body, stream: true }),
    signal,
  });
  if (!res.ok) throw await errorOf(res);
  let failure = null;
  const parser = createSseParser((data) => {
    if (data === '[DONE]' || failure) return;
    let chunk;
    try {
      chunk = JSON.parse(data);
    } catch {
      failure = new Error('The server sent an event that is not JSON.');
      return;
    }
    if (chunk.error) failure = new Error(chunk.error.message ?? 'The server reported an error.');
    else onChunk(chunk);
  });
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parser.feed(value);
    if (failure) break;
  }
  parser.end();
  if (failure) throw failure;
}
