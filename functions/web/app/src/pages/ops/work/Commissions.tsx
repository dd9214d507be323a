import { useState } from 'preact/hooks';
import { api, can, unwrap, useMe, type Schemas } from '../../../api';
import {
  Alert,
  type Column,
  EmptyState,
  FilterBar,
  Form,
  formatDate,
  formatDateTime,
  humanize,
  ifMatch,
  money,
  Page,
  PagedTable,
  RadioGroupField,
  SelectField,
  StatusBadge,
  SubmitButton,
  TextAreaField,
  TextField,
  toast,
  useCursorPages,
  useForm,
  useQuery,
} from '../../../ui';
import { ActionProblem, ItemDialog, PartnerLink, PartnerPicker, currencyOptions, enumOptions, localDateTimeToIso, parseMajorToMinor, q, shortId, useIdempotencyKey, useRowAction } from './shared';

type Line = Schemas['AdminCommissionLine'];
type Payout = Schemas['AdminPayout'];
type PayoutItem = Schemas['AdminPayoutListItem'];
type PayoutStatus = Schemas['PayoutStatus'];
type Outcome = 'paid' | 'failed';
/** The payout to settle: from a payout row (with its amount and partner) or from a line in it. */
type SettleTarget = { id: string; payout?: PayoutItem; outcome: Outcome };
type Currency = Schemas['Currency'];
type Kind = Schemas['CommissionKind'];
type NewLineBody = Schemas['NewCommissionLine'];
type LineAction = 'approve' | 'hold' | 'release' | 'cancel';

const STATUSES: Schemas['CommissionStatus'][] = ['pending', 'approved', 'held', 'paid', 'cancelled'];
const KINDS: Kind[] = ['earning', 'adjustment', 'clawback'];
const PAYOUT_STATUSES: PayoutStatus[] = ['processing', 'paid', 'failed'];

/** The moves the status machine allows from each status. */
const ALLOWED: Record<string, LineAction[]> = {
  pending: ['approve', 'hold', 'cancel'],
  approved: ['hold', 'cancel'],
  held: ['release', 'cancel'],
};
const ACTION_LABEL: Record<LineAction, string> = { approve: 'Approve', hold: 'Hold', release: 'Release', cancel: 'Cancel' };

/* ------------------------------------------------------------ new line */

