import { useState } from 'preact/hooks';
import { api, unwrap, type Me, type Schemas, type paths } from '../../../api';
import { AsyncState, EmptyState, Link, StatusBadge, humanize, useAsync, type Tone } from '../../../ui';
import './dashboard.css';

type Insight = paths['/v1/insights']['get']['responses'][200]['content']['application/json']['insights'][number];
type Ref = Insight['objects'][number];

const SEVERITY: Record<Insight['severity'], { tone: Tone; label: string }> = {
  critical: { tone: 'danger', label: 'Critical' },
  warning: { tone: 'warning', label: 'Warning' },
  info: { tone: 'info', label: 'Info' },
};

const SHOWN = 8;

/** Where an object an insight names is shown in the portal (null: nowhere to link). */
function hrefOf(o: Ref): string | null {
  const id = encodeURIComponent(o.id);
  switch (o.type) {
    case 'lead':
      return `/app/leads/${id}`;
    case 'commission':
      return `/app/commissions/${id}`;
    case 'payout':
      return `/app/payouts/${id}`;
    case 'kyc_document':
      return '/app/onboarding';
    default:
      return null;
  }
}

function objectName(o: Ref, i: number): string {
  return `${humanize(o.type)} ${i + 1}`;
}

function Objects({ insight }: { insight: Insight }) {
  const [all, setAll] = useState(false);
  const list = all ? insight.objects : insight.objects.slice(0, SHOWN);
  if (!insight.objects.length) return null;
  return (
    <>
      <ul class="db-objects" aria-label={`Concerned by: ${insight.title}`}>
        {list.map((o, i) => {
          const href = hrefOf(o);
          const name = objectName(o, i);
          return (
            <li key={`${o.type}-${o.id}`}>
              {href ? (
                <Link href={href} title={o.id}>
                  {name}
                </Link>
              ) : (
                <span title={o.id}>{name}</span>
              )}
            </li>
          );
        })}
      </ul>
      {insight.objects.length > SHOWN ? (
        <button type="button" class="link-button" onClick={() => setAll(!all)} aria-expanded={all ? 'true' : 'false'}>
          {all ? 'Show fewer' : `Show all ${insight.objects.length}`}
        </button>
      ) : null}
    </>
  );
}

export default function Insights(_props: { me: Me; dashboard: Schemas['Dashboard'] }) {
  const state = useAsync(() => unwrap(api.GET('/v1/insights')), []);
  return (
    <section class="card stack" aria-labelledby="in-h">
      <h2 id="in-h">Recommendations</h2>
      <AsyncState
        state={state}
        loadingLabel="Loading recommendations…"
        isEmpty={(d) => d.insights.length === 0}
        empty={
          <EmptyState title="Nothing to act on right now">
            <p>Recommendations appear here when your figures or leads call for action.</p>
          </EmptyState>
        }
      >
        {(d) => (
          <ul class="db-list">
            {d.insights.map((ins) => {
              const sev = SEVERITY[ins.severity] ?? { tone: 'neutral' as Tone, label: humanize(ins.severity) };
              return (
                <li key={ins.code}>
                  <StatusBadge status={ins.severity} tone={sev.tone} label={sev.label} />
                  <h3>{ins.title}</h3>
                  <p>{ins.detail}</p>
                  <Objects insight={ins} />
                </li>
              );
            })}
          </ul>
        )}
      </AsyncState>
    </section>
  );
}
