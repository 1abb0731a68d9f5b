// The response bodies as bytes, pinned against data/wire_golden.json: every shape the chat and
// completions endpoints write (completion, chunk, usage, logprobs in both shapes, echo, tool
// calls, reasoning_content, errors), field order included, which the SDK tests cannot see.
// Masked before comparing: ids, `created`, tool-call ids, cached_tokens (what earlier tests left
// in the prefix cache) and floats (logprobs move in their last digits with batching and the
// kernel level). A stream is compared as its sequence of event shapes: how tokens coalesce into
// chunks and how n choices interleave depend on timing, so per-choice events are put in choice
// order, strings and logprob arrays masked, and a choice's events in flight merged into one, as
// if its tokens had all come in one poll. The golden was written by this file run with
// JUNCTION_UPDATE_GOLDEN=1 against the handlers as they were before the parse -> run -> render
// split; regenerate only when a change of the wire format is meant.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { model, chatRefs, refs, raw, modelDir } from './helpers.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const goldenPath = path.join(here, 'data', 'wire_golden.json');
const update = process.env.JUNCTION_UPDATE_GOLDEN === '1';
const golden = update || !fs.existsSync(goldenPath) ? {} : JSON.parse(fs.readFileSync(goldenPath, 'utf8'));
const got = {};

function mask(text) {
  return text
    .replace(/"(chatcmpl|cmpl)-[A-Za-z0-9]{24}"/g, '"$1-ID"')
    .replace(/"created":\d+/g, '"created":0')
    .replace(/"cached_tokens":\d+/g, '"cached_tokens":0')
    .replace(/"call_[A-Za-z0-9]{24}"/g, '"call_ID"')
    .replace(/(?<=[:,[])-?\d+\.\d+(?:e[-+]?\d+)?(?=[,\]}])/g, '"F"');
}

const dedupe = (items) => items.filter((x, i) => i === 0 || JSON.stringify(x) !== JSON.stringify(items[i - 1]));

// One event's JSON with its timing-dependent parts masked: nonempty strings of text, logprob
// arrays reduced to their distinct masked entries, completions' top_logprobs keys.
function eventShape(j) {
  const lists = ['content', 'tokens', 'token_logprobs', 'top_logprobs', 'text_offset', 'bytes'];
  const texts = ['content', 'text', 'reasoning_content', 'token', 'tokens', 'arguments'];
  const walk = (v, key) => {
    if (Array.isArray(v)) {
      const items = v.map((x) => walk(x, key));
      return lists.includes(key) ? dedupe(items) : items;
    }
    if (v && typeof v === 'object') {
      const o = {};
      const tokenKeys = key === 'top_logprobs' && !('token' in v);
      for (const [k, x] of Object.entries(v)) o[tokenKeys ? 'T' : k] = walk(x, k);
      return o;
    }
    if (typeof v === 'string' && v !== '' && texts.includes(key)) return 'S';
    if (typeof v === 'number' && (key === 'text_offset' || key === 'bytes')) return 0;
    return v;
  };
  return walk(j, '');
}

// Two events of one choice as if their tokens had come in one poll.
function union(a, b, key) {
  if (a === null || b === null) return a ?? b;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (key === 'choices') return a.map((x, i) => union(x, b[i], ''));
    return dedupe([...a, ...b]);
  }
  if (typeof a === 'object' && typeof b === 'object') {
    const o = { ...a };
    for (const [k, v] of Object.entries(b)) o[k] = k in a ? union(a[k], v, k) : v;
    return o;
  }
  return a === b ? a : 'S';
}

