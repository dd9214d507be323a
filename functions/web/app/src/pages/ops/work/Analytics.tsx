import { api, unwrap } from '../../../api';
import { AsyncState, BarChart, DataTable, EmptyState, Page, formatDate, formatMoney, formatNumber, formatPercent, humanize, useAsync, type Datum } from '../../../ui';
import { PartnerLink } from './shared';
import './ops-work.css';

const PARTNER_ORDER = ['pending', 'under_review', 'approved', 'rejected', 'suspended'];
const TIER_ORDER = ['registered', 'silver', 'gold', 'platinum'];
const FUNNEL_ORDER = ['new', 'contacted', 'qualified', 'proposal', 'won', 'converted', 'lost'];

/** `{ status: count }` → chart data in a known order (unknown keys after, alphabetically). */
function toData(counts: Record<string, number>, order: string[]): Datum[] {
  const keys = [...order.filter((k) => k in counts), ...Object.keys(counts).filter((k) => !order.includes(k)).sort()];
  return keys.map((k) => ({ label: humanize(k), value: counts[k] ?? 0 }));
}

export default function Analytics() {
  const data = useAsync(() => unwrap(api.GET('/v1/admin/analytics')), []);
  return (
    <Page title="Analytics" lead="Portal-wide figures from the nightly run.">
      <AsyncState state={data} loadingLabel="Loading analytics…">
        {(a) => (
          <div class="stack">
            <p class="muted">{a.as_of ? `Figures as of ${formatDate(a.as_of)}.` : 'The nightly figures have not been computed yet.'}</p>
            <section class="ops-section" aria-labelledby="kpi-leads">
              <h2 id="kpi-leads">Leads</h2>
              <dl class="kpi-grid">
                <div>
                  <dt>Total leads</dt>
                  <dd>{formatNumber(a.leads.total)}</dd>
                </div>
                <div>
                  <dt>Won</dt>
                  <dd>{formatNumber(a.leads.won)}</dd>
                </div>
                <div>
                  <dt>Lost</dt>
                  <dd>{formatNumber(a.leads.lost)}</dd>
                </div>
                <div>
                  <dt>Conversion rate</dt>
                  <dd>{formatPercent(a.leads.conversion_rate)}</dd>
                </div>
              </dl>
            </section>
            <div class="chart-grid">
              <div class="card">
                <BarChart title="Lead funnel" data={toData(a.leads.by_status, FUNNEL_ORDER)} />
              </div>
              <div class="card">
                <BarChart title="Partners by status" data={toData(a.partners.by_status, PARTNER_ORDER)} />
              </div>
              <div class="card">
                <BarChart title="Partners by tier" data={toData(a.partners.by_tier, TIER_ORDER)} />
              </div>
            </div>
            <section class="ops-section" aria-labelledby="kpi-commissions">
              <h2 id="kpi-commissions">Commissions per currency</h2>
              <DataTable
                caption="Commissions owed and paid per currency"
                rows={a.commissions}
                rowKey={(c) => c.currency}
                empty={<EmptyState title="No commissions yet" />}
                columns={[
                  { key: 'currency', header: 'Currency', primary: true },
                  { key: 'owed', header: 'Owed', align: 'end', render: (c) => formatMoney(c.owed_minor, c.currency) },
                  { key: 'paid', header: 'Paid', align: 'end', render: (c) => formatMoney(c.paid_minor, c.currency) },
                ]}
              />
            </section>
            <section class="ops-section" aria-labelledby="kpi-top">
              <h2 id="kpi-top">Top partners</h2>
              <DataTable
                caption="Best-scoring partners"
                rows={a.top_partners}
                rowKey={(p) => p.partner_id}
                empty={<EmptyState title="No scored partners yet" />}
                columns={[
                  { key: 'rank', header: 'Rank', align: 'end' },
                  { key: 'name', header: 'Partner', primary: true, render: (p) => <PartnerLink id={p.partner_id} name={p.business_name} /> },
                  { key: 'score', header: 'Score', align: 'end', render: (p) => formatNumber(p.score, { maximumFractionDigits: 1 }) },
                ]}
              />
            </section>
          </div>
        )}
      </AsyncState>
    </Page>
  );
}