function NewLineForm({ onCreated, onCancel }: { onCreated: (l: Line) => void; onCancel: () => void }) {
  const key = useIdempotencyKey();
  const form = useForm({
    initial: {
      partner_id: '',
      kind: 'earning' as Kind,
      lead_id: '',
      deal_ref: '',
      amount: '',
      currency: 'ZAR' as Currency,
      description: '',
      corrects: '',
      earned_at: '',
    },
    fieldAliases: { 'amount.amount_minor': 'amount', 'amount.currency': 'currency' },
    validate: (v) => {
      const parsed = parseMajorToMinor(v.amount, v.currency);
      let amount: string | undefined;
      if ('error' in parsed) amount = parsed.error;
      else if (v.kind === 'earning' && parsed.minor <= 0) amount = 'An earning is more than zero.';
      else if (v.kind === 'clawback' && parsed.minor >= 0) amount = 'A clawback is negative, such as -250.00.';
      else if (v.kind === 'adjustment' && parsed.minor === 0) amount = 'An adjustment is not zero.';
      return {
        partner_id: v.partner_id ? undefined : 'Choose the partner.',
        amount,
        description: v.description.trim() ? undefined : 'Describe the commission.',
        corrects: v.kind !== 'earning' && !v.corrects.trim() ? 'Enter the id of the line this corrects.' : undefined,
      };
    },
    onSubmit: async (v) => {
      const parsed = parseMajorToMinor(v.amount, v.currency);
      if ('error' in parsed) return;
      const base = {
        partner_id: v.partner_id,
        lead_id: v.lead_id.trim() || null,
        deal_ref: v.deal_ref.trim() || null,
        description: v.description.trim(),
        amount: { amount_minor: parsed.minor, currency: v.currency },
        earned_at: localDateTimeToIso(v.earned_at),
      };
      const body: NewLineBody = v.kind === 'earning' ? { ...base, kind: 'earning' } : { ...base, kind: v.kind, corrects: v.corrects.trim() };
      const line = await key.send((k) =>
        unwrap(
          api.POST('/v1/admin/commissions', {
            params: { header: { 'Idempotency-Key': k } },
            // The generated type of this body (anyOf branches) is stricter than its schema: checked above as NewLineBody.
            body: body as never,
          }),
        ),
      );
      toast.success(`Commission line of ${money(line.amount)} created (pending).`);
      onCreated(line);
    },
  });
  form.register('partner_id');
  return (
    <Form form={form} class="stack">
      <PartnerPicker name="partner_id" id={form.controlId('partner_id')} value={form.values.partner_id} onChange={(id) => form.set('partner_id', id)} error={form.error('partner_id')} autoFocus />
      <SelectField form={form} name="kind" label="Kind" options={enumOptions(KINDS)} />
      <div class="grid-2">
        <TextField
          form={form}
          name="amount"
          label="Amount"
          inputMode="decimal"
          autoComplete="off"
          required
          hint={form.values.kind === 'clawback' ? 'Negative, in the currency’s major unit (e.g. -250.00).' : 'In the currency’s major unit (e.g. 1234.50).'}
        />
        <SelectField form={form} name="currency" label="Currency" options={currencyOptions} />
      </div>
      <TextAreaField form={form} name="description" label="Description" rows={2} maxLength={500} required />
      {form.values.kind !== 'earning' ? (
        <TextField form={form} name="corrects" label="Corrects line" hint="The id of the partner’s line this corrects (same currency)." required />
      ) : null}
      <div class="grid-2">
        <TextField form={form} name="lead_id" label="Lead ID" optional hint="A lead of this partner." />
        <TextField form={form} name="deal_ref" label="Deal reference" optional maxLength={100} />
      </div>
      <TextField form={form} name="earned_at" label="Earned at" type="datetime-local" optional hint="Defaults to now." />
      <div class="button-row">
        <SubmitButton form={form} busyLabel="Creating…">
          Create line
        </SubmitButton>
        <button type="button" class="secondary" onClick={onCancel}>
          Close
        </button>
      </div>
    </Form>
  );
}

/* ------------------------------------------------------------ hold / cancel with a reason */

function ReasonForm({ line, action, onDone, onCancel }: { line: Line; action: 'hold' | 'cancel'; onDone: () => void; onCancel: () => void }) {
  const form = useForm({
    initial: { reason: '' },
    validate: (v) => ({ reason: v.reason.trim() ? undefined : 'Give a reason.' }),
    onSubmit: async (v) => {
      await unwrap(
        api.POST('/v1/admin/commissions/{commission_id}/status', {
          params: { path: { commission_id: line.id }, header: { 'If-Match': ifMatch(line.version) } },
          body: { action, reason: v.reason.trim() },
        }),
      );
      toast.success(action === 'hold' ? 'The line is on hold.' : 'The line was cancelled.');
      onDone();
    },
  });
  return (
    <Form form={form} class="stack">
      <p>
        {line.description} · <strong>{money(line.amount)}</strong>
      </p>
      <TextAreaField
        form={form}
        name="reason"
        label="Reason"
        rows={3}
        maxLength={500}
        required
        hint={action === 'hold' ? 'The partner is emailed that the line is on hold.' : 'Cancelling is final.'}
      />
      <div class="button-row">
        <SubmitButton form={form} busyLabel="Saving…" class={action === 'cancel' ? 'danger' : undefined}>
          {action === 'hold' ? 'Hold line' : 'Cancel line'}
        </SubmitButton>
        <button type="button" class="secondary" onClick={onCancel}>
          Close
        </button>
      </div>
    </Form>
  );
}