function streamShape(text) {
  assert.ok(text.endsWith('\n\n'), 'events end with a blank line');
  const events = text.slice(0, -2).split('\n\n').map((e) => {
    assert.ok(e.startsWith('data: '), e);
    return e === 'data: [DONE]' ? '[DONE]' : eventShape(JSON.parse(mask(e.slice(6))));
  });
  const single = (e) => e !== '[DONE]' && e.choices?.length === 1;
  const first = events.findIndex(single);
  const last = events.findLastIndex(single);
  const middle = first < 0 ? [] : events.slice(first, last + 1);
  middle.sort((a, b) => (single(a) ? a.choices[0].index : -1) - (single(b) ? b.choices[0].index : -1));
  const ordered = first < 0 ? events : [...events.slice(0, first), ...middle, ...events.slice(last + 1)];
  // Tokens in flight: an event carrying text or logprobs, not a choice's first (role, echo
  // with prompt logprobs) or last (finish_reason) event.
  const inFlight = (e) => single(e) && e.choices[0].finish_reason === null && !e.choices[0].delta?.role &&
    !(e.choices[0].logprobs?.token_logprobs ?? []).includes(null);
  const merged = [];
  for (const e of ordered) {
    const prev = merged.at(-1);
    if (prev && inFlight(prev) && inFlight(e) && prev.choices[0].index === e.choices[0].index) {
      merged[merged.length - 1] = union(prev, e, '');
    } else {
      merged.push(e);
    }
  }
  return merged.map((e) => (e === '[DONE]' ? e : JSON.stringify(e)));
}

async function pin(name, route, body, base) {
  const r = base ? await rawAt(base, route, body)
    : body === undefined ? await raw(route, undefined, { method: 'GET' }) : await raw(route, JSON.stringify(body));
  const value = {
    status: r.status,
    type: r.headers.get('content-type'),
    body: body?.stream && r.status === 200 ? streamShape(r.text) : mask(r.text),
  };
  got[name] = value;
  if (!update) assert.deepEqual(value, golden[name], name);
}

