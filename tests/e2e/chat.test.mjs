import { test } from 'node:test';
import assert from 'node:assert/strict';
import { client, model, chatRefs, raw } from './helpers.mjs';

test('models lists the served model', async () => {
  const list = await client.models.list();
  assert.deepEqual(list.data.map((m) => m.id), [model]);
});

test('chat greedy matches the reference continuation and usage counts it', async () => {
  for (const ref of chatRefs) {
    const r = await client.chat.completions.create({
      model, messages: ref.messages, temperature: 0, max_tokens: ref.greedy_ids.length, ignore_eos: true,
    });
    assert.equal(r.choices[0].message.content, ref.greedy_text);
    assert.equal(r.choices[0].finish_reason, 'length');
    assert.equal(r.usage.prompt_tokens, ref.prompt_ids.length);
    assert.equal(r.usage.completion_tokens, ref.greedy_ids.length);
    assert.equal(r.usage.total_tokens, ref.prompt_ids.length + ref.greedy_ids.length);
  }
});

test('chat stream concatenates to the same text, with usage last', async () => {
  const ref = chatRefs[0];
  const stream = await client.chat.completions.create({
    model, messages: ref.messages, temperature: 0, max_tokens: 16, ignore_eos: true,
    stream: true, stream_options: { include_usage: true },
  });
  let text = '';
  let usage = null;
  let finish = null;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      text += c.delta.content ?? '';
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  assert.equal(text, ref.greedy_text);
  assert.equal(finish, 'length');
  assert.equal(usage.completion_tokens, 16);
  assert.equal(usage.prompt_tokens, ref.prompt_ids.length);
});

test('chat logprobs, n choices, seed reproducibility, stop strings', async () => {
  const messages = [{ role: 'user', content: 'Say something.' }];
  const a = await client.chat.completions.create({ model, messages, max_tokens: 8, seed: 7, n: 2, logprobs: true, top_logprobs: 3 });
  const b = await client.chat.completions.create({ model, messages, max_tokens: 8, seed: 7, n: 2 });
  assert.equal(a.choices.length, 2);
  assert.equal(a.choices[0].message.content, b.choices[0].message.content);
  assert.equal(a.choices[1].message.content, b.choices[1].message.content);
  const lp = a.choices[0].logprobs.content;
  assert.equal(lp.length, 8);
  for (const t of lp) {
    assert.ok(t.logprob <= 0);
    assert.equal(t.top_logprobs.length, 3);
  }
  assert.equal(a.usage.completion_tokens, 16);
  const ref = chatRefs[0];
  const stop = [...ref.greedy_text].slice(1, 4).join('');
  const s = await client.chat.completions.create({ model, messages: ref.messages, temperature: 0, max_tokens: 16, stop: [stop] });
  assert.equal(s.choices[0].message.content, ref.greedy_text.slice(0, ref.greedy_text.indexOf(stop)));
  assert.equal(s.choices[0].finish_reason, 'stop');
});

test('json_schema output parses and matches the schema', async () => {
  const schema = {
    type: 'object',
    properties: {
      name: { type: 'string', maxLength: 6 },
      age: { type: 'integer' },
      ok: { type: 'boolean' },
      color: { enum: ['red', 'green'] },
      tags: { type: 'array', items: { type: 'boolean' }, maxItems: 2 },
    },
    required: ['name', 'age', 'ok', 'color', 'tags'],
  };
  for (const seed of [1, 2, 3]) {
    const r = await client.chat.completions.create({
      model, messages: [{ role: 'user', content: 'Describe a person as JSON.' }], max_tokens: 200, seed,
      response_format: { type: 'json_schema', json_schema: { name: 'person', schema, strict: true } },
    });
    const v = JSON.parse(r.choices[0].message.content);
    assert.equal(typeof v.name, 'string');
    assert.ok([...v.name].length <= 6);
    assert.ok(Number.isInteger(v.age));
    assert.equal(typeof v.ok, 'boolean');
    assert.ok(['red', 'green'].includes(v.color));
    assert.ok(Array.isArray(v.tags) && v.tags.length <= 2);
  }
  const o = await client.chat.completions.create({
    model, messages: [{ role: 'user', content: 'JSON please' }], max_tokens: 300, seed: 5,
    response_format: { type: 'json_object' },
  });
  if (o.choices[0].finish_reason === 'stop') assert.equal(typeof JSON.parse(o.choices[0].message.content), 'object');
});

test('tools: a history with tool calls and results renders and answers', async () => {
  const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
  const r = await client.chat.completions.create({
    model, tools, max_tokens: 4, temperature: 0,
    messages: [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"temp": 21}' },
    ],
  });
  assert.equal(r.choices.length, 1);
  assert.equal(r.usage.completion_tokens, 4);
  const t = await raw('/tokenize', JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }));
  assert.equal(t.status, 200);
});

test('tools round trip: a forced call parses and matches the schema, its result is answered', async () => {
  const tools = [
    { type: 'function', function: { name: 'get_weather', description: 'Weather in a city',
      parameters: { type: 'object', properties: { city: { type: 'string', maxLength: 12 }, days: { type: 'integer' } }, required: ['city', 'days'] } } },
    { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string', maxLength: 8 } } } } },
  ];
  const messages = [{ role: 'user', content: 'Weather in Paris for 3 days?' }];
  const r = await client.chat.completions.create({
    model, tools, messages, tool_choice: { type: 'function', function: { name: 'get_weather' } }, max_tokens: 60, temperature: 0,
  });
  const call = r.choices[0].message.tool_calls?.[0];
  assert.ok(call, `a tool call, got ${JSON.stringify(r.choices[0].message)}`);
  assert.equal(call.function.name, 'get_weather');
  const args = JSON.parse(call.function.arguments);
  assert.equal(typeof args.city, 'string');
  assert.ok(Number.isInteger(args.days));
  assert.ok(!r.choices[0].message.content);

  // "required" with one function uses its parameters too (several: any object, which a random
  // model may not close within max_tokens).
  const any = await client.chat.completions.create({ model, tools: tools.slice(1), messages, tool_choice: 'required', max_tokens: 60, temperature: 0 });
  assert.equal(any.choices[0].message.tool_calls?.[0]?.function.name, 'get_time');
  assert.equal(typeof JSON.parse(any.choices[0].message.tool_calls[0].function.arguments), 'object');
  assert.equal(any.choices[0].finish_reason, 'tool_calls');

  const answer = await client.chat.completions.create({
    model, tools, max_tokens: 5, temperature: 0,
    messages: [...messages, r.choices[0].message, { role: 'tool', tool_call_id: call.id, content: '{"temp": 21}' }],
  });
  assert.equal(answer.usage.completion_tokens, 5);
  assert.ok(!answer.choices[0].message.tool_calls?.length, 'tool_choice auto: the random model answers in text');

  const bad = await raw('/v1/chat/completions', JSON.stringify({ model, tools, messages, tool_choice: { type: 'function', function: { name: 'nope' } } }));
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.param, 'tool_choice');
});
