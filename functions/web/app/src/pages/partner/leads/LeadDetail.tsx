import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api, can, toProblem, unwrap, unwrapResponse, useMe, type Me, type Schemas } from '../../../api';
import {
  Alert,
  type AsyncResult,
  AsyncState,
  DataTable,
  EmptyState,
  ErrorState,
  Field,
  Form,
  formatBytes,
  formatDateTime,
  formatRelative,
  Link,
  Loading,
  money,
  optionsOf,
  Page,
  Pager,
  personName,
  ProgressBar,
  type RouteProps,
  SelectField,
  StatusBadge,
  SubmitButton,
  TextAreaField,
  TextField,
  toast,
  uploadFile,
  useAsync,
  useCursorPages,
  useForm,
  useUpload,
} from '../../../ui';
import {
  ACTIVITY_LABELS,
  ATTACHMENT_TYPES,
  CONTACT_ALIASES,
  CRM_LABELS,
  ContactFields,
  MAX_ATTACHMENT_BYTES,
  SOURCE_LABELS,
  STATUS_LABELS,
  contactOf,
  fromLocalInput,
  moneyInput,
  partnerMoves,
  toLocalInput,
  useUsers,
  validateContact,
  who,
  type ActivityType,
  type AttachmentType,
  type ContactValues,
  type Lead,
  type LeadStatus,
  type User,
} from './shared';
import './leads.css';

type LeadUpdate = Schemas['LeadUpdate'];
type Loaded = { data: Lead; etag: string | null };

const STALE_NOTICE =
  'Someone else changed this lead in the meantime, so your change was not saved. The latest version is shown now: check it and try again.';

/** When the API answers with the lead's current ETag, or (should a proxy drop the header) the one its version implies. */
function etagOf(l: Loaded): string {
  return l.etag ?? `"v${l.data.version}"`;
}

function Time({ value, relative }: { value: string | undefined | null; relative?: boolean }) {
  if (!value) return <>—</>;
  return (
    <time dateTime={value} title={relative ? formatDateTime(value) : formatRelative(value)}>
      {formatDateTime(value)}
      {relative ? ` (${formatRelative(value)})` : ''}
    </time>
  );
}

function Facts({ items }: { items: [string, ComponentChildren][] }) {
  return (
    <dl class="leads-facts">
      {items.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value === undefined || value === null || value === '' ? '—' : value}</dd>
        </div>
      ))}
    </dl>
  );
}

function NotFoundState() {
  return (
    <Page title="Lead not found" narrow>
      <p>There is no lead at this address that you can see. It may belong to another account, or the link may be wrong.</p>
      <p>
        <Link class="button" href="/app/leads">
          Back to leads
        </Link>
      </p>
    </Page>
  );
}

/* ------------------------------------------------------------------ status */

function CrmSync({ lead }: { lead: Lead }) {
  const s = lead.crm_sync;
  return (
    <span>
      <StatusBadge status={s.state} label={CRM_LABELS[s.state] ?? s.state} />
      {s.synced_at ? (
        <>
          {' '}
          <span class="small muted">
            last synced <Time value={s.synced_at} />
          </span>
        </>
      ) : null}
      {(s.state === 'failed' || s.state === 'conflict') && (s.message || s.error_field) ? (
        <span class="small" style={{ display: 'block' }}>
          {s.message}
          {s.error_field ? ` (field: ${s.error_field})` : ''}
        </span>
      ) : null}
    </span>
  );
}

function Summary({ lead, byId, me }: { lead: Lead; byId: Map<string, User>; me: Me | null }) {
  return (
    <section class="card" aria-labelledby="lead-summary">
      <h2 id="lead-summary">Pipeline</h2>
      <Facts
        items={[
          ['Status', <StatusBadge key="s" status={lead.status} label={STATUS_LABELS[lead.status]} />],
          ['Stage', lead.stage],
          ['Next follow-up', <Time key="f" value={lead.next_follow_up_at} relative />],
          ['Last contact', <Time key="c" value={lead.last_contact_at} relative />],
          ['First contact', <Time key="fc" value={lead.first_contact_at} />],
          ['Assignee', lead.assigned_to ? who(lead.assigned_to, byId, me) : 'Unassigned'],
          ['CRM sync', <CrmSync key="crm" lead={lead} />],
          ['Protected until', <Time key="p" value={lead.protection_expires_at} />],
          ['Closed', lead.closed_at ? <Time key="cl" value={lead.closed_at} /> : null],
        ]}
      />
    </section>
  );
}

