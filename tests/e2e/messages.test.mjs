// The official @anthropic-ai/sdk against junction serve's Anthropic Messages API
// (/v1/messages, /v1/messages/count_tokens; run_e2e.sh starts the server): messages.create and
// messages.stream give the fixture's greedy reference (made with Hugging Face transformers), the
// usage counts the reference's prompt and generated tokens, a forced tool call round-trips, and
// errors arrive as the SDK's typed errors in Anthropic's error shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { url, apiKey, model, chatRefs } from './helpers.mjs';

// The SDK sends the key as x-api-key and posts to `${baseURL}/v1/messages`.
const anthropic = new Anthropic({ baseURL: url, apiKey, maxRetries: 0, timeout: 120000 });
const ref = chatRefs[0];
const weather = {
  name: 'get_weather', description: 'Weather in a city',
  // A bounded location: the fixture's random weights would otherwise ramble inside a string.
  input_schema: { type: 'object', properties: { location: { type: 'string', enum: ['Paris', 'Rome'] } }, required: ['location'] },
};

// Anthropic counts cache reads apart from input_tokens; together they are the prompt.
const promptTokens = (u) => u.input_tokens + (u.cache_read_input_tokens ?? 0);

test('messages.create: the greedy reference, stop_reason and usage', async () => {
  const m = await anthropic.messages.create({
    model, max_tokens: ref.greedy_ids.length, temperature: 0, messages: ref.messages,
  });
  assert.equal(m.type, 'message');
  assert.equal(m.role, 'assistant');
  assert.equal(m.model, model);
  assert.match(m.id, /^msg_/);
  assert.deepEqual(m.content, [{ type: 'text', text: ref.greedy_text }]);
  assert.equal(m.stop_reason, 'max_tokens');
  assert.equal(promptTokens(m.usage), ref.prompt_ids.length);
  assert.equal(m.usage.output_tokens, ref.greedy_ids.length);
});

test('messages.count_tokens equals the reference prompt', async () => {
  const r = await anthropic.messages.countTokens({ model, messages: ref.messages });
  assert.deepEqual(r, { input_tokens: ref.prompt_ids.length });
  const sys = chatRefs[1];  // a system message is Anthropic's `system`
  const r2 = await anthropic.messages.countTokens({
    model, system: sys.messages[0].content, messages: sys.messages.slice(1),
  });
  assert.equal(r2.input_tokens, sys.prompt_ids.length);
});

test('messages.stream: the documented event flow, the same text and usage', async () => {
  const stream = anthropic.messages.stream({
    model, max_tokens: ref.greedy_ids.length, temperature: 0, messages: ref.messages,
  });
  const types = [];
  stream.on('streamEvent', (e) => types.push(e.type));
  const m = await stream.finalMessage();
  assert.equal(types[0], 'message_start');
  assert.equal(types[1], 'content_block_start');
  assert.deepEqual(types.slice(-3), ['content_block_stop', 'message_delta', 'message_stop']);
  assert.deepEqual(m.content, [{ type: 'text', text: ref.greedy_text }]);
  assert.equal(m.stop_reason, 'max_tokens');
  assert.equal(promptTokens(m.usage), ref.prompt_ids.length);
  assert.equal(m.usage.output_tokens, ref.greedy_ids.length);
});

test('a forced tool call round-trips: tool_use, then a tool_result turn', async () => {
  const question = [{ role: 'user', content: 'What is the weather in Paris?' }];
  const first = await anthropic.messages.create({
    model, max_tokens: 48, temperature: 0, tools: [weather],
    tool_choice: { type: 'tool', name: 'get_weather' }, messages: question,
  });
  assert.equal(first.stop_reason, 'tool_use');
  const call = first.content.find((b) => b.type === 'tool_use');
  assert.ok(call, JSON.stringify(first.content));
  assert.equal(call.name, 'get_weather');
  assert.ok(['Paris', 'Rome'].includes(call.input.location), JSON.stringify(call.input));  // the schema constrained the output

  // Streamed, the SDK accumulates the same call from input_json_delta events.
  const streamed = await anthropic.messages.stream({
    model, max_tokens: 48, temperature: 0, tools: [weather],
    tool_choice: { type: 'tool', name: 'get_weather' }, messages: question,
  }).finalMessage();
  const scall = streamed.content.find((b) => b.type === 'tool_use');
  assert.deepEqual(scall.input, call.input);
  assert.equal(streamed.usage.output_tokens, first.usage.output_tokens);

  const next = {
    model, max_tokens: 4, temperature: 0, tools: [weather],
    messages: [...question, { role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '21 degrees' }] }],
  };
  const second = await anthropic.messages.create(next);
  assert.ok(second.usage.output_tokens >= 1 && second.usage.output_tokens <= 4);
  const { input_tokens } = await anthropic.messages.countTokens({
    model, tools: next.tools, messages: next.messages,
  });
  assert.equal(promptTokens(second.usage), input_tokens);
});

test('errors are the SDK typed errors, in Anthropic error shape', async () => {
  const stranger = new Anthropic({ baseURL: url, apiKey: 'wrong', maxRetries: 0 });
  await assert.rejects(stranger.messages.create({ model, max_tokens: 4, messages: ref.messages }),
    (e) => e instanceof Anthropic.AuthenticationError && e.error?.type === 'error' &&
      e.error.error.type === 'authentication_error');
  await assert.rejects(anthropic.messages.create({ model: 'nope', max_tokens: 4, messages: ref.messages }),
    (e) => e instanceof Anthropic.NotFoundError && e.error.error.type === 'not_found_error');
  await assert.rejects(anthropic.messages.create({ model, max_tokens: 4, messages: [] }),
    (e) => e instanceof Anthropic.BadRequestError && e.error.error.type === 'invalid_request_error');
  const res = await fetch(`${url}/v1/messages`, {
    method: 'POST', headers: { 'x-api-key': apiKey, 'content-type': 'application/json' }, body: '{"model":',
  });
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error.type, 'invalid_request_error');
});
