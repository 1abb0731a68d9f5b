// Shared setup: clients for the server run_e2e.sh started, the fixture's references, raw HTTP.
import OpenAI from 'openai';
import fs from 'node:fs';
import path from 'node:path';

export const url = process.env.JUNCTION_URL ?? 'http://127.0.0.1:8080';
export const modelDir = process.env.JUNCTION_MODEL_DIR;
export const model = 'e2e-model';
export const apiKey = 'e2e-key';
export const client = new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0, timeout: 120000 });
export const chatRefs = JSON.parse(fs.readFileSync(path.join(modelDir, 'chat_refs.json'), 'utf8'));
export const refs = JSON.parse(fs.readFileSync(path.join(modelDir, 'refs.json'), 'utf8'));

export async function raw(route, body, { method = 'POST', headers = {} } = {}) {
  const res = await fetch(`${url}${route}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, text, json };
}

export async function metric(name) {
  const { text } = await raw('/metrics', undefined, { method: 'GET' });
  const line = text.split('\n').find((l) => l.startsWith(name + '{'));
  return line ? Number(line.split(' ').pop()) : NaN;
}

export function idsOf(logprobs) {
  return logprobs.tokens.map((t) => Number(t.replace('token_id:', '')));
}