function ContactDetails({ lead, byId, me }: { lead: Lead; byId: Map<string, User>; me: Me | null }) {
  return (
    <Facts
      items={[
        ['First name', lead.first_name],
        ['Last name', lead.last_name],
        ['Email', lead.email ? <a href={`mailto:${lead.email}`}>{lead.email}</a> : null],
        ['Phone', lead.phone ? <a href={`tel:${lead.phone.replace(/[^+\d]/g, '')}`}>{lead.phone}</a> : null],
        ['Company', lead.company],
        ['Website', lead.website],
        ['Address', lead.address],
        ['Service interest', lead.service_interest],
        ['Estimated value', lead.estimated_value ? money(lead.estimated_value) : null],
        ['Notes', lead.notes],
        ['Source', SOURCE_LABELS[lead.source] ?? lead.source],
        ['Registered by', who(lead.created_by, byId, me)],
        ['Created', <Time key="c" value={lead.created_at} />],
        ['Updated', <Time key="u" value={lead.updated_at} />],
        ['Survey sent', lead.survey_sent_at ? <Time key="s" value={lead.survey_sent_at} /> : null],
      ]}
    />
  );
}

type Patch = (body: LeadUpdate) => Promise<boolean>;

function ChangeStatusForm({ lead, patch }: { lead: Lead; patch: Patch }) {
  const moves = partnerMoves(lead.status);
  const form = useForm({
    initial: { status: '' },
    validate: (v) => ({ status: v.status ? undefined : 'Choose the new status.' }),
    onSubmit: async (v) => {
      if (await patch({ status: v.status as LeadStatus })) toast.success(`Status changed to ${STATUS_LABELS[v.status as LeadStatus]}.`);
    },
  });
  return (
    <section class="card" aria-labelledby="lead-status-head">
      <h2 id="lead-status-head">Change status</h2>
      {moves.length === 0 ? (
        <p class="muted">
          This lead is {STATUS_LABELS[lead.status].toLowerCase()}: its status no longer changes here. Won and converted come from the
          CRM.
        </p>
      ) : (
        <Form form={form} class="stack" aria-labelledby="lead-status-head">
          <p class="small muted">
            Current status: <StatusBadge status={lead.status} label={STATUS_LABELS[lead.status]} />. Won and converted are set by the CRM.
          </p>
          <SelectField
            form={form}
            name="status"
            label="Status"
            placeholder="Choose a status"
            options={moves.map((s) => ({ value: s, label: STATUS_LABELS[s] }))}
            required
          />
          <div class="button-row">
            <SubmitButton form={form} busyLabel="Changing…">
              Change status
            </SubmitButton>
          </div>
        </Form>
      )}
    </section>
  );
}

function PipelineForm({ lead, patch, users, canAssign }: { lead: Lead; patch: Patch; users: User[]; canAssign: boolean }) {
  const initial = {
    stage: lead.stage ?? '',
    next_follow_up_at: toLocalInput(lead.next_follow_up_at),
    assigned_to: lead.assigned_to ?? '',
  };
  const form = useForm({
    initial,
    onSubmit: async (v) => {
      const body: LeadUpdate = {};
      if (v.stage.trim() !== initial.stage) body.stage = v.stage.trim();
      if (v.next_follow_up_at !== initial.next_follow_up_at) body.next_follow_up_at = fromLocalInput(v.next_follow_up_at);
      if (canAssign && v.assigned_to !== initial.assigned_to) body.assigned_to = v.assigned_to;
      if (Object.keys(body).length === 0) {
        toast.success('Nothing to change.');
        return;
      }
      if (await patch(body)) toast.success('The lead is updated.');
    },
  });
  const assignees = users.filter((u) => u.is_active || u.id === lead.assigned_to).map((u) => ({ value: u.id, label: personName(u) }));
  if (lead.assigned_to && !assignees.some((a) => a.value === lead.assigned_to)) assignees.push({ value: lead.assigned_to, label: lead.assigned_to });
  return (
    <section class="card" aria-labelledby="lead-pipeline-head">
      <h2 id="lead-pipeline-head">Follow-up and assignment</h2>
      <Form form={form} class="stack" aria-labelledby="lead-pipeline-head">
        <TextField form={form} name="stage" label="Stage" maxLength={50} optional hint="Your own pipeline label; leave blank to clear." />
        <TextField
          form={form}
          name="next_follow_up_at"
          label="Next follow-up"
          type="datetime-local"
          optional
          hint="Leave blank to clear."
        />
        {canAssign ? (
          <SelectField form={form} name="assigned_to" label="Assignee" placeholder="Unassigned" options={assignees} />
        ) : null}
        <div class="button-row">
          <SubmitButton form={form} busyLabel="Saving…">
            Save
          </SubmitButton>
        </div>
      </Form>
    </section>
  );
}

