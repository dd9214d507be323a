import { api, can, unwrap, useMe, type Schemas } from '../../../api';
import {
  AsyncState,
  EmptyState,
  FilterBar,
  type FilterDef,
  formatDate,
  Link,
  money,
  optionsOf,
  Page,
  PagedTable,
  type RouteProps,
  StatusBadge,
  useAsync,
  useCursorPages,
} from '../../../ui';
import {
  COMMISSION_KINDS,
  COMMISSION_STATUSES,
  dateOnly,
  oneOf,
} from './shared';
import './money.css';

type Line = Schemas['CommissionLine'];
type Totals = Schemas['CurrencyTotals'];

const CARDS: { key: keyof Omit<Totals, 'currency'>; label: string }[] = [
  { key: 'earned', label: 'Earned' },
  { key: 'pending', label: 'Pending' },
  { key: 'approved', label: 'Approved' },
  { key: 'held', label: 'Held' },
  { key: 'paid', label: 'Paid' },
  { key: 'cancelled', label: 'Cancelled' },
  { key: 'balance', label: 'Balance due' },
];

const FILTERS: FilterDef[] = [
  { name: 'status', label: 'Status', type: 'select', options: optionsOf(COMMISSION_STATUSES), any: 'Any status' },
  { name: 'kind', label: 'Kind', type: 'select', options: optionsOf(COMMISSION_KINDS), any: 'Any kind' },
  { name: 'lead_id', label: 'Lead ID', type: 'text' },
  { name: 'from', label: 'Earned from', type: 'date' },
  { name: 'to', label: 'Earned to', type: 'date' },
];

function Summary() {
  const summary = useAsync(() => unwrap(api.GET('/v1/commissions/summary')), []);
  return (
    <section class="money-section" aria-labelledby="commission-summary-h">
      <h2 id="commission-summary-h">Summary</h2>
      <AsyncState
        state={summary}
        loadingLabel="Loading the summary…"
        isEmpty={(s) => s.currencies.length === 0}
        empty={<EmptyState title="No commissions yet">Commissions appear here once your leads are won.</EmptyState>}
      >
        {(s) => (
          <div class="stack">
            {s.currencies.map((c) => (
              <section key={c.currency} aria-label={`Totals in ${c.currency}`}>
                {s.currencies.length > 1 ? <h3>{c.currency}</h3> : null}
                <ul class="money-cards">
                  {CARDS.map((card) => (
                    <li key={card.key} class="card money-card">
                      <p class="money-card-label">{card.label}</p>
                      <p class="money-card-value">{money(c[card.key])}</p>
                    </li>
                  ))}
                </ul>
              </section>
            ))}
            {s.next_payout_date ? (
              <p>
                Next payout date: <strong>{formatDate(s.next_payout_date)}</strong>
              </p>
            ) : null}
          </div>
        )}
      </AsyncState>
    </section>
  );
}

function Ledger({ query }: { query: URLSearchParams }) {
  const status = oneOf(query.get('status'), COMMISSION_STATUSES);
  const kind = oneOf(query.get('kind'), COMMISSION_KINDS);
  const lead_id = query.get('lead_id')?.trim() || undefined;
  const from = dateOnly(query.get('from'));
  const to = dateOnly(query.get('to'));
  const pages = useCursorPages(
    (cursor) =>
      unwrap(api.GET('/v1/commissions', { params: { query: { cursor, limit: 25, status, kind, lead_id, from, to } } })),
    [status, kind, lead_id, from, to],
  );
  const filtered = !!(status || kind || lead_id || from || to);
  return (
    <section class="money-section" aria-labelledby="commission-ledger-h">
      <h2 id="commission-ledger-h">Ledger</h2>
      <FilterBar filters={FILTERS} label="Filter commissions" />
      <div class="stack">
        <PagedTable<Line>
          pages={pages}
          loadingLabel="Loading commissions…"
          pagerLabel="Commission pages"
          caption="Commission lines"
          rowKey={(l) => l.id}
          empty={
            <EmptyState title={filtered ? 'No commission lines match these filters' : 'No commission lines yet'}>
              {filtered ? <p>Try other filters, or clear them.</p> : null}
            </EmptyState>
          }
          columns={[
            {
              key: 'description',
              header: 'Description',
              primary: true,
              render: (l) => <Link href={`/app/commissions/${encodeURIComponent(l.id)}`}>{l.description || 'Commission line'}</Link>,
            },
            { key: 'earned_at', header: 'Earned', render: (l) => formatDate(l.earned_at) },
            { key: 'kind', header: 'Kind', render: (l) => COMMISSION_KINDS[l.kind] ?? l.kind },
            {
              key: 'status',
              header: 'Status',
              render: (l) => <StatusBadge status={l.status} label={COMMISSION_STATUSES[l.status]} />,
            },
            { key: 'deal_ref', header: 'Deal', hideNarrow: true, render: (l) => l.deal_ref ?? '—' },
            {
              key: 'amount',
              header: 'Amount',
              align: 'end',
              render: (l) => <span class="money-amount">{money(l.amount)}</span>,
            },
          ]}
        />
      </div>
    </section>
  );
}

export default function Commissions({ query }: RouteProps) {
  const me = useMe();
  return (
    <Page
      title="Commissions"
      lead="What you have earned, what is on its way and what has been paid. Totals are kept per currency."
      actions={
        <>
          {can(me, 'GET /v1/payouts') ? (
            <Link class="button secondary" href="/app/payouts">
              Payouts
            </Link>
          ) : null}
          {can(me, 'POST /v1/exports') ? (
            <Link class="button secondary" href="/app/exports?kind=commissions">
              Export
            </Link>
          ) : null}
        </>
      }
    >
      <Summary />
      <Ledger query={query} />
    </Page>
  );
}
