// The model picker's facts from /v1/models entries written by hand in the two shapes it meets:
// the gateway's (OpenRouter's: pricing in USD per token as strings) and junction serve's (vLLM's
// max_model_len); hostile or missing fields give nothing rather than NaN.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeModel, formatTokens, formatUsd, modelFacts } from '../src/catalogue.js';

test('a gateway catalogue entry: context, prices per million tokens, capabilities', () => {
  const f = modelFacts({
    id: 'claude-sonnet', context_length: 200000,
    pricing: { prompt: '0.000003', completion: '0.000015', request: '0' },
    capabilities: { tools: true, json_schema: false, reasoning: true, vision: false },
  });
  assert.equal(f.id, 'claude-sonnet');
  assert.equal(f.context, 200000);
  assert.ok(Math.abs(f.inputPerM - 3) < 1e-9 && Math.abs(f.outputPerM - 15) < 1e-9);
  assert.deepEqual(f.capabilities, ['tools', 'reasoning']);
  assert.equal(describeModel(f), 'context 200K · $3 in / $15 out per M tokens · tools, reasoning');
});

test("junction serve's entry: max_model_len, no prices", () => {
  const f = modelFacts({ id: 'qwen3', object: 'model', max_model_len: 4096 });
  assert.equal(describeModel(f), 'context 4K');
});

test('hostile or missing fields give nothing', () => {
  const f = modelFacts({ id: 'x', context_length: 'lots', pricing: { prompt: 'free', completion: -1 }, capabilities: 'all' });
  assert.deepEqual(f, { id: 'x', context: null, inputPerM: null, outputPerM: null, capabilities: [] });
  assert.equal(describeModel(f), '');
  assert.equal(modelFacts(null).id, '');
});

test('token counts and dollars as a reader writes them', () => {
  assert.equal(formatTokens(512), '512');
  assert.equal(formatTokens(131072), '128K');
  assert.equal(formatTokens(1048576), '1M');
  assert.equal(formatTokens(200000), '200K');
  assert.equal(formatUsd(2), '$2');
  assert.equal(formatUsd(1.5), '$1.5');
  assert.equal(formatUsd(0.15), '$0.15');
  assert.equal(formatUsd(0.000123), '$0.000123');
  assert.equal(formatUsd(0), '$0');
  assert.equal(formatUsd(-0.25), '-$0.25');
  assert.equal(formatUsd(1234.5), '$1234.5');
  assert.equal(formatUsd(4.99994), '$4.99994');
  assert.equal(formatUsd(5 - 0.00006), '$4.99994');
  assert.equal(formatUsd(0.00006), '$0.00006');
  assert.equal(formatUsd(1e-9), '$0.000000001');
  assert.equal(formatUsd(1234567.891), '$1234568');
  assert.equal(formatUsd(null), '—');
});