function EditContactForm({ lead, patch, onDone }: { lead: Lead; patch: Patch; onDone: () => void }) {
  const initial = contactOf(lead);
  const form = useForm<ContactValues>({
    initial,
    validate: validateContact,
    fieldAliases: CONTACT_ALIASES,
    onSubmit: async (v) => {
      const body: LeadUpdate = {};
      const text = ['first_name', 'last_name', 'email', 'phone', 'company', 'website', 'address', 'service_interest', 'notes'] as const;
      for (const k of text) if (v[k].trim() !== initial[k]) body[k] = v[k].trim();
      if (v.estimated_value.trim() !== initial.estimated_value || v.currency.trim().toUpperCase() !== initial.currency) {
        const m = moneyInput(v);
        if (m) body.estimated_value = m;
      }
      if (Object.keys(body).length === 0) {
        onDone();
        return;
      }
      if (await patch(body)) {
        toast.success('The contact details are saved.');
        onDone();
      }
    },
  });
  return (
    <Form form={form} class="stack" aria-label="Edit contact details">
      <ContactFields form={form} />
      <p class="small muted">The estimated value can be changed here but not removed.</p>
      <div class="button-row">
        <SubmitButton form={form} busyLabel="Saving…">
          Save
        </SubmitButton>
        <button type="button" class="secondary" onClick={onDone}>
          Cancel
        </button>
      </div>
    </Form>
  );
}

/* ------------------------------------------------------------------ history */

function History({ leadId, tick, byId, me }: { leadId: string; tick: number; byId: Map<string, User>; me: Me | null }) {
  const history = useAsync(() => unwrap(api.GET('/v1/leads/{lead_id}/history', { params: { path: { lead_id: leadId } } })), [leadId, tick]);
  return (
    <section class="card" aria-labelledby="lead-history-head">
      <h2 id="lead-history-head">History</h2>
      <AsyncState
        state={history}
        loadingLabel="Loading the status history…"
        isEmpty={(d) => d.items.length === 0}
        empty={<EmptyState title="No status changes yet" />}
      >
        {(d) => (
          <DataTable
            caption="Status history, oldest first"
            rows={d.items}
            rowKey={(h) => h.id}
            columns={[
              {
                key: 'change',
                header: 'Change',
                primary: true,
                render: (h) => (
                  <>
                    {h.from ? <StatusBadge status={h.from} label={STATUS_LABELS[h.from]} /> : <span class="muted">Registered</span>}
                    <span aria-hidden="true"> → </span>
                    <span class="visually-hidden"> to </span>
                    <StatusBadge status={h.to} label={STATUS_LABELS[h.to]} />
                  </>
                ),
              },
              { key: 'at', header: 'At', render: (h) => <Time value={h.at} /> },
              { key: 'by', header: 'By', render: (h) => who(h.by, byId, me) },
              { key: 'source', header: 'Source', render: (h) => SOURCE_LABELS[h.source] ?? h.source },
            ]}
          />
        )}
      </AsyncState>
    </section>
  );
}

/* ------------------------------------------------------------------ activities */

const ACTIVITY_OPTIONS = optionsOf(ACTIVITY_LABELS);

