// The official openai npm client's Responses API (responses.create, plain and streamed, and
// responses.stream) against junction serve (run_e2e.sh starts the server): the fixture's greedy
// reference (made with Hugging Face transformers), usage counting its tokens, a function-call
// round trip continued with previous_response_id, and errors as the SDK's typed errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { client, model, chatRefs } from './helpers.mjs';

const ref = chatRefs[0];
const input = ref.messages[0].content;  // one user message: a string input
// A bounded location: the fixture's random weights would otherwise ramble inside a string.
const tools = [{
  type: 'function', name: 'get_weather', description: 'Weather in a city', strict: true,
  parameters: { type: 'object', properties: { location: { type: 'string', enum: ['Paris', 'Rome'] } },
    required: ['location'], additionalProperties: false },
}];

test('responses.create: the greedy reference, incomplete at max_output_tokens, usage', async () => {
  const r = await client.responses.create({ model, input, max_output_tokens: ref.greedy_ids.length, temperature: 0 });
  assert.equal(r.object, 'response');
  assert.match(r.id, /^resp_/);
  assert.equal(r.model, model);
  assert.equal(r.output_text, ref.greedy_text);
  assert.equal(r.status, 'incomplete');
  assert.deepEqual(r.incomplete_details, { reason: 'max_output_tokens' });
  assert.equal(r.usage.input_tokens, ref.prompt_ids.length);
  assert.equal(r.usage.output_tokens, ref.greedy_ids.length);
  assert.equal(r.usage.total_tokens, ref.prompt_ids.length + ref.greedy_ids.length);
});

test('responses.create streamed and responses.stream: the same text, events in order', async () => {
  const events = await client.responses.create({
    model, input, max_output_tokens: ref.greedy_ids.length, temperature: 0, stream: true,
  });
  let text = '';
  const types = [];
  let last = null;
  for await (const e of events) {
    types.push(e.type);
    if (e.type === 'response.output_text.delta') text += e.delta;
    last = e;
  }
  assert.equal(text, ref.greedy_text);
  assert.deepEqual(types.slice(0, 4),
    ['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
  assert.equal(last.type, 'response.incomplete');
  assert.equal(last.response.usage.output_tokens, ref.greedy_ids.length);
  assert.equal(last.response.usage.input_tokens, ref.prompt_ids.length);

  const final = await client.responses.stream({
    model, input, max_output_tokens: ref.greedy_ids.length, temperature: 0,
  }).finalResponse();
  assert.equal(final.output_text, ref.greedy_text);
  assert.equal(final.usage.output_tokens, ref.greedy_ids.length);
});

test('a function call, its output continued with previous_response_id', async () => {
  const first = await client.responses.create({
    model, input: 'What is the weather in Paris?', tools, max_output_tokens: 48, temperature: 0,
    tool_choice: { type: 'function', name: 'get_weather' },
  });
  const call = first.output.find((o) => o.type === 'function_call');
  assert.ok(call, JSON.stringify(first.output));
  assert.equal(call.name, 'get_weather');
  assert.ok(['Paris', 'Rome'].includes(JSON.parse(call.arguments).location));
  assert.equal(first.status, 'completed');

  const second = await client.responses.create({
    model, previous_response_id: first.id, tools, max_output_tokens: 4, temperature: 0,
    input: [{ type: 'function_call_output', call_id: call.call_id, output: '21 degrees' }],
  });
  assert.equal(second.previous_response_id, first.id);
  // The same conversation sent whole gives the same prompt and answer.
  const whole = await client.responses.create({
    model, tools, max_output_tokens: 4, temperature: 0,
    input: [{ role: 'user', content: 'What is the weather in Paris?' },
      { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
      { type: 'function_call_output', call_id: call.call_id, output: '21 degrees' }],
  });
  assert.equal(second.usage.input_tokens, whole.usage.input_tokens);
  assert.equal(second.output_text, whole.output_text);
  assert.ok(second.usage.output_tokens >= 1 && second.usage.output_tokens <= 4);

  // Streamed, the SDK accumulates the call from function_call_arguments deltas.
  const streamed = await client.responses.stream({
    model, input: 'What is the weather in Paris?', tools, max_output_tokens: 48, temperature: 0,
    tool_choice: { type: 'function', name: 'get_weather' }, store: false,
  }).finalResponse();
  const scall = streamed.output.find((o) => o.type === 'function_call');
  assert.equal(scall.arguments, call.arguments);
  // store: false keeps nothing to continue.
  await assert.rejects(client.responses.create({ model, input: 'x', previous_response_id: streamed.id }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'previous_response_id');
});

test('errors are the SDK typed errors', async () => {
  await assert.rejects(client.responses.create({ model, input: 'x', previous_response_id: 'resp_nope' }),
    (e) => e instanceof OpenAI.BadRequestError);
  await assert.rejects(client.responses.create({ model: 'nope', input: 'x' }),
    (e) => e instanceof OpenAI.NotFoundError);
  await assert.rejects(client.responses.create({ model, input: [{ type: 'item_reference', id: 'x' }] }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'input[0].type');
});
