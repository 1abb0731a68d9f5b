import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { client, model, raw, url, metric } from './helpers.mjs';

const chat = (body) => raw('/v1/chat/completions', typeof body === 'string' ? body : JSON.stringify(body));
const msg = [{ role: 'user', content: 'hi' }];

function assertError(r, status, param) {
  assert.equal(r.status, status, r.text);
  assert.equal(typeof r.json.error.message, 'string');
  assert.ok('type' in r.json.error && 'param' in r.json.error && 'code' in r.json.error);
  if (param !== undefined) assert.equal(r.json.error.param, param);
}

test('every bad-input class gets the right 4xx and the server keeps serving', async () => {
  assertError(await chat('{"model":'), 400);
  assertError(await chat('[]'), 400);
  assertError(await chat({ model, messages: msg, temperature: 'hot' }), 400, 'temperature');
  assertError(await chat({ model, messages: msg, max_tokens: -1 }), 400, 'max_tokens');
  assertError(await chat({ model, messages: [] }), 400, 'messages');
  assertError(await chat({ model, messages: msg, n: 1000 }), 400, 'n');
  assertError(await raw('/v1/completions', JSON.stringify({ model, prompt: 'x', logprobs: 21 })), 400, 'logprobs');
  assertError(await chat({ model: 'nope', messages: msg }), 404, 'model');
  assertError(await raw('/v1/chat/completions', Buffer.from('{"model":"e2e-model","messages":[{"role":"user","content":"\xff\xfe"}]}', 'latin1')), 400);
  assertError(await raw('/v1/chat/completions', 'x'.repeat(2 << 20)), 413);
  assertError(await raw('/v1/nothing', '{}'), 404);
  assertError(await raw('/v1/chat/completions', undefined, { method: 'GET' }), 405);
  const bad = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'wrong', maxRetries: 0 });
  await assert.rejects(bad.models.list(), (e) => e.status === 401);
  await assert.rejects(client.chat.completions.create({ model, messages: [] }), (e) => e.status === 400);
  const ok = await client.chat.completions.create({ model, messages: msg, max_tokens: 2 });
  assert.equal(ok.usage.completion_tokens <= 2, true);
  assert.equal((await raw('/health', undefined, { method: 'GET' })).status, 200);
});

test('a client that disconnects mid-stream cancels its sequence', async () => {
  const controller = new AbortController();
  const stream = await client.chat.completions.create(
    { model, messages: msg, max_tokens: 400, ignore_eos: true, stream: true }, { signal: controller.signal });
  let chunks = 0;
  try {
    for await (const _ of stream) if (++chunks === 3) controller.abort();
  } catch { /* aborted */ }
  let running = NaN;
  for (let i = 0; i < 50; i++) {
    running = await metric('vllm:num_requests_running');
    if (running === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(running, 0);
});

test('overload: a full queue answers 429 with Retry-After', async () => {
  const body = JSON.stringify({ model, prompt: Array(100).fill(100), max_tokens: 60, ignore_eos: true });
  const results = await Promise.all(Array.from({ length: 40 }, () => raw('/v1/completions', body)));
  const limited = results.filter((r) => r.status === 429);
  assert.ok(limited.length > 0, 'some requests should be rejected');
  assert.ok(results.some((r) => r.status === 200));
  for (const r of limited) {
    assert.equal(r.headers.get('retry-after'), '1');
    assert.equal(r.json.error.type, 'rate_limit_error');
  }
  for (const r of results.filter((x) => x.status === 200)) assert.equal(r.json.usage.completion_tokens, 60);
});