async function rawAt(base, route, body) {
  const res = await fetch(`${base}${route}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const messages = chatRefs[0].messages;
const greedy = { temperature: 0, ignore_eos: true };
const tools = [{ type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string', maxLength: 8 } } } } }];
const ids = refs.prompts[0].ids;

test('chat completion bodies', async () => {
  const chat = (name, body) => pin(name, '/v1/chat/completions', { model, messages, ...greedy, ...body });
  await chat('chat', { max_tokens: 3 });
  await chat('chat_n2_logprobs', { max_tokens: 3, n: 2, logprobs: true, top_logprobs: 2 });
  await chat('chat_logprobs_no_top', { max_tokens: 2, logprobs: true });
  const stop = [...chatRefs[0].greedy_text].slice(1, 4).join('');
  await chat('chat_stop', { max_tokens: 16, stop: [stop], ignore_eos: false });
  await chat('chat_tool_call', { tools, tool_choice: 'required', max_tokens: 60, ignore_eos: false });
  await chat('chat_tools_auto', { tools, max_tokens: 3 });
  await chat('chat_json_object', { max_tokens: 8, response_format: { type: 'json_object' }, seed: 5, temperature: 1 });
  await chat('chat_bad_tool_choice', { tools, tool_choice: { type: 'function', function: { name: 'nope' } } });
  await chat('chat_too_long', { max_tokens: 1, messages: [{ role: 'user', content: 'word '.repeat(600) }] });
});

test('chat chunk streams', async () => {
  const chat = (name, body) => pin(name, '/v1/chat/completions', { model, messages, ...greedy, stream: true, ...body });
  await chat('chat_stream', { max_tokens: 3 });
  await chat('chat_stream_usage_logprobs', { max_tokens: 3, logprobs: true, top_logprobs: 2, stream_options: { include_usage: true } });
  await chat('chat_stream_n2', { max_tokens: 3, n: 2, stream_options: { include_usage: true } });
  await chat('chat_stream_tool_call', { tools, tool_choice: 'required', max_tokens: 60, ignore_eos: false });
  await chat('chat_stream_bad_model', { model: 'nope' });
});

test('completion bodies', async () => {
  const cmpl = (name, body) => pin(name, '/v1/completions', { model, ...greedy, ...body });
  await cmpl('cmpl_text', { prompt: 'Hello there', max_tokens: 3 });
  await cmpl('cmpl_default_max_tokens', { prompt: 'Hello there' });
  await cmpl('cmpl_two_prompts_n2_echo_logprobs', { prompt: ['Hello', 'World wide'], n: 2, max_tokens: 2, echo: true, logprobs: 2 });
  await cmpl('cmpl_ids_score', { prompt: ids, max_tokens: 0, echo: true, logprobs: 2, return_tokens_as_token_ids: true });
  await cmpl('cmpl_ids_logprobs0', { prompt: ids, max_tokens: 3, logprobs: 0 });
  await cmpl('cmpl_echo_text', { prompt: 'Echo me', max_tokens: 2, echo: true });
  await cmpl('cmpl_stop', { prompt: ids, max_tokens: 16, stop: ['e'], ignore_eos: false });
  await cmpl('cmpl_bad_id', { prompt: [999999999], max_tokens: 1 });
});

test('completion streams', async () => {
  const cmpl = (name, body) => pin(name, '/v1/completions', { model, ...greedy, stream: true, ...body });
  await cmpl('cmpl_stream', { prompt: 'Hello there', max_tokens: 3 });
  await cmpl('cmpl_stream_echo_logprobs_usage', { prompt: ids, max_tokens: 3, echo: true, logprobs: 2, return_tokens_as_token_ids: true, stream_options: { include_usage: true } });
  await cmpl('cmpl_stream_echo_text', { prompt: 'Echo me', max_tokens: 2, echo: true });
  await cmpl('cmpl_stream_two_prompts', { prompt: ['Hello', 'World wide'], max_tokens: 2, logprobs: 1, stream_options: { include_usage: true } });
  await cmpl('cmpl_stream_score', { prompt: ids, max_tokens: 0, echo: true, logprobs: 1 });
});

test('models, tokenize and detokenize bodies', async () => {
  await pin('models', '/v1/models');
  await pin('model', `/v1/models/${model}`);
  await pin('tokenize_prompt', '/tokenize', { model, prompt: 'Hello there' });
  await pin('tokenize_messages', '/tokenize', { model, messages, add_generation_prompt: true });
  await pin('detokenize', '/detokenize', { model, tokens: ids });
});

// reasoning_content needs a template whose generation prompt opens <think>.
let thinker;
let thinkerUrl;
before(async () => {
  thinker = spawn(process.env.JUNCTION_BIN, [
    'serve', '--model', modelDir, '--host', '127.0.0.1', '--port', '0', '--threads', '2',
    '--ctx-size', '1024', '--parallel', '2', '--served-model-name', 'thinker',
    // f32 KV cache: the pinned answers and the fixture's references were made with one.
    '--cache-type-k', 'f32', '--cache-type-v', 'f32',
    '--chat-template', path.join(here, 'data', 'think_template.jinja'),
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  thinkerUrl = await new Promise((resolve, reject) => {
    let log = '';
    const onData = (d) => {
      log += d;
      const m = log.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) resolve(m[1]);
    };
    thinker.stdout.on('data', onData);
    thinker.stderr.on('data', onData);
    thinker.on('exit', (code) => reject(new Error(`server exited ${code}: ${log}`)));
  });
});

test('reasoning_content bodies and streams', async () => {
  const think = (name, body) => pin(name, '/v1/chat/completions', { model: 'thinker', messages, ...greedy, ...body }, thinkerUrl);
  await think('think', { max_tokens: 4 });
  await think('think_logprobs', { max_tokens: 2, logprobs: true, top_logprobs: 1 });
  await think('think_stream', { max_tokens: 4, stream: true, stream_options: { include_usage: true } });
  await think('think_tool_call', { tools, tool_choice: { type: 'function', function: { name: 'get_time' } }, max_tokens: 60, ignore_eos: false });
  await think('think_stream_logprobs', { max_tokens: 3, logprobs: true, top_logprobs: 1, stream: true });
});

after(() => {
  thinker?.kill('SIGTERM');
  if (update) fs.writeFileSync(goldenPath, JSON.stringify(got, null, 1) + '\n');
});
