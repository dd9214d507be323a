import { useState } from 'preact/hooks';
import { api, can, unwrap, useMe, type Schemas } from '../../../api';
import {
  type Column,
  EmptyState,
  Form,
  formatDate,
  humanize,
  Page,
  PagedTable,
  personName,
  SelectField,
  StatusBadge,
  SubmitButton,
  TextField,
  toast,
  useCursorPages,
  useForm,
} from '../../../ui';
import { ActionProblem, ItemDialog, useRowAction } from './shared';

type User = Schemas['User'];

const ROLE_OPTIONS = [
  { value: 'admin', label: 'Admin (acts on partners, money and settings)' },
  { value: 'support', label: 'Support (reads only)' },
];

function InviteForm({ onDone, onCancel }: { onDone: () => void; onCancel: () => void }) {
  const form = useForm({
    initial: { email: '', first_name: '', last_name: '', role: 'support' as 'admin' | 'support' },
    validate: (v) => ({
      email: /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v.email.trim()) ? undefined : 'Enter an email address such as name@example.com.',
    }),
    onSubmit: async (v) => {
      const user = await unwrap(
        api.POST('/v1/admin/staff', {
          body: { email: v.email.trim(), role: v.role, first_name: v.first_name.trim() || null, last_name: v.last_name.trim() || null },
        }),
      );
      toast.success(`An invitation was sent to ${user.email}.`);
      onDone();
    },
  });
  return (
    <Form form={form} class="stack">
      <TextField form={form} name="email" label="Email" type="email" autoComplete="off" required autoFocus />
      <div class="grid-2">
        <TextField form={form} name="first_name" label="First name" optional maxLength={100} />
        <TextField form={form} name="last_name" label="Last name" optional maxLength={100} />
      </div>
      <SelectField form={form} name="role" label="Role" options={ROLE_OPTIONS} />
      <p class="muted small">The invitation is emailed and valid for 7 days; they choose their password through it.</p>
      <div class="button-row">
        <SubmitButton form={form} busyLabel="Sending…">
          Send invitation
        </SubmitButton>
        <button type="button" class="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </Form>
  );
}

export default function Staff() {
  const me = useMe();
  const mayInvite = can(me, 'POST /v1/admin/staff');
  const mayEdit = can(me, 'PATCH /v1/admin/staff/{user_id}');
  const [inviting, setInviting] = useState(false);
  const action = useRowAction();
  const staff = useCursorPages((cursor) => unwrap(api.GET('/v1/admin/staff', { params: { query: { cursor, limit: 25 } } })), []);

  const update = (u: User, body: { role?: 'admin' | 'support'; is_active?: boolean }, key: string, success: string) =>
    action
      .run(
        `${u.id}:${key}`,
        () =>
          unwrap(
            api.PATCH('/v1/admin/staff/{user_id}', {
              // The staff list carries no version: apply the change to whatever is current.
              params: { path: { user_id: u.id }, header: { 'If-Match': '*' } },
              body,
            }),
          ),
        success,
      )
      .then((ok) => ok && staff.reload());

  const columns: Column<User>[] = [
    {
      key: 'name',
      header: 'Name',
      primary: true,
      render: (u) => (
        <>
          {personName(u)}
          {u.id === me?.user.id ? <span class="muted small"> (you)</span> : null}
        </>
      ),
    },
    { key: 'email', header: 'Email', render: (u) => <span class="break">{u.email}</span> },
    { key: 'role', header: 'Role', render: (u) => humanize(u.role) },
    { key: 'status', header: 'Status', render: (u) => <StatusBadge status={u.status} /> },
    { key: 'created_at', header: 'Since', hideNarrow: true, render: (u) => formatDate(u.created_at) },
  ];
  if (mayEdit) {
    columns.push({
      key: 'actions',
      header: 'Actions',
      render: (u) => {
        if (u.id === me?.user.id) return <span class="muted small">Your own account</span>;
        const other = u.role === 'admin' ? 'support' : 'admin';
        const roleKey = `${u.id}:role`;
        const activeKey = `${u.id}:active`;
        const name = personName(u);
        return (
          <div class="row-actions">
            <button
              type="button"
              class="secondary"
              disabled={!!action.busy}
              aria-busy={action.busy === roleKey ? 'true' : undefined}
              aria-label={`${other === 'admin' ? 'Make admin' : 'Make support'}: ${name}`}
              onClick={() => void update(u, { role: other }, 'role', `${name} is now ${other}.`)}
            >
              {other === 'admin' ? 'Make admin' : 'Make support'}
            </button>
            {u.status !== 'invited' ? (
              <button
                type="button"
                class={u.is_active ? 'danger' : 'secondary'}
                disabled={!!action.busy}
                aria-busy={action.busy === activeKey ? 'true' : undefined}
                aria-label={`${u.is_active ? 'Deactivate' : 'Reactivate'} ${name}`}
                onClick={() =>
                  void update(u, { is_active: !u.is_active }, 'active', u.is_active ? `${name} was deactivated.` : `${name} was reactivated.`)
                }
              >
                {u.is_active ? 'Deactivate' : 'Reactivate'}
              </button>
            ) : null}
          </div>
        );
      },
    });
  }

  return (
    <Page
      title="Staff"
      lead="Operations colleagues: admins act, support staff read only."
      actions={
        mayInvite ? (
          <button type="button" onClick={() => setInviting(true)}>
            Invite staff member
          </button>
        ) : null
      }
    >
      <ActionProblem problem={action.problem} onDismiss={action.clear} />
      <PagedTable
        pages={staff}
        caption="Staff"
        rowKey={(u) => u.id}
        columns={columns}
        empty={<EmptyState title="No staff yet" />}
        loadingLabel="Loading staff…"
        pagerLabel="Staff pages"
      />
      <ItemDialog item={inviting || null} title={() => 'Invite a staff member'} onClose={() => setInviting(false)}>
        {() => (
          <InviteForm
            onCancel={() => setInviting(false)}
            onDone={() => {
              setInviting(false);
              staff.reload();
            }}
          />
        )}
      </ItemDialog>
    </Page>
  );
}
