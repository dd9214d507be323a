import { api, unwrap, type Schemas } from '../../../api';
import {
  Alert,
  AsyncState,
  DataTable,
  EmptyState,
  Link,
  Page,
  StatusBadge,
  formatDate,
  formatDateTime,
  formatNumber,
  money,
  useAsync,
  type RouteProps,
} from '../../../ui';
import { COMMISSION_KINDS, COMMISSION_STATUSES, Details, PAYOUT_STATUSES } from './shared';
import './money.css';

type Line = Schemas['CommissionLine'];
type PayoutWithLines = Schemas['PayoutWithLines'];

function PayoutView({ payout }: { payout: PayoutWithLines }) {
  return (
    <div class="stack">
      {payout.status === 'failed' ? (
        <Alert tone="error" title="This payout failed">
          <p>{payout.failure_reason ?? 'The transfer did not go through. Its lines will be paid in a later payout.'}</p>
        </Alert>
      ) : null}
      <section class="card" aria-labelledby="payout-h">
        <h2 id="payout-h">Payout</h2>
        <Details
          items={[
            ['Amount', <strong class="money-amount">{money(payout.amount)}</strong>],
            ['Status', <StatusBadge status={payout.status} label={PAYOUT_STATUSES[payout.status]} />],
            ['Lines', formatNumber(payout.line_count)],
            ['Reference', payout.reference],
            ['Created', formatDateTime(payout.created_at)],
            ['Paid', payout.paid_at ? formatDateTime(payout.paid_at) : undefined],
          ]}
        />
      </section>
      <section class="money-section" aria-labelledby="payout-lines-h">
        <h2 id="payout-lines-h">Commission lines</h2>
        <DataTable<Line>
          caption="Commission lines in this payout"
          rows={payout.lines}
          rowKey={(l) => l.id}
          empty={<EmptyState title="No lines in this payout" />}
          columns={[
            {
              key: 'description',
              header: 'Description',
              primary: true,
              render: (l) => <Link href={`/app/commissions/${encodeURIComponent(l.id)}`}>{l.description || 'Commission line'}</Link>,
            },
            { key: 'earned_at', header: 'Earned', render: (l) => formatDate(l.earned_at) },
            { key: 'kind', header: 'Kind', render: (l) => COMMISSION_KINDS[l.kind] ?? l.kind },
            { key: 'status', header: 'Status', render: (l) => <StatusBadge status={l.status} label={COMMISSION_STATUSES[l.status]} /> },
            { key: 'amount', header: 'Amount', align: 'end', render: (l) => <span class="money-amount">{money(l.amount)}</span> },
          ]}
        />
      </section>
    </div>
  );
}

export default function PayoutDetail({ params }: RouteProps) {
  const id = params.id ?? '';
  const payout = useAsync(() => unwrap(api.GET('/v1/payouts/{payout_id}', { params: { path: { payout_id: id } } })), [id]);
  return (
    <Page
      title={payout.data ? `Payout of ${formatDate(payout.data.created_at)}` : 'Payout'}
      actions={
        <Link class="button secondary" href="/app/payouts">
          Back to payouts
        </Link>
      }
    >
      <AsyncState state={payout} loadingLabel="Loading the payout…">
        {(p) => <PayoutView payout={p} />}
      </AsyncState>
    </Page>
  );
}
