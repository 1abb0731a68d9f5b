// The dashboard's sums over usage records written by hand: which bin and group each lands in,
// the "other" series, the totals and a provider's error rate, worked out on paper.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stackedSeries, totalsBy, withErrorRate } from '../src/usage.js';

const u = (created_ms, key_id, model, provider, total_cost, status = 'ok') => ({
  id: `gen-${created_ms}`, created_ms, key_id, model, provider, total_cost,
  tokens_prompt: 10, tokens_completion: 5, status,
});
const records = [
  u(0, 'k1', 'm1', 'p1', 0.5),
  u(999, 'k2', 'm1', 'p1', 0.25),
  u(1000, 'k1', 'm2', 'p2', 1),
  u(3999, 'k1', 'm2', null, 0, 'upstream_error'),
  u(4000, 'k3', 'm1', 'p1', 9), // outside [0, 4000)
];

test('spend per bin, stacked by key, largest total first', () => {
  const s = stackedSeries(records, { by: 'key', measure: 'spend', from: 0, to: 4000, bins: 4 });
  assert.equal(s.step, 1000);
  assert.deepEqual(s.series.map((x) => [x.name, x.values, x.total]), [
    ['k1', [0.5, 1, 0, 0], 1.5],
    ['k2', [0.25, 0, 0, 0], 0.25],
  ]);
});

test('requests by provider; no provider is "none"; a tie goes by name', () => {
  const s = stackedSeries(records, { by: 'provider', measure: 'requests', from: 0, to: 4000, bins: 2 });
  assert.deepEqual(s.series.map((x) => [x.name, x.values]), [['p1', [2, 0]], ['none', [0, 1]], ['p2', [1, 0]]]);
});

test('beyond maxGroups the smallest groups add up in "other"', () => {
  const s = stackedSeries(records, { by: 'provider', measure: 'tokens', from: 0, to: 4000, bins: 1, maxGroups: 2 });
  assert.deepEqual(s.series.map((x) => [x.name, x.values]), [['p1', [30]], ['other', [30]]]);
});

test('totals per model, and the error count', () => {
  assert.deepEqual(totalsBy(records.slice(0, 4), 'model'), [
    { name: 'm2', requests: 2, tokens: 30, spend: 1, errors: 1 },
    { name: 'm1', requests: 2, tokens: 30, spend: 0.75, errors: 0 },
  ]);
});

test('error rate: failures over attempts, none before any', () => {
  assert.equal(withErrorRate({ successes: 3, failures: 1 }).error_rate, 0.25);
  assert.equal(withErrorRate({ successes: 0, failures: 0 }).error_rate, null);
});