function LogActivityForm({ leadId, onLogged }: { leadId: string; onLogged: () => void }) {
  const form = useForm({
    initial: { type: 'call', subject: '', description: '', outcome: '', next_action: '', next_action_at: '' },
    validate: (v) => ({ type: v.type ? undefined : 'Choose the type of activity.' }),
    onSubmit: async (v) => {
      await unwrap(
        api.POST('/v1/leads/{lead_id}/activities', {
          params: { path: { lead_id: leadId } },
          body: {
            type: v.type as ActivityType,
            subject: v.subject.trim() || null,
            description: v.description.trim() || null,
            outcome: v.outcome.trim() || null,
            next_action: v.next_action.trim() || null,
            next_action_at: v.next_action_at ? fromLocalInput(v.next_action_at) : null,
          },
        }),
      );
      toast.success('The activity is logged.');
      form.reset();
      onLogged();
    },
  });
  return (
    <Form form={form} class="stack" aria-label="Log activity">
      <div class="grid-2">
        <SelectField form={form} name="type" label="Type" options={ACTIVITY_OPTIONS} required />
        <TextField form={form} name="subject" label="Subject" maxLength={200} optional />
        <TextAreaField form={form} name="description" label="Description (notes)" rows={4} maxLength={5000} optional class="span-2" hint="What happened, in a few words." />
        <TextField form={form} name="outcome" label="Outcome" maxLength={500} optional />
        <TextField form={form} name="next_action" label="Next action" maxLength={500} optional />
        <TextField form={form} name="next_action_at" label="Follow-up at" type="datetime-local" optional hint="When the next action is due." />
      </div>
      <div class="button-row">
        <SubmitButton form={form} busyLabel="Logging…">
          Log activity
        </SubmitButton>
      </div>
    </Form>
  );
}

