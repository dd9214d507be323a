import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, can, unwrap, useMe, type Me, type Schemas } from '../../api';
import {
  AsyncState,
  BarChart,
  DataTable,
  EmptyState,
  ErrorState,
  Link,
  Loading,
  Page,
  StatusBadge,
  Tabs,
  formatDateTime,
  formatNumber,
  formatPercent,
  humanize,
  money,
  setQuery,
  useAsync,
  useQuery,
} from '../../ui';
import './insight/dashboard.css';

type Dashboard = Schemas['Dashboard'];

/** Shown where the API has no figure (yet): never a made-up number. */
const NA = 'not available';

/* ------------------------------------------------------------------ lazy panels */

type PanelProps = { me: Me; dashboard: Dashboard };
type PanelModule = { default: ComponentType<PanelProps> };
const panels = new Map<string, ComponentType<PanelProps>>();

/** A tab's content loaded on first use (its code is not in the first load). */
function LazyPanel({ name, load, props }: { name: string; load: () => Promise<PanelModule>; props: PanelProps }) {
  const [Panel, setPanel] = useState<ComponentType<PanelProps> | undefined>(() => panels.get(name));
  const [failed, setFailed] = useState(false);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (Panel) return;
    let live = true;
    setFailed(false);
    load().then(
      (m) => {
        panels.set(name, m.default);
        if (live) setPanel(() => m.default);
      },
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [name, attempt]);
  if (failed) {
    return (
      <ErrorState
        title="This section could not be loaded"
        error={{ status: 0, title: 'Check your connection, then try again.' }}
        onRetry={() => setAttempt((n) => n + 1)}
      />
    );
  }
  if (!Panel) return <Loading label="Loading…" />;
  return <Panel {...props} />;
}

const loadPerformance = () => import('./insight/Performance');
const loadFeedback = () => import('./insight/Feedback');
const loadInsights = () => import('./insight/Insights');

/* ------------------------------------------------------------------ score hero */

const COMPONENT_LABELS: Record<string, string> = {
  conversion: 'Conversion',
  responsiveness: 'Responsiveness',
  pipeline_hygiene: 'Pipeline hygiene',
  customer_satisfaction: 'Customer satisfaction',
  compliance: 'Compliance',
};

function trendText(score: Dashboard['score']): string {
  if (!score.trend) return NA;
  const delta =
    score.delta_30d === null
      ? ''
      : ` (${score.delta_30d > 0 ? '+' : ''}${formatNumber(score.delta_30d, { maximumFractionDigits: 1 })} points in 30 days)`;
  const word = score.trend === 'up' ? 'Rising' : score.trend === 'down' ? 'Falling' : 'Stable';
  return `${word}${delta}`;
}

function ScoreHero({ score }: { score: Dashboard['score'] }) {
  const symbol = score.trend === 'up' ? '▲' : score.trend === 'down' ? '▼' : score.trend === 'stable' ? '▶' : '';
  return (
    <section class="card db-hero" aria-labelledby="db-score-h">
      <div>
        <h2 id="db-score-h">Performance score</h2>
        <p class="db-score">
          {formatNumber(score.value, { maximumFractionDigits: 1 })}
          <small> / 100</small>
        </p>
        <p>
          <span class="muted">Trend: </span>
          {symbol ? <span aria-hidden="true">{symbol} </span> : null}
          {trendText(score)}
        </p>
        <p>
          <span class="muted">Rank among peers: </span>
          {score.rank !== null && score.of !== null ? `${formatNumber(score.rank)} of ${formatNumber(score.of)}` : NA}
        </p>
        <p class="muted small">Computed {formatDateTime(score.computed_at)}</p>
      </div>
      <DataTable
        caption="Components of the score"
        showCaption
        rows={score.components}
        rowKey={(c) => c.code}
        empty={<p class="muted">The components of the score are {NA}.</p>}
        columns={[
          { key: 'code', header: 'Component', primary: true, render: (c) => COMPONENT_LABELS[c.code] ?? humanize(c.code) },
          { key: 'value', header: 'Value', align: 'end', render: (c) => formatPercent(c.value, 0) },
          { key: 'weight', header: 'Weight', align: 'end', render: (c) => `${formatNumber(c.weight)} pts` },
          {
            key: 'contribution',
            header: 'Points',
            align: 'end',
            render: (c) => formatNumber(c.contribution, { maximumFractionDigits: 1 }),
          },
          { key: 'explanation', header: 'Why', hideNarrow: true },
        ]}
      />
    </section>
  );
}

