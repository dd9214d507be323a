import { useId } from 'preact/hooks';
import { formatNumber } from './format';

/**
 * Hand-written SVG charts. Each has a text alternative: the SVG is an `img` with a
 * summary label, and the bar chart also renders its data as a (visually hidden) table.
 */

export interface Datum {
  label: string;
  value: number;
}

/**
 * Vertical bars with value labels.
 *
 *   <BarChart title="Leads per quarter" data={[{ label: '2026-Q1', value: 12 }, …]} />
 */
export function BarChart(props: {
  title: string;
  data: Datum[];
  format?: (v: number) => string;
  height?: number;
  /** Show the title above the chart (else only for assistive technology). */
  showTitle?: boolean;
}) {
  const { data } = props;
  const fmt = props.format ?? ((v: number) => formatNumber(v));
  const id = useId();
  const height = props.height ?? 180;
  const barGap = 12;
  const width = Math.max(240, data.length * 64);
  const top = 20;
  const bottom = 28;
  const plot = height - top - bottom;
  const max = Math.max(0, ...data.map((d) => d.value));
  const min = Math.min(0, ...data.map((d) => d.value));
  const span = max - min || 1;
  const bw = data.length ? (width - barGap * (data.length + 1)) / data.length : 0;
  const y = (v: number) => top + ((max - v) / span) * plot;
  const summary = data.length
    ? `${props.title}: ${data.map((d) => `${d.label} ${fmt(d.value)}`).join(', ')}.`
    : `${props.title}: no data.`;
  return (
    <figure class="chart">
      {props.showTitle !== false ? <figcaption id={id}>{props.title}</figcaption> : null}
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={summary} preserveAspectRatio="xMidYMid meet" class="chart-svg">
        <line x1={0} x2={width} y1={y(0)} y2={y(0)} class="chart-axis" />
        {data.map((d, i) => {
          const x = barGap + i * (bw + barGap);
          const y0 = y(Math.max(0, d.value));
          const h = Math.max(1, Math.abs(y(d.value) - y(0)));
          return (
            <g key={d.label}>
              <rect x={x} y={y0} width={bw} height={h} class="chart-bar" rx={2} />
              <text x={x + bw / 2} y={Math.max(12, y0 - 5)} text-anchor="middle" class="chart-value">
                {fmt(d.value)}
              </text>
              <text x={x + bw / 2} y={height - 8} text-anchor="middle" class="chart-label">
                {d.label}
              </text>
            </g>
          );
        })}
      </svg>
      <table class="visually-hidden">
        <caption>{props.title}</caption>
        <tbody>
          {data.map((d) => (
            <tr key={d.label}>
              <th scope="row">{d.label}</th>
              <td>{fmt(d.value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

/**
 * A small trend line (e.g. the daily score). `label` describes it; the text alternative
 * adds first, last, lowest and highest values.
 *
 *   <Sparkline label="Score, last 30 days" values={history.map((h) => h.score)} />
 */
export function Sparkline(props: { label: string; values: number[]; width?: number; height?: number; format?: (v: number) => string }) {
  const { values } = props;
  const w = props.width ?? 120;
  const h = props.height ?? 32;
  const fmt = props.format ?? ((v: number) => formatNumber(v, { maximumFractionDigits: 1 }));
  if (values.length === 0) {
    return (
      <span class="sparkline-empty" role="img" aria-label={`${props.label}: no data`}>
        —
      </span>
    );
  }
  const max = Math.max(...values);
  const min = Math.min(...values);
  const span = max - min || 1;
  const pad = 2;
  const step = values.length > 1 ? (w - pad * 2) / (values.length - 1) : 0;
  const pts = values.map((v, i) => [pad + i * step, pad + ((max - v) / span) * (h - pad * 2)] as const);
  const path = pts.map(([x, y], i) => `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
  const last = pts[pts.length - 1]!;
  const alt = `${props.label}: from ${fmt(values[0]!)} to ${fmt(values[values.length - 1]!)}, lowest ${fmt(min)}, highest ${fmt(max)}.`;
  return (
    <svg class="sparkline" width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={alt}>
      <path d={path} class="sparkline-line" fill="none" />
      <circle cx={last[0]} cy={last[1]} r={2.5} class="sparkline-dot" />
    </svg>
  );
}