/* ------------------------------------------------------------ payouts */

function NewPayoutForm({ onCreated, onCancel }: { onCreated: (p: Payout) => void; onCancel: () => void }) {
  const key = useIdempotencyKey();
  const form = useForm({
    initial: { partner_id: '', currency: 'ZAR' as Currency, commission_ids: '' },
    validate: (v) => {
      const ids = splitIds(v.commission_ids);
      return {
        partner_id: v.partner_id ? undefined : 'Choose the partner to pay.',
        commission_ids: ids.length > 90 ? 'A payout holds at most 90 lines.' : undefined,
      };
    },
    onSubmit: async (v) => {
      const ids = splitIds(v.commission_ids);
      const payout = await key.send((k) =>
        unwrap(
          api.POST('/v1/admin/payouts', {
            params: { header: { 'Idempotency-Key': k } },
            body: { partner_id: v.partner_id, currency: v.currency, commission_ids: ids.length ? ids : null },
          }),
        ),
      );
      toast.success(`Payout of ${money(payout.amount)} created (${payout.line_count} lines).`);
      onCreated(payout);
    },
  });
  form.register('partner_id');
  return (
    <Form form={form} class="stack">
      <PartnerPicker name="partner_id" id={form.controlId('partner_id')} value={form.values.partner_id} onChange={(id) => form.set('partner_id', id)} error={form.error('partner_id')} autoFocus />
      <SelectField form={form} name="currency" label="Currency" options={currencyOptions} />
      <TextAreaField
        form={form}
        name="commission_ids"
        label="Commission IDs"
        optional
        rows={3}
        hint="The approved lines to pay, separated by spaces, commas or new lines. Leave empty to pay the oldest approved lines in this currency (at most 90)."
      />
      <div class="button-row">
        <SubmitButton form={form} busyLabel="Creating…">
          Create payout
        </SubmitButton>
        <button type="button" class="secondary" onClick={onCancel}>
          Close
        </button>
      </div>
    </Form>
  );
}

function splitIds(text: string): string[] {
  return [...new Set(text.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean))];
}

function SettleForm({ target, onDone, onCancel }: { target: SettleTarget; onDone: (p: Payout) => void; onCancel: () => void }) {
  const form = useForm({
    initial: { status: target.outcome, reference: '', paid_at: '', reason: '' },
    validate: (v) => ({
      reason: v.status === 'failed' && !v.reason.trim() ? 'Say why the payout failed.' : undefined,
    }),
    onSubmit: async (v) => {
      const body =
        v.status === 'paid'
          ? { status: 'paid' as const, reference: v.reference.trim() || null, paid_at: localDateTimeToIso(v.paid_at) }
          : { status: 'failed' as const, reason: v.reason.trim() };
      const payout = await unwrap(api.POST('/v1/admin/payouts/{payout_id}/status', { params: { path: { payout_id: target.id } }, body }));
      toast.success(payout.status === 'paid' ? 'The payout is marked paid; the partner is emailed a statement.' : 'The payout is marked failed; its lines are released.');
      onDone(payout);
    },
  });
  const p = target.payout;
  return (
    <Form form={form} class="stack">
      <p>
        Payout <code class="break">{target.id}</code>
        {p ? (
          <>
            {' '}
            · <strong>{money(p.amount)}</strong> to <PartnerLink id={p.partner_id} /> · {p.line_count} {p.line_count === 1 ? 'line' : 'lines'}
          </>
        ) : null}
      </p>
      <RadioGroupField
        form={form}
        name="status"
        label="Outcome"
        inline
        options={[
          { value: 'paid', label: 'Paid' },
          { value: 'failed', label: 'Failed' },
        ]}
      />
      {form.values.status === 'paid' ? (
        <>
          <TextField form={form} name="reference" label="Reference" optional maxLength={200} hint="The bank’s or payment provider’s reference." />
          <TextField form={form} name="paid_at" label="Paid at" type="datetime-local" optional hint="When the money left; defaults to now." />
        </>
      ) : (
        <TextAreaField form={form} name="reason" label="Reason" rows={2} maxLength={500} required hint="Its lines are released for another payout." />
      )}
      <div class="button-row">
        <SubmitButton form={form} busyLabel="Saving…" class={form.values.status === 'failed' ? 'danger' : undefined}>
          {form.values.status === 'paid' ? 'Mark paid' : 'Mark failed'}
        </SubmitButton>
        <button type="button" class="secondary" onClick={onCancel}>
          Close
        </button>
      </div>
    </Form>
  );
}

