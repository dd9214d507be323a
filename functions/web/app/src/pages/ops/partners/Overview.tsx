import { Fragment, type ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api, can, unwrap, unwrapResponse, useMe, type Schemas } from '../../../api';
import {
  Dialog,
  Form,
  formatDate,
  formatDateTime,
  humanize,
  ifMatch,
  personName,
  SelectField,
  StatusBadge,
  SubmitButton,
  TextAreaField,
  TextField,
  toast,
  useForm,
  useStaff,
} from '../../../ui';
import { ActivityList } from './Timeline';
import {
  BUSINESS_TYPE_LABELS,
  TIER_OPTIONS,
  actorName,
  allowedDecisions,
  bpsText,
  bpsToPercentInput,
  percentToBps,
  type Decision,
  type Tier,
} from './shared';

export type PartnerRecord = Schemas['PartnerRecord'];
export interface RecordState {
  record: PartnerRecord;
  etag: string | null;
}

const DECISION_LABELS: Record<Decision, string> = {
  approve: 'Approve',
  reject: 'Reject',
  suspend: 'Suspend',
  reinstate: 'Reinstate',
};

const DECISION_HELP: Record<Decision, string> = {
  approve: 'The partner gets full access to the portal and is told by email. Their KYC must be verified.',
  reject: 'The application is turned down; the partner is told by email with your reason.',
  suspend: 'The partner loses access at once; they are told by email with your reason.',
  reinstate: 'A suspended partner is approved again; a rejected one is reopened for review.',
};

function DecisionDialog({
  partnerId,
  decision,
  onClose,
  onDone,
}: {
  partnerId: string;
  decision: Decision | null;
  onClose: () => void;
  onDone: () => void;
}) {
  const needsReason = decision === 'reject' || decision === 'suspend';
  const form = useForm({
    initial: { reason: '' },
    validate: (v) => ({ reason: needsReason && !v.reason.trim() ? 'Give a reason: the partner receives it.' : undefined }),
    onSubmit: async (v) => {
      if (!decision) return;
      const p = await unwrap(
        api.POST('/v1/admin/partners/{partner_id}/decision', {
          params: { path: { partner_id: partnerId } },
          body: { decision, reason: v.reason.trim() || null },
        }),
      );
      toast.success(`${p.business_name} is now ${humanize(p.status).toLowerCase()}.`);
      form.reset();
      onDone();
    },
  });
  const close = () => {
    form.reset();
    onClose();
  };
  return (
    <Dialog open={decision !== null} title={decision ? `${DECISION_LABELS[decision]} partner` : ''} onClose={close}>
      {decision ? (
        <Form form={form} class="stack">
          <p>{DECISION_HELP[decision]}</p>
          <TextAreaField
            form={form}
            name="reason"
            label="Reason"
            rows={3}
            maxLength={500}
            required={needsReason}
            optional={!needsReason}
          />
          <div class="button-row">
            <SubmitButton form={form} busyLabel="Saving…">
              Confirm
            </SubmitButton>
            <button type="button" class="secondary" onClick={close}>
              Cancel
            </button>
          </div>
        </Form>
      ) : null}
    </Dialog>
  );
}

function TermsForm({ state, onSaved }: { state: RecordState; onSaved: () => void }) {
  const { record } = state;
  const p = record.partner;
  const staff = useStaff();
  const admins = staff.filter((s) => s.role === 'admin' && (s.is_active || s.id === record.owner_admin_id));
  const ownerOptions = admins.map((a) => ({ value: a.id, label: personName(a) }));
  if (record.owner_admin_id && !ownerOptions.some((o) => o.value === record.owner_admin_id)) {
    ownerOptions.push({ value: record.owner_admin_id, label: record.owner_admin_id });
  }
  const form = useForm({
    initial: {
      business_name: p.business_name,
      tier: p.tier as string,
      owner_admin_id: record.owner_admin_id ?? '',
      commission_rate: bpsToPercentInput(p.commission_rate_bps),
      tags: record.tags.join(', '),
    },
    fieldAliases: { commission_rate_bps: 'commission_rate' },
    validate: (v) => ({
      business_name: v.business_name.trim() ? undefined : 'Enter the business name.',
      commission_rate:
        v.commission_rate.trim() && percentToBps(v.commission_rate) === null
          ? 'Enter a percentage from 0 to 100 with at most two decimals, or leave it empty for the tier default.'
          : undefined,
    }),
    onSubmit: async (v) => {
      const tags = v.tags
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      const r = await unwrapResponse(
        api.PATCH('/v1/admin/partners/{partner_id}', {
          params: { path: { partner_id: p.id }, header: { 'If-Match': state.etag ?? ifMatch(record.version) } },
          body: {
            business_name: v.business_name.trim(),
            tier: v.tier as Tier,
            owner_admin_id: v.owner_admin_id || null,
            commission_rate_bps: v.commission_rate.trim() ? percentToBps(v.commission_rate) : null,
            tags,
          },
        }),
      );
      toast.success(`Saved. Commission rate in effect: ${bpsText(r.data.effective_commission_rate_bps)}.`);
      onSaved();
    },
  });
  return (
    <Form form={form} class="card stack" aria-label="Partner terms">
      <h2>Terms</h2>
      <div class="grid-2">
        <TextField form={form} name="business_name" label="Business name" required maxLength={200} />
        <SelectField form={form} name="tier" label="Tier" options={TIER_OPTIONS} />
        <SelectField form={form} name="owner_admin_id" label="Account manager" options={ownerOptions} placeholder="No account manager" />
        <TextField
          form={form}
          name="commission_rate"
          label="Commission rate (%)"
          inputMode="decimal"
          optional
          hint="Empty: the tier's default rate."
        />
        <TextField form={form} name="tags" label="Tags" optional hint="Internal only, separated by commas." class="span-2" />
      </div>
      {form.problem?.status === 412 ? (
        <p>
          <button type="button" class="secondary" onClick={onSaved}>
            Reload the partner
          </button>
        </p>
      ) : null}
      <div class="button-row">
        <SubmitButton form={form} busyLabel="Saving…">
          Save
        </SubmitButton>
      </div>
    </Form>
  );
}

