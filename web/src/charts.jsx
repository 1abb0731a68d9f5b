// A stacked bar chart drawn as SVG by hand: the dashboard needs only this one kind, and an SVG
// of rects keeps to the page's CSP (colours are presentation attributes, not inline styles) and
// adds no library to the bundle. Each bar has a <title> (hover) and the numbers are in the table
// beside it (screen readers, keyboard).

/** Okabe–Ito, colour-blind safe, readable on both themes; the last is "other". */
export const palette = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#8c6d31', '#888888'];

export const Swatch = ({ color }) => (
  <svg class="swatch" width="12" height="12" aria-hidden="true"><rect width="12" height="12" rx="2" fill={color} /></svg>
);

/**
 * @param {{ data: { from: number, step: number, series: { name: string, values: number[] }[] },
 *   format: (v: number) => string, label: string }} props
 */
export function StackedBars({ data, format, label }) {
  const { from, step, series } = data;
  const bins = series[0]?.values.length ?? 0;
  const W = 640, H = 200, left = 56, bottom = 22, top = 8;
  const stacks = Array.from({ length: bins }, (_, i) => series.reduce((a, s) => a + s.values[i], 0));
  const max = Math.max(0, ...stacks);
  const y = (v) => (max > 0 ? ((H - bottom - top) * v) / max : 0);
  const bw = (W - left) / Math.max(1, bins);
  const days = bins * step > 2 * 86400e3;
  const time = (ms) => new Date(ms).toLocaleString([], days
    ? { weekday: 'short', hour: '2-digit', minute: '2-digit' } : { hour: '2-digit', minute: '2-digit' });
  // The period's start, middle and end ("now"), on the bars' edges.
  const ticks = bins ? [[0, time(from), 'start'], [bins / 2, time(from + (bins / 2) * step), 'middle'], [bins, 'now', 'end']] : [];
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${label} over time, stacked`}>
        <line x1={left} y1={H - bottom} x2={W} y2={H - bottom} class="axis" />
        <text x={left - 6} y={top + 10} class="tick" text-anchor="end">{format(max)}</text>
        <text x={left - 6} y={H - bottom} class="tick" text-anchor="end">{format(0)}</text>
        {ticks.map(([i, label, anchor]) => (
          <text key={anchor} x={left + i * bw} y={H - 6} class={`tick ${anchor}`} text-anchor={anchor}>{label}</text>
        ))}
        {stacks.map((_, i) => {
          let base = H - bottom;
          return series.map((s, k) => {
            const h = y(s.values[i]);
            if (h <= 0) return null;
            base -= h;
            return (
              <rect key={`${i}-${k}`} x={left + i * bw + 1} y={base} width={Math.max(1, bw - 2)} height={h}
                fill={palette[s.name === 'other' ? palette.length - 1 : k % (palette.length - 1)]}>
                <title>{`${time(from + i * step)} ${s.name}: ${format(s.values[i])}`}</title>
              </rect>
            );
          });
        })}
      </svg>
      <figcaption>
        <ul class="legend">
          {series.map((s, k) => (
            <li key={s.name}>
              <Swatch color={palette[s.name === 'other' ? palette.length - 1 : k % (palette.length - 1)]} />
              {s.name}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
