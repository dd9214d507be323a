import { useState } from 'preact/hooks';
import { api, unwrap, type Me, type Schemas, type paths } from '../../../api';
import {
  AsyncState,
  BarChart,
  DataTable,
  EmptyState,
  Sparkline,
  formatDate,
  formatMoney,
  formatNumber,
  formatPercent,
  useAsync,
} from '../../../ui';
import './dashboard.css';

type Quarter = paths['/v1/analytics/quarterly']['get']['responses'][200]['content']['application/json']['quarters'][number];
type Metric = paths['/v1/analytics/benchmarks']['get']['responses'][200]['content']['application/json']['metrics'][number];

const NA = 'not available';

/* ------------------------------------------------------------------ quarters */

function responseTime(h: number | null): string {
  if (h === null) return NA;
  return h > 72 ? 'over 72 h' : `≤ ${formatNumber(h)} h`;
}

function earned(q: Quarter): string {
  const entries = Object.entries(q.commission_earned_minor);
  if (!entries.length) return NA;
  return entries.map(([cur, minor]) => formatMoney(minor, cur)).join(', ');
}

function Quarterly() {
  const [count, setCount] = useState(4);
  const state = useAsync(() => unwrap(api.GET('/v1/analytics/quarterly', { params: { query: { quarters: count } } })), [count]);
  return (
    <section class="card stack" aria-labelledby="pf-q-h">
      <h2 id="pf-q-h">Quarter by quarter</h2>
      <div class="field">
        <label for="pf-quarters">Quarters shown</label>
        <select id="pf-quarters" value={String(count)} onInput={(e) => setCount(Number(e.currentTarget.value))}>
          <option value="4">Last 4 quarters</option>
          <option value="8">Last 8 quarters</option>
          <option value="12">Last 12 quarters</option>
        </select>
      </div>
      <AsyncState
        state={state}
        loadingLabel="Loading quarterly figures…"
        isEmpty={(d) => d.quarters.length === 0}
        empty={<EmptyState title={`Quarterly figures are ${NA}.`} />}
      >
        {(d) => {
          const chrono = [...d.quarters].reverse();
          const currencies = Array.from(new Set(chrono.flatMap((q) => Object.keys(q.commission_earned_minor)))).sort();
          return (
            <>
              <div class="db-cols">
                <BarChart title="Leads registered per quarter" data={chrono.map((q) => ({ label: q.quarter, value: q.leads_created }))} />
                <BarChart
                  title="Conversion rate per quarter"
                  data={chrono.map((q) => ({ label: q.quarter, value: q.conversion_rate }))}
                  format={(v) => formatPercent(v, 0)}
                />
                <BarChart title="Leads won per quarter" data={chrono.map((q) => ({ label: q.quarter, value: q.won }))} />
                {currencies.map((cur) => (
                  <BarChart
                    key={cur}
                    title={`Commission earned per quarter (${cur})`}
                    data={chrono.map((q) => ({ label: q.quarter, value: q.commission_earned_minor[cur] ?? 0 }))}
                    format={(v) => formatMoney(v, cur)}
                  />
                ))}
              </div>
              <DataTable
                caption="Figures per quarter"
                rows={d.quarters}
                rowKey={(q) => q.quarter}
                columns={[
                  { key: 'quarter', header: 'Quarter', primary: true },
                  { key: 'leads_created', header: 'Leads', align: 'end', render: (q) => formatNumber(q.leads_created) },
                  { key: 'won', header: 'Won', align: 'end', render: (q) => formatNumber(q.won) },
                  { key: 'lost', header: 'Lost', align: 'end', render: (q) => formatNumber(q.lost) },
                  {
                    key: 'conversion_rate',
                    header: 'Conversion',
                    align: 'end',
                    render: (q) => (q.won + q.lost > 0 ? formatPercent(q.conversion_rate) : NA),
                  },
                  { key: 'median_response_hours', header: 'Median first contact', render: (q) => responseTime(q.median_response_hours) },
                  { key: 'commission', header: 'Commission earned', render: earned },
                  {
                    key: 'score',
                    header: 'Score',
                    align: 'end',
                    render: (q) => (q.score === null ? NA : formatNumber(q.score, { maximumFractionDigits: 1 })),
                  },
                ]}
              />
            </>
          );
        }}
      </AsyncState>
    </section>
  );
}

/* ------------------------------------------------------------------ benchmarks */

