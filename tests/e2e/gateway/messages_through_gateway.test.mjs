// The official @anthropic-ai/sdk through the gateway's /v1/messages (run_gateway_e2e.sh starts
// it): a junction engine behind model "tiny", recorded Anthropic Messages answers behind the
// claude* models (skipped when nginx is missing). The answer must be the fixture's greedy
// reference or the recording again, the usage its token counts, and the key's balance must
// drop by exactly those tokens at the model's prices (read back with the admin audit).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';

const url = process.env.GATEWAY_URL;
const admin = process.env.GATEWAY_ADMIN_KEY;
const anthropicUp = process.env.GATEWAY_ANTHROPIC === '1';
const chatRefs = JSON.parse(
  fs.readFileSync(path.join(process.env.JUNCTION_MODEL_DIR, 'chat_refs.json'), 'utf8'));
const ref = chatRefs[0];

const created = await (await fetch(`${url}/admin/keys`, {
  method: 'POST',
  headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
  body: JSON.stringify({ name: 'e2e-messages', credits: 10 }),
})).json();
// The SDK sends the key as x-api-key.
const client = new Anthropic({ baseURL: url, apiKey: created.key, maxRetries: 0, timeout: 120000 });

async function balanceNano() {
  const res = await fetch(`${url}/admin/audit`, { headers: { authorization: `Bearer ${admin}` } });
  const audit = await res.json();
  const row = audit.data.find((k) => k.key_id === created.id);
  assert.ok(row.ok, JSON.stringify(row));
  assert.equal(row.open_reservations, 0);
  return row.balance_nano;
}

// nano-USD for a Messages usage at per-million-token prices (cache reads at `cached`).
function costNano(u, { input, output, cached = input }) {
  return u.input_tokens * input * 1000 + (u.cache_read_input_tokens ?? 0) * cached * 1000 +
    u.output_tokens * output * 1000;
}
const tinyPrice = { input: 1, output: 2 };
const claudePrice = { input: 3, output: 15, cached: 0.3 };

test('engine behind the gateway: messages.create gives the reference, charged exactly', async () => {
  const before = await balanceNano();
  const m = await client.messages.create({
    model: 'tiny', max_tokens: ref.greedy_ids.length, temperature: 0, messages: ref.messages,
  });
  assert.equal(m.model, 'tiny');
  assert.deepEqual(m.content, [{ type: 'text', text: ref.greedy_text }]);
  assert.equal(m.stop_reason, 'max_tokens');
  assert.equal(m.usage.input_tokens + m.usage.cache_read_input_tokens, ref.prompt_ids.length);
  assert.equal(m.usage.output_tokens, ref.greedy_ids.length);
  assert.equal(before - await balanceNano(), costNano(m.usage, tinyPrice));
  assert.equal(costNano(m.usage, tinyPrice), ref.prompt_ids.length * 1000 + ref.greedy_ids.length * 2000);
});

test('engine behind the gateway: messages.stream, same text, usage and charge', async () => {
  const before = await balanceNano();
  const stream = client.messages.stream({
    model: 'tiny', max_tokens: ref.greedy_ids.length, temperature: 0, messages: ref.messages,
  });
  const m = await stream.finalMessage();
  assert.deepEqual(m.content, [{ type: 'text', text: ref.greedy_text }]);
  assert.equal(m.stop_reason, 'max_tokens');
  assert.equal(m.usage.input_tokens + m.usage.cache_read_input_tokens, ref.prompt_ids.length);
  assert.equal(m.usage.output_tokens, ref.greedy_ids.length);
  assert.equal(before - await balanceNano(), ref.prompt_ids.length * 1000 + ref.greedy_ids.length * 2000);
});