function Dl({ items }: { items: [string, ComponentChildren][] }) {
  return (
    <dl class="ops-dl">
      {items.map(([k, v]) => (
        <Fragment key={k}>
          <dt>{k}</dt>
          <dd>{v === null || v === undefined || v === '' ? '—' : v}</dd>
        </Fragment>
      ))}
    </dl>
  );
}

export function Overview({ state, reload }: { state: RecordState; reload: () => void }) {
  const me = useMe();
  const staff = useStaff();
  const { record } = state;
  const p = record.partner;
  const canDecide = can(me, 'POST /v1/admin/partners/{partner_id}/decision');
  const canEdit = can(me, 'PATCH /v1/admin/partners/{partner_id}');
  const [decision, setDecision] = useState<Decision | null>(null);
  const decisions = allowedDecisions(p.status);
  const owner = record.owner_admin_id ? actorName(record.owner_admin_id, staff) : 'None';
  const a = p.address;
  return (
    <div class="stack">
      <section class="card stack" aria-labelledby="ops-standing-h">
        <h2 id="ops-standing-h">Standing</h2>
        <Dl
          items={[
            ['Status', <StatusBadge key="s" status={p.status} />],
            ...(p.status_reason ? ([['Reason', p.status_reason]] as [string, string][]) : []),
            ['KYC status', <StatusBadge key="k" status={p.kyc_status} />],
            ['Tier', humanize(p.tier)],
            ['Account manager', owner],
            ['Commission rate', p.commission_rate_bps === null ? "Tier's default" : bpsText(p.commission_rate_bps)],
            ['Tags', record.tags.length ? record.tags.join(', ') : null],
            ['CRM sync', `${humanize(record.crm_sync.state)}${record.crm_sync.last_error ? `: ${record.crm_sync.last_error}` : ''}`],
          ]}
        />
        {canDecide && decisions.length ? (
          <div class="button-row" role="group" aria-label="Decisions">
            {decisions.map((d) => (
              <button key={d} type="button" class={d === 'reject' || d === 'suspend' ? 'danger' : undefined} onClick={() => setDecision(d)}>
                {DECISION_LABELS[d]}
              </button>
            ))}
          </div>
        ) : null}
        {canDecide && decisions.includes('approve') && p.kyc_status !== 'verified' ? (
          <p class="muted small">Approval needs verified KYC: review the documents in the KYC tab first.</p>
        ) : null}
      </section>
      <DecisionDialog
        partnerId={p.id}
        decision={decision}
        onClose={() => setDecision(null)}
        onDone={() => {
          setDecision(null);
          reload();
        }}
      />
      {canEdit ? <TermsForm key={record.version} state={state} onSaved={reload} /> : null}
      <section class="card stack" aria-labelledby="ops-profile-h">
        <h2 id="ops-profile-h">Profile</h2>
        <Dl
          items={[
            ['Business type', BUSINESS_TYPE_LABELS[p.business_type]],
            ['Registration number', record.tax_numbers.registration_number],
            ['VAT number', record.tax_numbers.vat_number],
            ['Contact person', p.contact_person],
            ['Email', <a key="e" href={`mailto:${p.email}`}>{p.email}</a>],
            ['Phone', <a key="p" href={`tel:${p.phone}`}>{p.phone}</a>],
            ['Address', [a.street_address, a.suburb, a.city, a.province, a.postal_code, a.country].filter(Boolean).join(', ')],
            ['Regions', p.regions.join(', ')],
            ['Service areas', p.service_areas.join(', ')],
            ['Website', p.website],
            ['Description', p.description],
            [
              'Bank account',
              p.banking ? `${p.banking.bank_name}, ${p.banking.account_type} ${p.banking.account_number} (${p.banking.account_holder})` : null,
            ],
            ['Applied', formatDate(p.created_at)],
            ['Last updated', formatDateTime(p.updated_at)],
          ]}
        />
      </section>
      <section class="card stack" aria-labelledby="ops-users-h">
        <h2 id="ops-users-h">Users</h2>
        {record.users.length ? (
          <ul class="ops-list">
            {record.users.map((u) => (
              <li key={u.id}>
                <strong>{personName(u)}</strong> <span class="muted">{u.email}</span> · {humanize(u.role)}{' '}
                <StatusBadge status={u.status} />
              </li>
            ))}
          </ul>
        ) : (
          <p class="muted">No users.</p>
        )}
      </section>
      <section class="card stack" aria-labelledby="ops-recent-h">
        <h2 id="ops-recent-h">Recent activity</h2>
        <ActivityList entries={record.activity} staff={staff} users={record.users} />
      </section>
    </div>
  );
}
