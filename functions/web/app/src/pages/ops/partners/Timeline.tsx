import { api, can, unwrap, useMe, type Schemas } from '../../../api';
import {
  AsyncState,
  EmptyState,
  Field,
  Form,
  formatDateTime,
  formatRelative,
  Pager,
  setQuery,
  type StaffUser,
  SubmitButton,
  TextAreaField,
  toast,
  useCursorPages,
  useForm,
  useQuery,
  useStaff,
} from '../../../ui';
import { actorName, pagesState } from './shared';

type Entry = Pick<Schemas['ActivityEntry'], 'id' | 'actor' | 'action' | 'target' | 'at'> & { before?: unknown; after?: unknown };

const ACTION_LABELS: Record<string, string> = {
  'note.added': 'Note added',
  'partner.decision': 'Decision',
  'partner.status_from_crm': 'Status changed in the CRM',
  'partner.updated': 'Profile updated',
  'partner.terms_updated': 'Terms updated',
  'kyc.document_downloaded': 'KYC document opened',
  'kyc.document_reviewed': 'KYC document reviewed',
  'task.created': 'Task created',
  'task.updated': 'Task updated',
  'task.deleted': 'Task deleted',
  'document.created': 'Document added',
  'document.deleted': 'Document deleted',
};

function describe(action: string): string {
  if (ACTION_LABELS[action]) return ACTION_LABELS[action];
  const s = action.replace(/[._]/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function noteText(after: unknown): string | undefined {
  if (after && typeof after === 'object' && typeof (after as { text?: unknown }).text === 'string') return (after as { text: string }).text;
  return undefined;
}

function summary(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v !== 'object') return String(v);
  return Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${k.replace(/_/g, ' ')}: ${x === null ? '—' : typeof x === 'object' ? JSON.stringify(x) : String(x)}`)
    .join('; ');
}

/** Audit entries, newest first: what happened, who did it, when, and what changed. */
export function ActivityList({ entries, staff, users }: { entries: readonly Entry[]; staff: StaffUser[]; users: StaffUser[] }) {
  if (!entries.length) return <EmptyState title="Nothing recorded yet" />;
  return (
    <ol class="ops-list">
      {entries.map((e) => {
        const text = e.action === 'note.added' ? noteText(e.after) : undefined;
        const changed = e.before !== undefined && e.before !== null ? true : e.after !== undefined && e.after !== null;
        return (
          <li key={e.id}>
            <strong>{describe(e.action)}</strong> <span class="muted">by {actorName(e.actor, staff, users)}</span> ·{' '}
            <time dateTime={e.at} title={formatDateTime(e.at)}>
              {formatRelative(e.at)}
            </time>
            {text !== undefined ? (
              <p class="ops-pre">{text}</p>
            ) : changed ? (
              <details>
                <summary>What changed</summary>
                <p class="small">
                  <span class="muted">Before:</span> {summary(e.before)}
                </p>
                <p class="small">
                  <span class="muted">After:</span> {summary(e.after)}
                </p>
                <p class="small muted">{e.target}</p>
              </details>
            ) : (
              <p class="small muted">{e.target}</p>
            )}
          </li>
        );
      })}
    </ol>
  );
}

const KINDS: { value: string; label: string }[] = [
  { value: '', label: 'Everything' },
  { value: 'partner.', label: 'Decisions and profile' },
  { value: 'kyc.', label: 'KYC' },
  { value: 'lead.', label: 'Leads' },
  { value: 'commission.', label: 'Commissions' },
  { value: 'payout.', label: 'Payouts' },
  { value: 'task.', label: 'Tasks' },
  { value: 'document.', label: 'Documents' },
  { value: 'note.added', label: 'Notes' },
];

function useTimeline(partnerId: string, action: string | undefined) {
  return useCursorPages(
    (cursor) =>
      unwrap(
        api.GET('/v1/admin/partners/{partner_id}/timeline', {
          params: { path: { partner_id: partnerId }, query: { cursor, limit: 25, action: action || undefined } },
        }),
      ),
    [partnerId, action ?? ''],
  );
}

export function TimelineTab({ partnerId, users }: { partnerId: string; users: StaffUser[] }) {
  const staff = useStaff();
  const query = useQuery();
  const action = query.get('action') ?? '';
  const pages = useTimeline(partnerId, action);
  return (
    <div class="stack">
      <h2>Timeline</h2>
      <Field label="Show" name="timeline-kind">
        {(a) => (
          <select {...a} value={action} onChange={(e) => setQuery({ action: e.currentTarget.value })}>
            {KINDS.map((k) => (
              <option key={k.value} value={k.value}>
                {k.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <AsyncState state={pagesState(pages)} loadingLabel="Loading the timeline…" isEmpty={(d) => d.length === 0} empty={<EmptyState title="Nothing on the timeline yet" />}>
        {(items) => <ActivityList entries={items} staff={staff} users={users} />}
      </AsyncState>
      <Pager pages={pages} label="Timeline pages" />
    </div>
  );
}

export function NotesTab({ partnerId, users }: { partnerId: string; users: StaffUser[] }) {
  const me = useMe();
  const staff = useStaff();
  const canAdd = can(me, 'POST /v1/admin/partners/{partner_id}/notes');
  const pages = useTimeline(partnerId, 'note.added');
  const form = useForm({
    initial: { text: '' },
    validate: (v) => ({ text: v.text.trim() ? undefined : 'Write the note first.' }),
    onSubmit: async (v) => {
      await unwrap(
        api.POST('/v1/admin/partners/{partner_id}/notes', {
          params: { path: { partner_id: partnerId } },
          body: { text: v.text.trim() },
        }),
      );
      form.reset();
      toast.success('Note added.');
      pages.first();
      pages.reload();
    },
  });
  return (
    <div class="stack">
      <h2>Notes</h2>
      <p class="muted small">Internal notes: never shown to the partner.</p>
      {canAdd ? (
        <Form form={form} class="card stack" aria-label="Add a note">
          <TextAreaField form={form} name="text" label="Note" rows={4} maxLength={4000} required />
          <div class="button-row">
            <SubmitButton form={form} busyLabel="Adding…">
              Add note
            </SubmitButton>
          </div>
        </Form>
      ) : null}
      <AsyncState state={pagesState(pages)} loadingLabel="Loading notes…" isEmpty={(d) => d.length === 0} empty={<EmptyState title="No notes yet" />}>
        {(items) => <ActivityList entries={items} staff={staff} users={users} />}
      </AsyncState>
      <Pager pages={pages} label="Note pages" />
    </div>
  );
}