const METRIC_LABELS: Record<Metric['metric'], string> = {
  score: 'Performance score',
  conversion_rate: 'Conversion rate',
  median_response_hours: 'Median time to first contact (hours)',
  nps: 'NPS',
  leads_per_quarter: 'Leads per quarter',
};

function metricValue(m: Metric['metric'], v: number | null): string {
  if (v === null) return NA;
  if (m === 'conversion_rate') return formatPercent(v);
  return formatNumber(v, { maximumFractionDigits: 1 });
}

function Benchmarks() {
  const state = useAsync(() => unwrap(api.GET('/v1/analytics/benchmarks')), []);
  return (
    <section class="card stack" aria-labelledby="pf-b-h">
      <h2 id="pf-b-h">Benchmarks</h2>
      <AsyncState
        state={state}
        loadingLabel="Loading benchmarks…"
        isEmpty={(d) => d.metrics.length === 0}
        empty={<EmptyState title={`Benchmarks are ${NA} yet.`} />}
      >
        {(d) => (
          <>
            <p class="muted">
              {d.as_of ? `As of ${formatDate(d.as_of)}, ` : `The date of the figures is ${NA}; `}
              compared with {formatNumber(d.partners)} approved partner{d.partners === 1 ? '' : 's'}.
            </p>
            <DataTable
              caption="Your figures against approved partners"
              rows={d.metrics}
              rowKey={(m) => m.metric}
              columns={[
                { key: 'metric', header: 'Measure', primary: true, render: (m) => METRIC_LABELS[m.metric] ?? m.metric },
                { key: 'value', header: 'You', align: 'end', render: (m) => metricValue(m.metric, m.value) },
                { key: 'average', header: 'Average', align: 'end', render: (m) => metricValue(m.metric, m.average) },
                { key: 'median', header: 'Median', align: 'end', render: (m) => metricValue(m.metric, m.median) },
                {
                  key: 'percentile',
                  header: 'Percentile',
                  align: 'end',
                  render: (m) => (m.percentile === null ? NA : `${formatNumber(m.percentile, { maximumFractionDigits: 0 })}th`),
                },
                { key: 'better', header: 'Better', hideNarrow: true, render: (m) => (m.better === 'higher' ? 'Higher' : 'Lower') },
              ]}
            />
          </>
        )}
      </AsyncState>
    </section>
  );
}

/* ------------------------------------------------------------------ score history */

function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function ScoreHistory() {
  const [days, setDays] = useState(90);
  const state = useAsync(() => {
    const to = new Date();
    const from = new Date(to.getTime() - (days - 1) * 86_400_000);
    return unwrap(api.GET('/v1/analytics/score/history', { params: { query: { from: isoDay(from), to: isoDay(to) } } }));
  }, [days]);
  return (
    <section class="card stack" aria-labelledby="pf-s-h">
      <h2 id="pf-s-h">Score history</h2>
      <div class="field">
        <label for="pf-days">Period</label>
        <select id="pf-days" value={String(days)} onInput={(e) => setDays(Number(e.currentTarget.value))}>
          <option value="30">Last 30 days</option>
          <option value="90">Last 90 days</option>
          <option value="365">Last 12 months</option>
        </select>
      </div>
      <AsyncState
        state={state}
        loadingLabel="Loading score history…"
        isEmpty={(d) => d.snapshots.length === 0}
        empty={<EmptyState title={`Score history is ${NA} yet: scores are recorded every night.`} />}
      >
        {(d) => {
          const last = d.snapshots[d.snapshots.length - 1]!;
          return (
            <>
              <p class="db-spark">
                <Sparkline
                  label={`Daily score from ${formatDate(d.from)} to ${formatDate(d.to)}`}
                  values={d.snapshots.map((s) => s.value)}
                  width={280}
                  height={64}
                />
              </p>
              <p>
                Latest ({formatDate(last.date)}): <strong>{formatNumber(last.value, { maximumFractionDigits: 1 })}</strong>, rank{' '}
                {last.rank !== null && last.of !== null ? `${formatNumber(last.rank)} of ${formatNumber(last.of)}` : NA}.
              </p>
            </>
          );
        }}
      </AsyncState>
    </section>
  );
}

export default function Performance(_props: { me: Me; dashboard: Schemas['Dashboard'] }) {
  return (
    <div class="stack">
      <Quarterly />
      <Benchmarks />
      <ScoreHistory />
    </div>
  );
}
