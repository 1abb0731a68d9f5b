// What the model picker shows of a /v1/models entry. The gateway's catalogue carries
// context_length, pricing (USD per token, as decimal strings: OpenRouter's shape) and
// capabilities; `junction serve` lists its one model with vLLM's max_model_len.

/** @typedef {{ id: string, context: number | null, inputPerM: number | null,
 *   outputPerM: number | null, capabilities: string[] }} ModelFacts */

const perMillion = (v) => {
  const n = typeof v === 'string' || typeof v === 'number' ? Number(v) : NaN;
  return Number.isFinite(n) && n >= 0 ? n * 1e6 : null;
};

/** @returns {ModelFacts} */
export function modelFacts(m) {
  const context = [m?.context_length, m?.top_provider?.context_length, m?.max_model_len]
    .find((v) => Number.isInteger(v) && v > 0) ?? null;
  const caps = m?.capabilities && typeof m.capabilities === 'object'
    ? Object.keys(m.capabilities).filter((k) => m.capabilities[k] === true) : [];
  return {
    id: String(m?.id ?? ''),
    context,
    inputPerM: perMillion(m?.pricing?.prompt),
    outputPerM: perMillion(m?.pricing?.completion),
    capabilities: caps,
  };
}

/** "128K" for 131072, "512" for 512. */
export function formatTokens(n) {
  if (n >= 1e6 && n % 1048576 === 0) return `${n / 1048576}M`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024}K`;
  if (n >= 1e4) return `${Math.round(n / 1000)}K`;
  return String(n);
}

/**
 * US dollars to six significant digits, trailing zeros dropped, never in exponent form: a
 * balance of $4.99994 after a request of $0.00006 shows the request ($2, $0.15, $0.000123).
 */
export function formatUsd(v) {
  if (v == null || !Number.isFinite(v)) return '—';
  if (v === 0) return '$0';
  const a = Math.abs(v);
  const digits = Math.max(0, Math.min(10, 5 - Math.floor(Math.log10(a))));
  const text = a.toFixed(digits).replace(/(\.\d*?[1-9])0+$|\.0+$/, '$1');
  return `${v < 0 && text !== '0' ? '-' : ''}$${text}`;
}

/** One line for the picker: "context 128K · $3 in / $15 out per M tokens · tools, reasoning". */
export function describeModel(f) {
  const parts = [];
  if (f.context) parts.push(`context ${formatTokens(f.context)}`);
  if (f.inputPerM != null && f.outputPerM != null) {
    parts.push(`${formatUsd(f.inputPerM)} in / ${formatUsd(f.outputPerM)} out per M tokens`);
  }
  if (f.capabilities.length) parts.push(f.capabilities.join(', '));
  return parts.join(' · ');
}