function Activities(props: { leadId: string; canLog: boolean; byId: Map<string, User>; me: Me | null; onLogged: () => void }) {
  const { leadId } = props;
  const pages = useCursorPages(
    (cursor) => unwrap(api.GET('/v1/leads/{lead_id}/activities', { params: { path: { lead_id: leadId }, query: { cursor, limit: 10 } } })),
    [leadId],
  );
  return (
    <section class="card" aria-labelledby="lead-activities-head">
      <h2 id="lead-activities-head">Activities</h2>
      {props.canLog ? (
        <>
          <h3>Log activity</h3>
          <LogActivityForm
            leadId={leadId}
            onLogged={() => {
              pages.first();
              props.onLogged();
            }}
          />
        </>
      ) : null}
      <h3>Logged activities</h3>
      {pages.error ? <ErrorState error={pages.error} onRetry={pages.reload} title="Could not load the activities" /> : null}
      {pages.loading && pages.items.length === 0 ? (
        <Loading label="Loading activities…" />
      ) : pages.items.length === 0 && !pages.error ? (
        <EmptyState title="No activities logged yet" />
      ) : (
        <ul class="leads-activity-list" aria-busy={pages.loading ? 'true' : undefined} aria-label="Activities, newest first">
          {pages.items.map((a) => (
            <li key={a.id}>
              <div>
                <strong>{ACTIVITY_LABELS[a.type] ?? a.type}</strong>
                {a.subject ? `: ${a.subject}` : ''}{' '}
                <span class="small muted">
                  <Time value={a.at} /> · {who(a.by, props.byId, props.me)}
                </span>
              </div>
              {a.description ? <p>{a.description}</p> : null}
              {a.outcome ? (
                <p>
                  <span class="muted">Outcome:</span> {a.outcome}
                </p>
              ) : null}
              {a.next_action || a.next_action_at ? (
                <p>
                  <span class="muted">Next:</span> {a.next_action ?? ''}
                  {a.next_action_at ? (
                    <>
                      {a.next_action ? ' · ' : ''}
                      <Time value={a.next_action_at} />
                    </>
                  ) : null}
                </p>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      <Pager pages={pages} label="Activity pages" />
    </section>
  );
}

/* ------------------------------------------------------------------ attachments */

interface Uploaded {
  id: string;
  file_name: string;
  size: number;
  status: string;
}

function Attachments({ leadId, canUpload }: { leadId: string; canUpload: boolean }) {
  const up = useUpload();
  const [file, setFile] = useState<File | null>(null);
  const [fileError, setFileError] = useState<string | undefined>();
  const [uploaded, setUploaded] = useState<Uploaded[]>([]);
  const [inputKey, setInputKey] = useState(0);
  const busy = up.phase === 'uploading' || up.phase === 'verifying';

  const submit = async (e: Event) => {
    e.preventDefault();
    if (busy) return;
    if (!file) {
      setFileError('Choose a file to upload.');
      return;
    }
    if (!(ATTACHMENT_TYPES as readonly string[]).includes(file.type)) {
      setFileError('Choose a PDF, JPEG or PNG image, or a Word, Excel or PowerPoint document.');
      return;
    }
    if (file.size > MAX_ATTACHMENT_BYTES) {
      setFileError(`The file is ${formatBytes(file.size)}; the limit is ${formatBytes(MAX_ATTACHMENT_BYTES)}.`);
      return;
    }
    if (file.size === 0) {
      setFileError('The file is empty.');
      return;
    }
    setFileError(undefined);
    const answer = await up.run((h) =>
      uploadFile({
        file,
        onProgress: h.onProgress,
        signal: h.signal,
        request: () =>
          unwrap(
            api.POST('/v1/leads/{lead_id}/attachments', {
              params: { path: { lead_id: leadId } },
              body: { file_name: file.name, content_type: file.type as AttachmentType, size: file.size },
            }),
          ),
      }),
    );
    if (answer) {
      const a = answer.attachment as Record<string, unknown>;
      setUploaded((list) => [
        {
          id: typeof a.id === 'string' ? a.id : `${Date.now()}`,
          file_name: typeof a.file_name === 'string' ? a.file_name : file.name,
          size: typeof a.size === 'number' ? a.size : file.size,
          status: typeof a.status === 'string' ? a.status : 'uploading',
        },
        ...list,
      ]);
      toast.success(`${file.name} is uploaded; it is checked before it is kept.`);
      setFile(null);
      setInputKey((k) => k + 1);
    }
  };

  const problem = up.error ? toProblem(up.error) : undefined;
  return (
    <section class="card" aria-labelledby="lead-attachments-head">
      <h2 id="lead-attachments-head">Attachments</h2>
      {canUpload ? (
        <form class="stack" noValidate onSubmit={(e) => void submit(e)} aria-busy={busy ? 'true' : undefined} aria-label="Upload attachment">
          {problem && up.phase === 'error' ? (
            <div class="alert alert-error" role="alert">
              <p>
                <strong>{problem.title}</strong>
              </p>
              {problem.detail && problem.detail !== problem.title ? <p>{problem.detail}</p> : null}
              {Object.values(problem.fieldErrors).length ? (
                <ul>
                  {Object.entries(problem.fieldErrors).map(([k, m]) => (
                    <li key={k}>{m}</li>
                  ))}
                </ul>
              ) : null}
            </div>
          ) : null}
          <Field label="File" name="attachment" error={fileError} hint="PDF, images or office documents, at most 10 MB.">
            {(a) => (
              <input
                key={inputKey}
                {...a}
                type="file"
                accept={ATTACHMENT_TYPES.join(',')}
                disabled={busy}
                onChange={(e) => {
                  setFile(e.currentTarget.files?.[0] ?? null);
                  setFileError(undefined);
                }}
              />
            )}
          </Field>
          {busy ? <ProgressBar label={`Uploading ${file?.name ?? 'file'}…`} value={up.progress} /> : null}
          <div class="button-row">
            <button type="submit" aria-disabled={busy ? 'true' : undefined} aria-busy={busy ? 'true' : undefined}>
              {busy ? <span class="spinner spinner-inline" aria-hidden="true" /> : null}
              {busy ? 'Uploading…' : 'Upload attachment'}
            </button>
            {busy ? (
              <button type="button" class="secondary" onClick={up.cancel}>
                Cancel upload
              </button>
            ) : null}
          </div>
        </form>
      ) : null}
      {uploaded.length ? (
        <>
          <h3>Uploaded now</h3>
          <ul>
            {uploaded.map((u) => (
              <li key={u.id}>
                {u.file_name} ({formatBytes(u.size)}){' '}
                <StatusBadge status={u.status === 'uploading' ? 'processing' : u.status} label={u.status === 'uploading' ? 'Being checked' : undefined} />
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p class="muted small">Files you attach are checked (type and size) before they are kept with the lead.</p>
      )}
    </section>
  );
}

/* ------------------------------------------------------------------ page */

function LeadView({ state, leadId }: { state: AsyncResult<Loaded>; leadId: string }) {
  const me = useMe();
  const { users, byId, canList } = useUsers();
  const [notice, setNotice] = useState<string | null>(null);
  const [historyTick, setHistoryTick] = useState(0);
  const [editing, setEditing] = useState(false);
  const loaded = state.data!;
  const lead = loaded.data;
  const canEdit = can(me, 'PATCH /v1/leads/{lead_id}');

  const patch: Patch = async (body) => {
    setNotice(null);
    try {
      const res = await unwrapResponse(
        api.PATCH('/v1/leads/{lead_id}', {
          params: { path: { lead_id: leadId }, header: { 'If-Match': etagOf(loaded) } },
          body,
        }),
      );
      state.setData({ data: res.data, etag: res.etag });
      if (body.status) setHistoryTick((t) => t + 1);
      return true;
    } catch (e) {
      const p = toProblem(e);
      if (p.status === 412 || p.code === 'stale_version') {
        setNotice(STALE_NOTICE);
        state.reload();
        return false;
      }
      throw p;
    }
  };

  const name = `${lead.first_name} ${lead.last_name}`;
  return (
    <Page
      title={name}
      lead={
        <>
          {lead.company ? `${lead.company} · ` : ''}
          <StatusBadge status={lead.status} label={STATUS_LABELS[lead.status]} />
        </>
      }
      actions={
        <Link class="button secondary" href="/app/leads">
          <span aria-hidden="true">← </span>All leads
        </Link>
      }
    >
      <div class="leads-sections" aria-busy={state.loading ? 'true' : undefined}>
        {notice ? (
          <Alert tone="warning" live title="This lead changed">
            <p>{notice}</p>
          </Alert>
        ) : null}
        {state.error && state.error.status !== 404 ? <ErrorState error={state.error} onRetry={state.reload} /> : null}
        <Summary lead={lead} byId={byId} me={me} />
        {canEdit ? (
          <div class="leads-actions">
            <ChangeStatusForm key={`s${lead.version}`} lead={lead} patch={patch} />
            <PipelineForm key={`p${lead.version}-${users.length}`} lead={lead} patch={patch} users={users} canAssign={canList} />
          </div>
        ) : null}
        <section class="card" aria-labelledby="lead-details-head">
          <div class="page-head">
            <h2 id="lead-details-head">Contact details</h2>
            {canEdit && !editing ? (
              <button type="button" class="secondary" onClick={() => setEditing(true)}>
                Edit details
              </button>
            ) : null}
          </div>
          {editing ? (
            <EditContactForm key={`c${lead.version}`} lead={lead} patch={patch} onDone={() => setEditing(false)} />
          ) : (
            <ContactDetails lead={lead} byId={byId} me={me} />
          )}
        </section>
        <History leadId={leadId} tick={historyTick + lead.version} byId={byId} me={me} />
        <Activities
          leadId={leadId}
          canLog={can(me, 'POST /v1/leads/{lead_id}/activities')}
          byId={byId}
          me={me}
          onLogged={state.reload}
        />
        <Attachments leadId={leadId} canUpload={can(me, 'POST /v1/leads/{lead_id}/attachments')} />
      </div>
    </Page>
  );
}

export default function LeadDetail({ params }: RouteProps) {
  const leadId = params.id ?? '';
  const state = useAsync<Loaded>(
    () =>
      unwrapResponse(api.GET('/v1/leads/{lead_id}', { params: { path: { lead_id: leadId } } })).then((r) => ({
        data: r.data,
        etag: r.etag,
      })),
    [leadId],
  );
  if (state.error?.status === 404) return <NotFoundState />;
  if (state.data === undefined) {
    return (
      <Page title="Lead">
        {state.error ? <ErrorState error={state.error} onRetry={state.reload} title="Could not load this lead" /> : <Loading label="Loading the lead…" />}
      </Page>
    );
  }
  return <LeadView state={state} leadId={leadId} />;
}