/* ------------------------------------------------------------ page */

export default function Commissions() {
  const me = useMe();
  const query = useQuery();
  const mayCreate = can(me, 'POST /v1/admin/commissions');
  const mayMove = can(me, 'POST /v1/admin/commissions/{commission_id}/status');
  const mayPayout = can(me, 'POST /v1/admin/payouts');
  const maySettle = can(me, 'POST /v1/admin/payouts/{payout_id}/status');
  const action = useRowAction();
  const [creating, setCreating] = useState(false);
  const [paying, setPaying] = useState(false);
  const [settling, setSettling] = useState<SettleTarget | null>(null);
  const [reasonFor, setReasonFor] = useState<{ line: Line; action: 'hold' | 'cancel' } | null>(null);

  const filters = {
    status: q(query, 'status') as Schemas['CommissionStatus'] | undefined,
    partner_id: q(query, 'partner_id'),
    kind: q(query, 'kind') as Kind | undefined,
    from: q(query, 'from'),
    to: q(query, 'to'),
  };
  const lines = useCursorPages(
    (cursor) => unwrap(api.GET('/v1/admin/commissions', { params: { query: { ...filters, cursor, limit: 25 } } })),
    [filters],
  );
  // The payout list has filters of its own (`payout_*` in the address).
  const payoutFilters = {
    status: q(query, 'payout_status') as PayoutStatus | undefined,
    partner_id: q(query, 'payout_partner_id'),
  };
  const payouts = useCursorPages(
    (cursor) => unwrap(api.GET('/v1/admin/payouts', { params: { query: { ...payoutFilters, cursor, limit: 25 } } })),
    [payoutFilters],
  );

  const move = (line: Line, act: 'approve' | 'release') =>
    action
      .run(
        `${line.id}:${act}`,
        () =>
          unwrap(
            api.POST('/v1/admin/commissions/{commission_id}/status', {
              params: { path: { commission_id: line.id }, header: { 'If-Match': ifMatch(line.version) } },
              body: { action: act },
            }),
          ),
        act === 'approve' ? 'The line is approved.' : 'The line is released.',
      )
      .then((ok) => ok && lines.reload());

  const payoutColumns: Column<PayoutItem>[] = [
    {
      key: 'id',
      header: 'Payout',
      primary: true,
      render: (p) => (
        <>
          <code title={p.id}>{shortId(p.id)}</code>
          <div class="muted small">
            {p.line_count} {p.line_count === 1 ? 'line' : 'lines'}
          </div>
        </>
      ),
    },
    { key: 'partner', header: 'Partner', render: (p) => <PartnerLink id={p.partner_id} /> },
    { key: 'amount', header: 'Amount', align: 'end', render: (p) => money(p.amount) },
    {
      key: 'status',
      header: 'Status',
      render: (p) => (
        <>
          <StatusBadge status={p.status} />
          {p.status === 'paid' && p.reference ? <div class="muted small">Reference {p.reference}</div> : null}
          {p.status === 'failed' && p.failure_reason ? <div class="muted small">{p.failure_reason}</div> : null}
        </>
      ),
    },
    { key: 'created', header: 'Created', hideNarrow: true, render: (p) => <span title={formatDateTime(p.created_at)}>{formatDate(p.created_at)}</span> },
    {
      key: 'paid',
      header: 'Paid',
      hideNarrow: true,
      render: (p) => (p.paid_at ? <span title={formatDateTime(p.paid_at)}>{formatDate(p.paid_at)}</span> : <span class="muted">—</span>),
    },
  ];
  if (maySettle) {
    payoutColumns.push({
      key: 'actions',
      header: 'Actions',
      render: (p) =>
        p.status === 'processing' ? (
          <div class="row-actions">
            <button type="button" class="secondary" title={`Mark payout ${shortId(p.id)} paid`} onClick={() => setSettling({ id: p.id, payout: p, outcome: 'paid' })}>
              Mark paid
            </button>
            <button type="button" class="secondary danger-text" title={`Mark payout ${shortId(p.id)} failed`} onClick={() => setSettling({ id: p.id, payout: p, outcome: 'failed' })}>
              Mark failed
            </button>
          </div>
        ) : (
          <span class="muted small">—</span>
        ),
    });
  }

  const columns: Column<Line>[] = [
    {
      key: 'description',
      header: 'Line',
      primary: true,
      render: (l) => (
        <>
          {l.description}
          <div class="muted small">
            {humanize(l.kind)}
            {l.deal_ref ? ` · Deal ${l.deal_ref}` : ''}
            {l.lead_id ? ` · Lead ${shortId(l.lead_id)}` : ''}
          </div>
        </>
      ),
    },
    { key: 'partner', header: 'Partner', render: (l) => <PartnerLink id={l.partner_id} /> },
    { key: 'amount', header: 'Amount', align: 'end', render: (l) => money(l.amount) },
    {
      key: 'status',
      header: 'Status',
      render: (l) => (
        <>
          <StatusBadge status={l.status} label={l.status === 'held' ? 'On hold' : undefined} />
          {l.hold_reason && l.status === 'held' ? <div class="muted small">{l.hold_reason}</div> : null}
          {l.cancel_reason && l.status === 'cancelled' ? <div class="muted small">{l.cancel_reason}</div> : null}
        </>
      ),
    },
    { key: 'earned', header: 'Earned', hideNarrow: true, render: (l) => <span title={formatDateTime(l.earned_at)}>{formatDate(l.earned_at)}</span> },
    {
      key: 'payout',
      header: 'Payout',
      hideNarrow: true,
      render: (l) => (l.payout_id ? <code title={l.payout_id}>{shortId(l.payout_id)}</code> : <span class="muted">—</span>),
    },
    { key: 'crm', header: 'CRM', hideNarrow: true, render: (l) => <StatusBadge status={l.crm_sync.state} tone={l.crm_sync.state === 'synced' ? 'success' : l.crm_sync.state === 'pending' ? 'neutral' : 'danger'} /> },
  ];
  if (mayMove || maySettle) {
    columns.push({
      key: 'actions',
      header: 'Actions',
      render: (l) => {
        const allowed = mayMove ? (ALLOWED[l.status] ?? []) : [];
        const inPayout = !!l.payout_id && l.status === 'approved';
        if (!allowed.length && !(maySettle && inPayout)) return <span class="muted small">—</span>;
        return (
          <div class="row-actions">
            {allowed.map((a) => {
              const busyKey = `${l.id}:${a}`;
              return (
                <button
                  key={a}
                  type="button"
                  class={a === 'cancel' ? 'secondary danger-text' : 'secondary'}
                  disabled={!!action.busy}
                  aria-busy={action.busy === busyKey ? 'true' : undefined}
                  title={`${ACTION_LABEL[a]}: ${l.description}`}
                  onClick={() => {
                    if (a === 'approve' || a === 'release') void move(l, a);
                    else setReasonFor({ line: l, action: a });
                  }}
                >
                  {action.busy === busyKey ? <span class="spinner spinner-inline" aria-hidden="true" /> : null}
                  {ACTION_LABEL[a]}
                </button>
              );
            })}
            {maySettle && inPayout ? (
              <button type="button" class="secondary" onClick={() => setSettling({ id: l.payout_id!, outcome: 'paid' })}>
                Settle payout
              </button>
            ) : null}
          </div>
        );
      },
    });
  }

  return (
    <Page
      title="Commissions"
      lead="Commission lines across partners, and their payouts."
      actions={
        <>
          {mayCreate ? (
            <button type="button" onClick={() => setCreating(true)}>
              New commission line
            </button>
          ) : null}
          {mayPayout ? (
            <button type="button" class="secondary" onClick={() => setPaying(true)}>
              Create payout
            </button>
          ) : null}
        </>
      }
    >
      <FilterBar
        label="Filter commission lines"
        filters={[
          { name: 'status', label: 'Status', type: 'select', options: enumOptions(STATUSES) },
          { name: 'kind', label: 'Kind', type: 'select', options: enumOptions(KINDS) },
          { name: 'partner_id', label: 'Partner ID', type: 'text' },
          { name: 'from', label: 'Earned from', type: 'date' },
          { name: 'to', label: 'Earned to', type: 'date' },
        ]}
      />
      {!mayMove ? (
        <Alert tone="info">You can read commission lines; only administrators approve, hold, cancel or pay them.</Alert>
      ) : null}
      <ActionProblem problem={action.problem} onDismiss={action.clear} />
      <PagedTable
        pages={lines}
        caption="Commission lines"
        rowKey={(l) => l.id}
        columns={columns}
        empty={<EmptyState title="No commission lines match these filters" />}
        loadingLabel="Loading commission lines…"
        pagerLabel="Commission pages"
      />

      <section class="ops-section" aria-labelledby="payouts-heading">
        <h2 id="payouts-heading">Payouts</h2>
        <FilterBar
          label="Filter payouts"
          filters={[
            { name: 'payout_status', label: 'Status', type: 'select', options: enumOptions(PAYOUT_STATUSES) },
            { name: 'payout_partner_id', label: 'Partner ID', type: 'text' },
          ]}
        />
        <PagedTable
          pages={payouts}
          caption="Payouts"
          rowKey={(p) => p.id}
          columns={payoutColumns}
          empty={<EmptyState title="No payouts match these filters" />}
          loadingLabel="Loading payouts…"
          pagerLabel="Payout pages"
        />
      </section>

      <ItemDialog item={creating || null} title={() => 'New commission line'} onClose={() => setCreating(false)}>
        {() => (
          <NewLineForm
            onCancel={() => setCreating(false)}
            onCreated={() => {
              setCreating(false);
              lines.reload();
            }}
          />
        )}
      </ItemDialog>
      <ItemDialog item={reasonFor} title={(r) => (r.action === 'hold' ? 'Hold commission line' : 'Cancel commission line')} onClose={() => setReasonFor(null)}>
        {(r) => (
          <ReasonForm
            line={r.line}
            action={r.action}
            onCancel={() => setReasonFor(null)}
            onDone={() => {
              setReasonFor(null);
              lines.reload();
            }}
          />
        )}
      </ItemDialog>
      <ItemDialog item={paying || null} title={() => 'Create payout'} onClose={() => setPaying(false)}>
        {() => (
          <NewPayoutForm
            onCancel={() => setPaying(false)}
            onCreated={() => {
              setPaying(false);
              payouts.reload();
              lines.reload();
            }}
          />
        )}
      </ItemDialog>
      <ItemDialog item={settling} title={(s) => `Settle payout ${shortId(s.id)}`} onClose={() => setSettling(null)}>
        {(s) => (
          <SettleForm
            target={s}
            onCancel={() => setSettling(null)}
            onDone={() => {
              setSettling(null);
              payouts.reload();
              lines.reload();
            }}
          />
        )}
      </ItemDialog>
    </Page>
  );
}
