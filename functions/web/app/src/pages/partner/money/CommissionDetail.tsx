import { api, can, unwrap, useMe, type Schemas } from '../../../api';
import {
  AsyncState,
  DataTable,
  EmptyState,
  Link,
  Page,
  StatusBadge,
  formatDate,
  formatDateTime,
  humanize,
  money,
  useAsync,
  type RouteProps,
} from '../../../ui';
import { COMMISSION_KINDS, COMMISSION_SOURCES, COMMISSION_STATUSES, Details, formatBps } from './shared';
import './money.css';

type Line = Schemas['CommissionLine'];
type Step = Schemas['CommissionStep'];

function byLabel(by: string): string {
  if (by === 'crm') return 'CRM';
  if (by === 'system') return 'System';
  return 'Operations';
}

function LineView({ line }: { line: Line }) {
  const me = useMe();
  const steps = [...(line.history ?? [])].reverse();
  return (
    <div class="stack">
      <section class="card money-section" aria-labelledby="line-h">
        <h2 id="line-h">Line</h2>
        <Details
          items={[
            ['Amount', <strong class="money-amount">{money(line.amount)}</strong>],
            ['Status', <StatusBadge status={line.status} label={COMMISSION_STATUSES[line.status]} />],
            ['Kind', COMMISSION_KINDS[line.kind] ?? humanize(line.kind)],
            ['Description', line.description],
            ['Source', COMMISSION_SOURCES[line.source] ?? humanize(line.source)],
            ['Deal', line.deal_ref],
            ['Deal value', line.deal_value ? money(line.deal_value) : undefined],
            ['Rate', line.rate_bps !== undefined ? formatBps(line.rate_bps) : undefined],
            ['Earned', formatDate(line.earned_at)],
            ['Approved', line.approved_at ? formatDateTime(line.approved_at) : undefined],
            ['Paid', line.paid_at ? formatDate(line.paid_at) : undefined],
            ['Hold reason', line.status === 'held' ? line.hold_reason : undefined],
            ['Cancellation reason', line.status === 'cancelled' ? line.cancel_reason : undefined],
            [
              'Lead',
              line.lead_id ? (
                can(me, 'GET /v1/leads/{lead_id}') ? (
                  <Link href={`/app/leads/${encodeURIComponent(line.lead_id)}`}>View the lead</Link>
                ) : (
                  <code>{line.lead_id}</code>
                )
              ) : undefined,
            ],
            [
              'Payout',
              line.payout_id ? (
                can(me, 'GET /v1/payouts/{payout_id}') ? (
                  <Link href={`/app/payouts/${encodeURIComponent(line.payout_id)}`}>View the payout</Link>
                ) : (
                  <code>{line.payout_id}</code>
                )
              ) : undefined,
            ],
            [
              'Corrects',
              line.corrects ? (
                <Link href={`/app/commissions/${encodeURIComponent(line.corrects)}`}>The line this corrects</Link>
              ) : undefined,
            ],
          ]}
        />
      </section>
      <section class="money-section" aria-labelledby="history-h">
        <h2 id="history-h">Status history</h2>
        <DataTable<Step & { i: number }>
          caption="Status history, newest first"
          rows={steps.map((s, i) => ({ ...s, i }))}
          rowKey={(s) => `${s.at}-${s.i}`}
          empty={<EmptyState title="No status changes yet" />}
          columns={[
            { key: 'at', header: 'When', primary: true, render: (s) => formatDateTime(s.at) },
            {
              key: 'change',
              header: 'Change',
              render: (s) =>
                s.from ? (
                  <>
                    <StatusBadge status={s.from} label={COMMISSION_STATUSES[s.from]} /> <span aria-hidden="true">→</span>
                    <span class="visually-hidden"> to </span>
                    <StatusBadge status={s.to} label={COMMISSION_STATUSES[s.to]} />
                  </>
                ) : (
                  <>
                    Created as <StatusBadge status={s.to} label={COMMISSION_STATUSES[s.to]} />
                  </>
                ),
            },
            { key: 'by', header: 'By', render: (s) => byLabel(s.by) },
            { key: 'reason', header: 'Reason', render: (s) => s.reason ?? '—' },
          ]}
        />
      </section>
    </div>
  );
}

export default function CommissionDetail({ params }: RouteProps) {
  const id = params.id ?? '';
  const line = useAsync(
    () => unwrap(api.GET('/v1/commissions/{commission_id}', { params: { path: { commission_id: id } } })),
    [id],
  );
  return (
    <Page
      title={line.data ? `Commission: ${line.data.description || money(line.data.amount)}` : 'Commission'}
      actions={
        <Link class="button secondary" href="/app/commissions">
          Back to commissions
        </Link>
      }
    >
      <AsyncState state={line} loadingLabel="Loading the commission line…">
        {(l) => <LineView line={l} />}
      </AsyncState>
    </Page>
  );
}