/* ------------------------------------------------------------------ overview */

const FUNNEL: string[] = ['new', 'contacted', 'qualified', 'proposal', 'won', 'converted'];

function Kpi({ label, value }: { label: string; value: string }) {
  return (
    <li>
      <span class="db-kpi-label">{label}</span>
      <span class="db-kpi-value">{value}</span>
    </li>
  );
}

function Overview({ d, me }: { d: Dashboard; me: Me }) {
  const l = d.leads;
  const stages = 'converted' in l.by_status ? FUNNEL : FUNNEL.filter((s) => s !== 'converted');
  const funnel = stages.map((s) => ({ label: humanize(s), value: l.by_status[s] ?? 0 }));
  const commissions = d.commissions;
  return (
    <div class="stack">
      <section aria-labelledby="db-kpi-h">
        <h2 id="db-kpi-h">Key figures</h2>
        <ul class="db-kpis">
          <Kpi label="Leads" value={formatNumber(l.total)} />
          <Kpi label="Open leads" value={formatNumber(l.open)} />
          <Kpi label="Won" value={formatNumber(l.won)} />
          <Kpi label="Lost" value={formatNumber(l.lost)} />
          <Kpi label="Conversion rate" value={l.won + l.lost > 0 ? formatPercent(l.conversion_rate) : NA} />
          <Kpi label="Overdue follow-ups" value={formatNumber(l.overdue_follow_ups)} />
          <Kpi label="NPS" value={d.feedback.nps === null ? NA : formatNumber(d.feedback.nps, { maximumFractionDigits: 0 })} />
          <Kpi label="Survey responses" value={formatNumber(d.feedback.responses)} />
          {commissions.length === 0 ? <Kpi label="Commission earned" value={NA} /> : null}
          {commissions.map((c) => (
            <Kpi key={`e-${c.currency}`} label={`Commission earned (${c.currency})`} value={money(c.earned)} />
          ))}
          {commissions.map((c) => (
            <Kpi key={`p-${c.currency}`} label={`Commission pending (${c.currency})`} value={money(c.pending)} />
          ))}
          {commissions.map((c) => (
            <Kpi key={`d-${c.currency}`} label={`Commission paid (${c.currency})`} value={money(c.paid)} />
          ))}
        </ul>
      </section>
      <div class="db-cols">
        <section class="card" aria-labelledby="db-funnel-h">
          <h2 id="db-funnel-h">Lead funnel</h2>
          {l.total === 0 ? (
            <EmptyState title="No leads yet">
              {can(me, 'POST /v1/leads') ? (
                <p>
                  <Link href="/app/leads/new">Register a lead</Link>
                </p>
              ) : null}
            </EmptyState>
          ) : (
            <>
              <BarChart title="Leads by status" data={funnel} showTitle={false} />
              <p class="muted small">Lost: {formatNumber(l.by_status['lost'] ?? l.lost)}</p>
            </>
          )}
        </section>
        <section class="card stack" aria-labelledby="db-follow-h">
          <h2 id="db-follow-h">Follow-ups due</h2>
          {l.overdue_follow_ups > 0 ? (
            <p>
              <strong>{formatNumber(l.overdue_follow_ups)}</strong> follow-up{l.overdue_follow_ups === 1 ? ' is' : 's are'} overdue.{' '}
              {can(me, 'GET /v1/leads') ? <Link href="/app/leads">Open your leads</Link> : null}
            </p>
          ) : (
            <p>No follow-ups are overdue.</p>
          )}
          <h3>Next actions</h3>
          {d.next_actions.length ? (
            <ul>
              {d.next_actions.map((a) => (
                <li key={a.code}>{a.title}</li>
              ))}
            </ul>
          ) : (
            <p class="muted">Nothing needs your attention right now.</p>
          )}
        </section>
      </div>
    </div>
  );
}

