import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client, model, refs, raw, idsOf } from './helpers.mjs';

const ref = refs.prompts[0];

test('token-id prompt gives the fixture greedy tokens', async () => {
  const r = await client.completions.create({
    model, prompt: ref.ids, max_tokens: ref.greedy.length, temperature: 0, ignore_eos: true,
    logprobs: 1, return_tokens_as_token_ids: true,
  });
  assert.deepEqual(idsOf(r.choices[0].logprobs), ref.greedy);
  assert.equal(r.usage.completion_tokens, ref.greedy.length);
  assert.equal(r.usage.prompt_tokens, ref.ids.length);
});

test('echo + logprobs + max_tokens 0 scores the prompt', async () => {
  const r = await client.completions.create({
    model, prompt: ref.ids, max_tokens: 0, echo: true, logprobs: 2, return_tokens_as_token_ids: true,
  });
  const lp = r.choices[0].logprobs;
  assert.deepEqual(idsOf(lp), ref.ids);
  assert.equal(lp.token_logprobs[0], null);
  for (const x of lp.token_logprobs.slice(1)) assert.ok(x < 0);
  assert.equal(r.usage.completion_tokens, 0);
});

test('streaming echo carries the prompt logprobs in its first chunk, as non-streaming does', async () => {
  const body = { model, prompt: ref.ids, max_tokens: 3, echo: true, logprobs: 2, temperature: 0, ignore_eos: true, return_tokens_as_token_ids: true };
  const whole = await client.completions.create(body);
  const stream = await client.completions.create({ ...body, stream: true });
  const tokens = [];
  const logprobs = [];
  let first = null;
  for await (const c of stream) {
    const ch = c.choices[0];
    if (!ch?.logprobs) continue;
    first ??= ch;
    tokens.push(...ch.logprobs.tokens);
    logprobs.push(...ch.logprobs.token_logprobs);
  }
  assert.deepEqual(idsOf(first.logprobs), ref.ids, 'the first chunk is the echoed prompt');
  const want = whole.choices[0].logprobs;
  assert.deepEqual(tokens, want.tokens);
  assert.equal(logprobs[0], null);
  logprobs.slice(1).forEach((x, k) => assert.ok(Math.abs(x - want.token_logprobs[k + 1]) < 1e-4));
});

test('8 concurrent requests of different lengths match their sequential results', async () => {
  const prompts = Array.from({ length: 8 }, (_, i) => ref.ids.concat(ref.greedy.slice(0, i)).concat(Array(i * 5).fill(100 + i)));
  const one = (prompt, n) => client.completions.create({
    model, prompt, max_tokens: n, temperature: 0, ignore_eos: true, logprobs: 0, return_tokens_as_token_ids: true,
  });
  const sequential = [];
  for (let i = 0; i < 8; i++) sequential.push(await one(prompts[i], 4 + i));
  const together = await Promise.all(prompts.map((p, i) => one(p, 4 + i)));
  for (let i = 0; i < 8; i++) {
    assert.deepEqual(idsOf(together[i].choices[0].logprobs), idsOf(sequential[i].choices[0].logprobs));
    const a = together[i].choices[0].logprobs.token_logprobs;
    const b = sequential[i].choices[0].logprobs.token_logprobs;
    a.forEach((x, k) => assert.ok(Math.abs(x - b[k]) < 1e-3));
  }
});

test('text prompts, lists of prompts, and streaming', async () => {
  const r = await client.completions.create({ model, prompt: ['Hello', 'World'], max_tokens: 3, n: 2, seed: 1 });
  assert.equal(r.choices.length, 4);
  assert.equal(r.usage.completion_tokens, 12);
  const stream = await client.completions.create({ model, prompt: 'Hello', max_tokens: 5, temperature: 0, ignore_eos: true, stream: true });
  let text = '';
  for await (const c of stream) text += c.choices[0]?.text ?? '';
  const whole = await client.completions.create({ model, prompt: 'Hello', max_tokens: 5, temperature: 0, ignore_eos: true });
  assert.equal(text, whole.choices[0].text);
});

test('context: too long is a 400, max_tokens past it is clipped with finish length', async () => {
  const long = Array(600).fill(100);
  const e = await raw('/v1/completions', JSON.stringify({ model, prompt: long, max_tokens: 1 }));
  assert.equal(e.status, 400);
  assert.equal(e.json.error.code, 'context_length_exceeded');
  const r = await client.completions.create({ model, prompt: Array(500).fill(100), max_tokens: 100, ignore_eos: true });
  assert.equal(r.usage.completion_tokens, 12);
  assert.equal(r.choices[0].finish_reason, 'length');
});

test('tokenize / detokenize round trip, metrics', async () => {
  const t = await raw('/tokenize', JSON.stringify({ prompt: 'Hello world' }));
  assert.equal(t.status, 200);
  assert.equal(t.json.count, t.json.tokens.length);
  assert.equal(t.json.max_model_len, 512);
  const d = await raw('/detokenize', JSON.stringify({ tokens: t.json.tokens }));
  assert.equal(d.json.prompt, 'Hello world');
  const m = await raw('/metrics', undefined, { method: 'GET' });
  assert.match(m.text, /vllm:num_requests_running/);
  assert.match(m.text, /vllm:generation_tokens_total\{model_name="e2e-model"\} [1-9]/);
  assert.match(m.text, /vllm:time_to_first_token_seconds_bucket/);
});
