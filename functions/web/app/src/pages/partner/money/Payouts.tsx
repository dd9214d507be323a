import { api, unwrap, type Schemas } from '../../../api';
import {
  EmptyState,
  formatDate,
  formatNumber,
  Link,
  money,
  Page,
  PagedTable,
  StatusBadge,
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
        <PagedTable<Payout>
          pages={pages}
          loadingLabel="Loading payouts…"
          pagerLabel="Payout pages"
          caption="Payouts"
          rowKey={(p) => p.id}
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
      </div>
    </Page>
  );
}
