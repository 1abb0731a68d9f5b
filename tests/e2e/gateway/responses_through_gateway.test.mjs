// The official openai npm client's Responses API through the gateway (run_gateway_e2e.sh starts
// it): to the engine behind "tiny" and to the recorded Anthropic answers behind claude* (skipped
// when nginx is missing). The answer must be the fixture's greedy reference or the recording,
// the usage its token counts, and the key's balance must drop by exactly those tokens at the
// model's prices (admin audit); previous_response_id continues a key's own responses only, on
// either of two gateways sharing one database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';

const url = process.env.GATEWAY_URL;
// A second gateway on the same database (run_gateway_e2e.sh starts it).
const url2 = process.env.GATEWAY2_URL;
const admin = process.env.GATEWAY_ADMIN_KEY;
const anthropicUp = process.env.GATEWAY_ANTHROPIC === '1';
const chatRefs = JSON.parse(
  fs.readFileSync(path.join(process.env.JUNCTION_MODEL_DIR, 'chat_refs.json'), 'utf8'));
const ref = chatRefs[0];

async function newKey() {
  const res = await fetch(`${url}/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'e2e-responses', credits: 10 }),
  });
  return res.json();
}
const created = await newKey();
const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: created.key, maxRetries: 0, timeout: 120000 });

async function balanceNano() {
  const res = await fetch(`${url}/admin/audit`, { headers: { authorization: `Bearer ${admin}` } });
  const row = (await res.json()).data.find((k) => k.key_id === created.id);
  assert.ok(row.ok, JSON.stringify(row));
  assert.equal(row.open_reservations, 0);
  return row.balance_nano;
}
// nano-USD at per-million-token prices; the Responses usage counts cached tokens in input_tokens.
function costNano(u, { input, output, cached = input }) {
  const c = u.input_tokens_details?.cached_tokens ?? 0;
  return (u.input_tokens - c) * input * 1000 + c * cached * 1000 + u.output_tokens * output * 1000;
}
const tinyPrice = { input: 1, output: 2 };

test('engine behind the gateway: responses.create gives the reference, charged exactly', async () => {
  const before = await balanceNano();
  const r = await client.responses.create({
    model: 'tiny', input: ref.messages[0].content, max_output_tokens: ref.greedy_ids.length, temperature: 0,
  });
  assert.equal(r.model, 'tiny');
  assert.equal(r.output_text, ref.greedy_text);
  assert.equal(r.usage.input_tokens, ref.prompt_ids.length);
  assert.equal(r.usage.output_tokens, ref.greedy_ids.length);
  assert.equal(before - await balanceNano(), ref.prompt_ids.length * 1000 + ref.greedy_ids.length * 2000);
});

test('engine behind the gateway: streamed, same text, usage and charge', async () => {
  const before = await balanceNano();
  const final = await client.responses.stream({
    model: 'tiny', input: ref.messages[0].content, max_output_tokens: ref.greedy_ids.length, temperature: 0,
  }).finalResponse();
  assert.equal(final.output_text, ref.greedy_text);
  assert.equal(final.status, 'incomplete');
  assert.equal(final.usage.input_tokens, ref.prompt_ids.length);
  assert.equal(final.usage.output_tokens, ref.greedy_ids.length);
  assert.equal(before - await balanceNano(), ref.prompt_ids.length * 1000 + ref.greedy_ids.length * 2000);
});

test('engine behind the gateway: a function call round trip with previous_response_id', async () => {
  const tools = [{ type: 'function', name: 'get_weather', strict: true,
    parameters: { type: 'object', properties: { location: { type: 'string', enum: ['Paris', 'Rome'] } },
      required: ['location'], additionalProperties: false } }];
  const before = await balanceNano();
  const first = await client.responses.create({
    model: 'tiny', input: 'Weather in Paris?', tools, max_output_tokens: 48, temperature: 0,
    tool_choice: { type: 'function', name: 'get_weather' },
  });
  const call = first.output.find((o) => o.type === 'function_call');
  assert.ok(call, JSON.stringify(first.output));
  const second = await client.responses.create({
    model: 'tiny', previous_response_id: first.id, tools, max_output_tokens: 4, temperature: 0,
    input: [{ type: 'function_call_output', call_id: call.call_id, output: '21 degrees' }],
  });
  assert.ok(second.usage.input_tokens > first.usage.input_tokens);
  assert.equal(before - await balanceNano(), costNano(first.usage, tinyPrice) + costNano(second.usage, tinyPrice));

  // Another key cannot continue this key's response: the answer of an unknown id.
  const other = await newKey();
  const stranger = new OpenAI({ baseURL: `${url}/v1`, apiKey: other.key, maxRetries: 0 });
  const notFound = (e) => e instanceof OpenAI.BadRequestError && e.param === 'previous_response_id' &&
    e.code === 'previous_response_not_found';
  await assert.rejects(stranger.responses.create({ model: 'tiny', previous_response_id: first.id, input: 'x' }),
    notFound);
  await assert.rejects(stranger.responses.create({ model: 'tiny', previous_response_id: 'resp_unknown', input: 'x' }),
    notFound);
  // A hostile id is the same answer, echoed cut short.
  await assert.rejects(stranger.responses.create({ model: 'tiny', previous_response_id: 'resp_' + 'x'.repeat(100000), input: 'x' }),
    (e) => notFound(e) && e.message.length < 200);
});

// Responses live in the store, not in one gateway's memory: a conversation started (streamed) on
// one gateway continues on a second one sharing its database, at once; the continuation reads
// exactly the conversation the client would otherwise send whole (same input tokens), and
// another key's request for it on either gateway is the unknown-id 400.
test('previous_response_id continues on a second gateway sharing the database', { skip: !url2 && 'one gateway' }, async () => {
  const second = new OpenAI({ baseURL: `${url2}/v1`, apiKey: created.key, maxRetries: 0, timeout: 120000 });
  const first = await client.responses.stream({
    model: 'tiny', input: ref.messages[0].content, max_output_tokens: 6, temperature: 0,
  }).finalResponse();
  assert.ok(first.id.startsWith('resp_'));
  const next = await second.responses.create({
    model: 'tiny', previous_response_id: first.id, input: 'And then?', max_output_tokens: 2, temperature: 0,
  });
  const whole = await second.responses.create({
    model: 'tiny', store: false, max_output_tokens: 2, temperature: 0,
    input: [{ role: 'user', content: ref.messages[0].content },
      { role: 'assistant', content: first.output_text }, { role: 'user', content: 'And then?' }],
  });
  assert.equal(next.usage.input_tokens, whole.usage.input_tokens);
  assert.ok(next.usage.input_tokens > first.usage.input_tokens + first.usage.output_tokens);
  // The continuation is itself kept: a third turn goes back to the first gateway.
  const third = await client.responses.create({
    model: 'tiny', previous_response_id: next.id, input: 'Go on.', max_output_tokens: 2, temperature: 0,
  });
  assert.ok(third.usage.input_tokens > next.usage.input_tokens);
  // store: false is not kept.
  await assert.rejects(client.responses.create({ model: 'tiny', previous_response_id: whole.id, input: 'x' }),
    (e) => e instanceof OpenAI.BadRequestError && e.code === 'previous_response_not_found');

  const other = await newKey();
  for (const base of [url, url2]) {
    const stranger = new OpenAI({ baseURL: `${base}/v1`, apiKey: other.key, maxRetries: 0 });
    await assert.rejects(stranger.responses.create({ model: 'tiny', previous_response_id: next.id, input: 'x' }),
      (e) => e instanceof OpenAI.BadRequestError && e.code === 'previous_response_not_found');
  }
});

test('Anthropic upstream: the recorded tool call as a function_call item, charged exactly', { skip: !anthropicUp && 'nginx missing' }, async () => {
  const before = await balanceNano();
  const r = await client.responses.create({
    model: 'claude-tools', input: 'What is the weather like in San Francisco?',
    tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } }],
  });
  assert.equal(r.output_text, "I'll check the current weather in San Francisco for you.");
  const call = r.output.find((o) => o.type === 'function_call');
  assert.equal(call.call_id, 'toolu_01A09q90qw90lq917835lq9');
  assert.deepEqual(JSON.parse(call.arguments), { location: 'San Francisco, CA', unit: 'celsius' });
  assert.equal(r.usage.input_tokens, 472);
  assert.equal(r.usage.output_tokens, 89);
  assert.equal(before - await balanceNano(), 472 * 3000 + 89 * 15000);
});
