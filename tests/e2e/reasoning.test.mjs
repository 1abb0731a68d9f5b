// A reasoning model's wire format: with a template whose generation prompt opens <think>
// (as DeepSeek-R1's and QwQ's do), the output up to </think> is `reasoning_content`, counted in
// usage.completion_tokens_details.reasoning_tokens, streamed as reasoning_content deltas. And a
// next turn whose history drops that reasoning reuses the KV blocks up to where they diverge.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { modelDir } from './helpers.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
let server;
let baseURL;
let client;

before(async () => {
  server = spawn(process.env.JUNCTION_BIN, [
    'serve', '--model', modelDir, '--host', '127.0.0.1', '--port', '0', '--threads', '2',
    '--ctx-size', '1024', '--parallel', '2', '--served-model-name', 'thinker',
    // f32 KV cache: the pinned answers and the fixture's references were made with one.
    '--cache-type-k', 'f32', '--cache-type-v', 'f32',
    '--chat-template', path.join(here, 'data', 'think_template.jinja'),
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  baseURL = await new Promise((resolve, reject) => {
    let log = '';
    const onData = (d) => {
      log += d;
      const m = log.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) resolve(m[1]);
    };
    server.stdout.on('data', onData);
    server.stderr.on('data', onData);
    server.on('exit', (code) => reject(new Error(`server exited ${code}: ${log}`)));
  });
  client = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: 'none', maxRetries: 0 });
});

after(() => server?.kill('SIGTERM'));

const question = [{ role: 'user', content: 'Explain, step by step, why the sky looks blue during the day and red at sunset, and what Rayleigh scattering has to do with it.' }];

test('output inside <think> is reasoning_content and counted as reasoning tokens', async () => {
  const r = await client.chat.completions.create({
    model: 'thinker', messages: question, temperature: 0, max_tokens: 8, ignore_eos: true,
  });
  const m = r.choices[0].message;
  assert.ok(m.reasoning_content.length > 0, 'reasoning_content is filled');
  assert.ok(!m.content, `no answer content yet, got ${JSON.stringify(m.content)}`);
  assert.equal(r.usage.completion_tokens, 8);
  assert.equal(r.usage.completion_tokens_details.reasoning_tokens, 8);

  const stream = await client.chat.completions.create({
    model: 'thinker', messages: question, temperature: 0, max_tokens: 8, ignore_eos: true,
    stream: true, stream_options: { include_usage: true },
  });
  let reasoning = '';
  let content = '';
  let usage = null;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      reasoning += c.delta.reasoning_content ?? '';
      content += c.delta.content ?? '';
    }
  }
  assert.equal(reasoning, m.reasoning_content);
  assert.equal(content, '');
  assert.equal(usage.completion_tokens_details.reasoning_tokens, 8);
});

async function tokenize(messages) {
  const res = await fetch(`${baseURL}/tokenize`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'thinker', messages, add_generation_prompt: true }),
  });
  assert.equal(res.status, 200);
  return (await res.json()).tokens;
}

test('the next turn, with the reasoning dropped from history, reuses blocks up to the divergence', async () => {
  const first = await client.chat.completions.create({
    model: 'thinker', messages: question, temperature: 0, max_tokens: 4, ignore_eos: true,
  });
  const second = [...question, { role: 'assistant', content: 'Because of scattering.' },
    { role: 'user', content: 'And at night?' }];
  const r = await client.chat.completions.create({
    model: 'thinker', messages: second, temperature: 0, max_tokens: 2, ignore_eos: true,
  });
  const a = await tokenize(question);
  const b = await tokenize(second);
  assert.equal(r.usage.prompt_tokens, b.length);
  let common = 0;
  while (common < a.length && a[common] === b[common]) common++;
  // Blocks of 16 tokens are shared whole; the previous turn computed its prompt and answer.
  const computed = a.length + first.usage.completion_tokens - 1;
  const want = Math.floor(Math.min(common, computed, b.length - 1) / 16) * 16;
  assert.ok(want >= 16, `the test prompt shares at least one block (common ${common})`);
  assert.equal(r.usage.prompt_tokens_details.cached_tokens, want);
});

test('Anthropic Messages: reasoning is a thinking block, streamed as thinking_delta', async () => {
  const chat = await client.chat.completions.create({
    model: 'thinker', messages: question, temperature: 0, max_tokens: 8,
  });
  const reasoning = chat.choices[0].message.reasoning_content;
  assert.ok(reasoning.length > 0);
  const anthropic = new Anthropic({ baseURL, apiKey: 'none', maxRetries: 0 });
  const body = {
    model: 'thinker', messages: question, temperature: 0, max_tokens: 8,
    thinking: { type: 'enabled', budget_tokens: 1024 },
  };
  const m = await anthropic.messages.create(body);
  assert.equal(m.content[0].type, 'thinking');
  assert.equal(m.content[0].thinking, reasoning);
  assert.equal(m.usage.output_tokens, chat.usage.completion_tokens);
  assert.equal(m.usage.input_tokens + m.usage.cache_read_input_tokens, chat.usage.prompt_tokens);

  const stream = anthropic.messages.stream(body);
  let thinking = '';
  stream.on('thinking', (delta) => { thinking += delta; });
  const final = await stream.finalMessage();
  assert.equal(thinking, reasoning);
  assert.deepEqual(final.content, m.content);
  assert.equal(final.usage.output_tokens, m.usage.output_tokens);
  // A later turn may send the thinking block back (it becomes the message's reasoning).
  const next = await anthropic.messages.create({
    ...body, max_tokens: 2,
    messages: [...question, { role: 'assistant', content: m.content }, { role: 'user', content: 'Go on.' }],
  });
  assert.ok(next.usage.output_tokens >= 1);
});

test('OpenAI Responses: reasoning is a reasoning item, streamed as reasoning_text deltas', async () => {
  const chat = await client.chat.completions.create({
    model: 'thinker', messages: question, temperature: 0, max_tokens: 8,
  });
  const body = { model: 'thinker', input: question[0].content, temperature: 0, max_output_tokens: 8 };
  const r = await client.responses.create(body);
  assert.equal(r.output[0].type, 'reasoning');
  assert.equal(r.output[0].content[0].text, chat.choices[0].message.reasoning_content);
  assert.equal(r.usage.output_tokens, chat.usage.completion_tokens);
  assert.equal(r.usage.output_tokens_details.reasoning_tokens,
    chat.usage.completion_tokens_details.reasoning_tokens);
  let streamed = '';
  const stream = client.responses.stream(body);
  stream.on('response.reasoning_text.delta', (e) => { streamed += e.delta; });
  const final = await stream.finalResponse();
  assert.equal(streamed, r.output[0].content[0].text);
  assert.deepEqual(final.output[0].content, r.output[0].content);
});