test('engine behind the gateway: a forced tool call and its result', async () => {
  const tools = [{ name: 'get_weather', description: 'Weather in a city',
    input_schema: { type: 'object', properties: { location: { type: 'string', enum: ['Paris', 'Rome'] } }, required: ['location'] } }];
  const question = [{ role: 'user', content: 'Weather in Paris?' }];
  const before = await balanceNano();
  const first = await client.messages.create({
    model: 'tiny', max_tokens: 48, temperature: 0, tools, tool_choice: { type: 'tool', name: 'get_weather' },
    messages: question,
  });
  const call = first.content.find((b) => b.type === 'tool_use');
  assert.equal(first.stop_reason, 'tool_use');
  assert.ok(['Paris', 'Rome'].includes(call.input.location), JSON.stringify(call.input));
  const second = await client.messages.create({
    model: 'tiny', max_tokens: 4, temperature: 0, tools,
    messages: [...question, { role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '21 degrees' }] }],
  });
  assert.ok(second.usage.output_tokens >= 1);
  assert.equal(before - await balanceNano(),
    costNano(first.usage, tinyPrice) + costNano(second.usage, tinyPrice));
});

test('count_tokens through the gateway is the engine\'s count, and free', async () => {
  const before = await balanceNano();
  const r = await client.messages.countTokens({ model: 'tiny', messages: ref.messages });
  assert.deepEqual(r, { input_tokens: ref.prompt_ids.length });
  assert.equal(await balanceNano(), before);
  await assert.rejects(client.messages.countTokens({ model: 'no-such-model', messages: ref.messages }),
    (e) => e instanceof Anthropic.NotFoundError);
});

test('errors through the gateway are the SDK typed errors', async () => {
  const stranger = new Anthropic({ baseURL: url, apiKey: 'sk-jn-nope', maxRetries: 0 });
  await assert.rejects(stranger.messages.create({ model: 'tiny', max_tokens: 4, messages: ref.messages }),
    (e) => e instanceof Anthropic.AuthenticationError && e.error.type === 'error' &&
      e.error.error.type === 'authentication_error');
  await assert.rejects(client.messages.create({ model: 'no-such-model', max_tokens: 4, messages: ref.messages }),
    (e) => e instanceof Anthropic.NotFoundError && e.error.type === 'error');
  await assert.rejects(client.messages.create({ model: 'tiny', messages: ref.messages }),
    (e) => e instanceof Anthropic.BadRequestError && e.error.error.type === 'invalid_request_error');
});

test('Anthropic upstream: the recorded message again, usage and charge', { skip: !anthropicUp && 'nginx missing' }, async () => {
  const before = await balanceNano();
  const m = await client.messages.create({
    model: 'claude', max_tokens: 64, system: 'Be brief.', messages: [{ role: 'user', content: 'Hello' }],
  });
  assert.deepEqual(m.content, [{ type: 'text', text: 'Hello! How can I help you today?' }]);
  assert.equal(m.stop_reason, 'end_turn');
  // The recording: 12 input + 8 cache-read tokens, 10 output.
  assert.deepEqual(m.usage, { input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 8, output_tokens: 10 });
  assert.equal(before - await balanceNano(), 188400);  // 12 x $3/M + 8 x $0.3/M + 10 x $15/M
});

test('Anthropic upstream streamed: the SDK rebuilds the recorded tool call', { skip: !anthropicUp && 'nginx missing' }, async () => {
  const before = await balanceNano();
  const m = await client.messages.stream({
    model: 'claude-tools-sse', max_tokens: 1024,
    tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { location: { type: 'string' } } } }],
    messages: [{ role: 'user', content: 'What is the weather like in San Francisco?' }],
  }).finalMessage();
  assert.equal(m.stop_reason, 'tool_use');
  assert.deepEqual(m.content, [
    { type: 'text', text: "Okay, let's check the weather for San Francisco, CA:" },
    { type: 'tool_use', id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather',
      input: { location: 'San Francisco, CA', unit: 'fahrenheit' } }]);
  assert.equal(m.usage.input_tokens, 472);
  assert.equal(m.usage.output_tokens, 89);
  assert.equal(before - await balanceNano(), costNano(m.usage, claudePrice));
  assert.equal(costNano(m.usage, claudePrice), 472 * 3000 + 89 * 15000);
});