/* ------------------------------------------------------------------ not approved yet */

function OnboardingCall({ me }: { me: Me }) {
  const status = me.partner?.status ?? 'pending';
  const mayOnboard = can(me, 'GET /v1/kyc/documents');
  const text: Record<string, string> = {
    pending: 'Your partner account is not approved yet. Upload your documents and submit your application to get started.',
    under_review: 'Your application is under review. Your figures appear here once your partner account is approved.',
    rejected: 'Your application was not approved.',
    suspended: 'Your partner account is suspended.',
  };
  const closed = status === 'rejected' || status === 'suspended';
  const partner = useAsync(
    () => (closed && can(me, 'GET /v1/partner') ? unwrap(api.GET('/v1/partner')) : Promise.resolve(null)),
    [closed],
  );
  return (
    <section class="card stack" aria-labelledby="db-onboard-h">
      <h2 id="db-onboard-h">
        {status === 'under_review' ? 'Application under review' : closed ? 'Your partner account' : 'Complete your application'}
      </h2>
      <p>
        <StatusBadge status={status} />
      </p>
      <p>{text[status] ?? text['pending']}</p>
      {closed && partner.data ? <p>Reason: {partner.data.status_reason || 'No reason was given.'}</p> : null}
      {partner.error ? <ErrorState error={partner.error} onRetry={partner.reload} /> : null}
      {mayOnboard ? (
        <p>
          <Link class="button" href="/app/onboarding">
            {status === 'pending' ? 'Continue your application' : 'View your application'}
          </Link>
        </p>
      ) : (
        <p class="muted">Your account owner completes the application.</p>
      )}
    </section>
  );
}

/* ------------------------------------------------------------------ page */

const TAB_IDS = ['overview', 'performance', 'feedback', 'insights'];

function Approved({ me }: { me: Me }) {
  const state = useAsync(() => unwrap(api.GET('/v1/dashboard')), []);
  const query = useQuery();
  const asked = query.get('tab') ?? 'overview';
  const tab = TAB_IDS.includes(asked) ? asked : 'overview';
  return (
    <AsyncState state={state} loadingLabel="Loading your dashboard…">
      {(d) =>
        d.partner.status !== 'approved' ? (
          <OnboardingCall me={{ ...me, partner: me.partner ? { ...me.partner, status: d.partner.status as Schemas['PartnerStatus'] } : me.partner }} />
        ) : (
          <div class="stack">
            <ScoreHero score={d.score} />
            <Tabs
              label="Dashboard sections"
              selected={tab}
              onSelect={(id) => setQuery({ tab: id === 'overview' ? null : id })}
              tabs={[
                { id: 'overview', label: 'Overview', content: () => <Overview d={d} me={me} /> },
                {
                  id: 'performance',
                  label: 'Performance',
                  content: () => <LazyPanel name="performance" load={loadPerformance} props={{ me, dashboard: d }} />,
                },
                {
                  id: 'feedback',
                  label: 'Feedback',
                  content: () => <LazyPanel name="feedback" load={loadFeedback} props={{ me, dashboard: d }} />,
                },
                {
                  id: 'insights',
                  label: 'Insights',
                  content: () => <LazyPanel name="insights" load={loadInsights} props={{ me, dashboard: d }} />,
                },
              ]}
            />
          </div>
        )
      }
    </AsyncState>
  );
}

export default function Dashboard() {
  const me = useMe();
  const name = me?.user.first_name || me?.user.email || '';
  const approved = !me?.partner || me.partner.status === 'approved';
  return (
    <Page title="Dashboard" heading={`Welcome, ${name}`} lead={me?.partner?.business_name}>
      {!me ? null : approved ? <Approved me={me} /> : <OnboardingCall me={me} />}
    </Page>
  );
}
