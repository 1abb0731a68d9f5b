// The official openai npm client through the gateway (run_gateway_e2e.sh starts it): a junction
// engine on the fixture model behind model "tiny", and recorded Anthropic Messages answers
// behind the claude* models (skipped when nginx is missing). Chat, streaming and tools must
// look to the SDK exactly as from OpenAI, with the gateway's usage.cost on top.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';

const url = process.env.GATEWAY_URL;
const anthropic = process.env.GATEWAY_ANTHROPIC === '1';
const chatRefs = JSON.parse(
  fs.readFileSync(path.join(process.env.JUNCTION_MODEL_DIR, 'chat_refs.json'), 'utf8'));

async function newKey(credits) {
  const res = await fetch(`${url}/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${process.env.GATEWAY_ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'e2e', credits }),
  });
  assert.equal(res.status, 201);
  return (await res.json()).key;
}

const key = await newKey(10);
const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: key, maxRetries: 0, timeout: 120000 });
const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather', description: 'Weather in a city',
    parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
  },
};

test('models lists what the key may use, with prices', async () => {
  const list = await client.models.list();
  const ids = list.data.map((m) => m.id);
  assert.ok(ids.includes('tiny'));
  if (anthropic) assert.ok(ids.includes('claude'));
});

test('engine chat through the gateway: the greedy reference, usage and cost', async () => {
  const ref = chatRefs[0];
  const { data: r, response } = await client.chat.completions.create({
    model: 'tiny', messages: ref.messages, temperature: 0, max_tokens: ref.greedy_ids.length, ignore_eos: true,
  }).withResponse();
  assert.equal(r.model, 'tiny');
  assert.equal(r.choices[0].message.content, ref.greedy_text);
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.equal(r.usage.prompt_tokens, ref.prompt_ids.length);
  assert.equal(r.usage.completion_tokens, ref.greedy_ids.length);
  // $1 / M in, $2 / M out
  const cost = (ref.prompt_ids.length * 1 + ref.greedy_ids.length * 2) / 1e6;
  assert.ok(Math.abs(r.usage.cost - cost) < 1e-12, `${r.usage.cost} vs ${cost}`);
  assert.equal(response.headers.get('x-request-id'), r.id);
  assert.equal(response.headers.get('x-junction-provider'), 'engine');
});

test('engine stream through the gateway: same text, usage with cost last', async () => {
  const ref = chatRefs[0];
  const stream = await client.chat.completions.create({
    model: 'tiny', messages: ref.messages, temperature: 0, max_tokens: ref.greedy_ids.length,
    ignore_eos: true, stream: true, stream_options: { include_usage: true },
  });
  let text = '', finish = null, usage = null;
  const ids = new Set();
  for await (const chunk of stream) {
    ids.add(chunk.id);
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      text += c.delta.content ?? '';
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  assert.equal(text, ref.greedy_text);
  assert.equal(finish, 'length');
  assert.equal(usage.completion_tokens, ref.greedy_ids.length);
  assert.equal(usage.prompt_tokens, ref.prompt_ids.length);
  assert.ok(usage.cost > 0);
  assert.equal(ids.size, 1);
});

test('engine tools through the gateway: a tool-call history renders and answers', async () => {
  const r = await client.chat.completions.create({
    model: 'tiny', tools: [weatherTool], max_tokens: 4, temperature: 0, ignore_eos: true,
    messages: [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"temp": 21}' },
    ],
  });
  assert.equal(r.choices.length, 1);
  assert.equal(r.usage.completion_tokens, 4);
});

test('errors reach the SDK as its typed errors', async () => {
  const stranger = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'sk-jn-nope', maxRetries: 0 });
  await assert.rejects(stranger.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }] }),
    (e) => e instanceof OpenAI.AuthenticationError && e.status === 401);
  await assert.rejects(client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] }),
    (e) => e instanceof OpenAI.NotFoundError && e.status === 404);
  if (anthropic) {
    await assert.rejects(client.completions.create({ model: 'claude', prompt: 'hi' }),
      (e) => e instanceof OpenAI.BadRequestError && e.code === 'chat_only_model');
  }
});

test('Anthropic-backed chat: OpenAI shape, usage and cost', { skip: !anthropic && 'nginx missing' }, async () => {
  const { data: r, response } = await client.chat.completions.create({
    model: 'claude', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello' }],
  }).withResponse();
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.model, 'claude');
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.equal(r.choices[0].message.content, 'Hello! How can I help you today?');
  assert.equal(r.choices[0].finish_reason, 'stop');
  assert.deepEqual(
    { p: r.usage.prompt_tokens, c: r.usage.completion_tokens, t: r.usage.total_tokens, cached: r.usage.prompt_tokens_details.cached_tokens },
    { p: 20, c: 10, t: 30, cached: 8 });
  // 12 uncached at $3/M + 8 cached at $0.3/M + 10 out at $15/M
  assert.ok(Math.abs(r.usage.cost - 188400e-9) < 1e-12, String(r.usage.cost));
  assert.equal(response.headers.get('x-junction-provider'), 'claude');
});

test('Anthropic-backed stream: chunks, finish_reason and usage', { skip: !anthropic && 'nginx missing' }, async () => {
  const stream = await client.chat.completions.create({
    model: 'claude-sse', messages: [{ role: 'user', content: 'Hello' }],
    stream: true, stream_options: { include_usage: true },
  });
  let text = '', finish = null, usage = null;
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      text += c.delta.content ?? '';
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  assert.equal(text, 'Hello! How can I help you today?');
  assert.equal(finish, 'stop');
  assert.equal(usage.prompt_tokens, 20);
  assert.equal(usage.completion_tokens, 10);
  assert.ok(Math.abs(usage.cost - 188400e-9) < 1e-12);
});

test('Anthropic-backed tools: tool_calls whole, and accumulated by the SDK from a stream', { skip: !anthropic && 'nginx missing' }, async () => {
  const r = await client.chat.completions.create({
    model: 'claude-tools', tools: [weatherTool], tool_choice: 'auto',
    messages: [{ role: 'user', content: 'What is the weather like in San Francisco?' }],
  });
  assert.equal(r.choices[0].finish_reason, 'tool_calls');
  const call = r.choices[0].message.tool_calls[0];
  assert.equal(call.type, 'function');
  assert.equal(call.id, 'toolu_01A09q90qw90lq917835lq9');
  assert.equal(call.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.function.arguments), { location: 'San Francisco, CA', unit: 'celsius' });

  // The SDK's own stream accumulator rebuilds the message from the translated chunks.
  const runner = client.chat.completions.stream({
    model: 'claude-tools-sse', tools: [weatherTool],
    messages: [{ role: 'user', content: 'What is the weather like in San Francisco?' }],
  });
  const final = await runner.finalChatCompletion();
  const m = final.choices[0].message;
  assert.equal(final.choices[0].finish_reason, 'tool_calls');
  assert.equal(m.content, "Okay, let's check the weather for San Francisco, CA:");
  assert.equal(m.tool_calls.length, 1);
  assert.equal(m.tool_calls[0].id, 'toolu_01T1x1fJ34qAmk2tNTrN7Up6');
  assert.equal(m.tool_calls[0].function.name, 'get_weather');
  assert.deepEqual(JSON.parse(m.tool_calls[0].function.arguments), { location: 'San Francisco, CA', unit: 'fahrenheit' });
});
