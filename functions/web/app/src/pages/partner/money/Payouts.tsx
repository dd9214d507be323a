import { api, unwrap, type Schemas } from '../../../api';
import {
  DataTable,
  EmptyState,
  ErrorState,
  Link,
  Loading,
  Page,
  Pager,
  StatusBadge,
  formatDate,
  formatNumber,
  money,
  useCursorPages,
} from '../../../ui';
import { PAYOUT_STATUSES } from './shared';
import './money.css';

type Payout = Schemas['Payout'];

export default function Payouts() {
  const pages = useCursorPages((cursor) => unwrap(api.GET('/v1/payouts', { params: { query: { cursor, limit: 25 } } })), []);
  return (
    <Page
      title="Payouts"
      lead="Transfers of approved commissions to your bank account, newest first."
      actions={
        <Link class="button secondary" href="/app/commissions">
          Commissions
        </Link>
      }
    >
      <div class="stack">
        {pages.error ? <ErrorState error={pages.error} onRetry={pages.reload} /> : null}
        {pages.loading && pages.items.length === 0 ? (
          <Loading label="Loading payouts…" />
        ) : !pages.error || pages.items.length ? (
          <DataTable<Payout>
            caption="Payouts"
            rows={pages.items}
            rowKey={(p) => p.id}
            busy={pages.loading}
            empty={
              <EmptyState title="No payouts yet">
                <p>Approved commissions are paid out on the next payout date.</p>
              </EmptyState>
            }
            columns={[
              {
                key: 'created_at',
                header: 'Created',
                primary: true,
                render: (p) => <Link href={`/app/payouts/${encodeURIComponent(p.id)}`}>Payout of {formatDate(p.created_at)}</Link>,
              },
              { key: 'status', header: 'Status', render: (p) => <StatusBadge status={p.status} label={PAYOUT_STATUSES[p.status]} /> },
              { key: 'line_count', header: 'Lines', align: 'end', render: (p) => formatNumber(p.line_count) },
              { key: 'reference', header: 'Reference', hideNarrow: true, render: (p) => p.reference ?? '—' },
              { key: 'paid_at', header: 'Paid', render: (p) => formatDate(p.paid_at) },
              { key: 'amount', header: 'Amount', align: 'end', render: (p) => <span class="money-amount">{money(p.amount)}</span> },
            ]}
          />
        ) : null}
        <Pager pages={pages} label="Payout pages" />
      </div>
    </Page>
  );
}
