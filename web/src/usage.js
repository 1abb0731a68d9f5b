// The dashboard's arithmetic on the gateway's usage records (GET /admin/usage): spend, requests
// and tokens per time bin, stacked by key, model or provider; totals per group. Pure, so that
// web/test checks it against hand-worked values.

/** @typedef {{ id: string, key_id: string, model: string, provider: string | null,
 *   tokens_prompt: number, tokens_completion: number, total_cost: number,
 *   status: string, http_status: number, latency_ms: number, created_ms: number }} Usage */

/** The measures a chart can show. */
export const measures = {
  spend: { label: 'Spend (USD)', of: (u) => Number(u.total_cost) || 0 },
  requests: { label: 'Requests', of: () => 1 },
  tokens: { label: 'Tokens', of: (u) => (Number(u.tokens_prompt) || 0) + (Number(u.tokens_completion) || 0) },
};

/** The group a record falls in: its key, model or provider ("none" when no provider answered). */
export const groupOf = (u, by) => String((by === 'key' ? u.key_id : by === 'model' ? u.model : u.provider) ?? 'none');

/**
 * Bins [from, to) into `bins` equal steps; each of the `maxGroups - 1` largest groups (by the
 * measure's total) gets its own series, the rest add up in "other".
 * @returns {{ from: number, step: number, series: { name: string, values: number[], total: number }[] }}
 */
export function stackedSeries(records, { by, measure, from, to, bins, maxGroups = 7 }) {
  const step = (to - from) / bins;
  const of = measures[measure].of;
  const totals = new Map();
  for (const u of records) {
    if (u.created_ms < from || u.created_ms >= to) continue;
    const g = groupOf(u, by);
    totals.set(g, (totals.get(g) ?? 0) + of(u));
  }
  const ranked = [...totals.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([g]) => g);
  const named = ranked.length > maxGroups ? ranked.slice(0, maxGroups - 1) : ranked;
  const index = new Map(named.map((g, i) => [g, i]));
  const series = named.map((name) => ({ name, values: new Array(bins).fill(0), total: 0 }));
  if (ranked.length > named.length) series.push({ name: 'other', values: new Array(bins).fill(0), total: 0 });
  for (const u of records) {
    if (u.created_ms < from || u.created_ms >= to) continue;
    const s = series[index.get(groupOf(u, by)) ?? series.length - 1];
    const bin = Math.min(bins - 1, Math.floor((u.created_ms - from) / step));
    const v = of(u);
    s.values[bin] += v;
    s.total += v;
  }
  return { from, step, series };
}

/** Requests, tokens, spend and errors per group, the largest spend first. */
export function totalsBy(records, by) {
  const rows = new Map();
  for (const u of records) {
    const g = groupOf(u, by);
    const r = rows.get(g) ?? { name: g, requests: 0, tokens: 0, spend: 0, errors: 0 };
    r.requests++;
    r.tokens += measures.tokens.of(u);
    r.spend += measures.spend.of(u);
    if (u.status !== 'ok') r.errors++;
    rows.set(g, r);
  }
  return [...rows.values()].sort((a, b) => b.spend - a.spend || b.requests - a.requests);
}

/** A provider row of GET /admin/providers with its error rate (failures over attempts; null before any). */
export function withErrorRate(p) {
  const n = (Number(p.successes) || 0) + (Number(p.failures) || 0);
  return { ...p, error_rate: n ? (Number(p.failures) || 0) / n : null };
}
