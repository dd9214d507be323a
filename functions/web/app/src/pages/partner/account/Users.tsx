import { useEffect, useState } from 'preact/hooks';
import { api, can, toProblem, unwrap, useMe, type ApiProblem, type Schemas } from '../../../api';
import {
  DataTable,
  Dialog,
  EmptyState,
  ErrorState,
  Form,
  formatDate,
  Loading,
  optionsOf,
  Page,
  Pager,
  personName,
  SelectField,
  StatusBadge,
  SubmitButton,
  TextField,
  toast,
  useCursorPages,
  useForm,
} from '../../../ui';
import './account.css';

type User = Schemas['User'];
type PartnerRole = 'owner' | 'manager' | 'sales' | 'finance';

const ROLES: Record<PartnerRole, string> = {
  owner: 'Owner',
  manager: 'Manager',
  sales: 'Sales',
  finance: 'Finance',
};

const ROLE_HINT =
  'Owners manage users, banking and KYC; managers run the business and leads; sales work their own leads; finance sees commissions and payouts.';

function InviteForm({ onInvited }: { onInvited: () => void }) {
  const form = useForm({
    initial: { email: '', role: 'sales', first_name: '', last_name: '' },
    validate: (v) => ({
      email: !v.email.trim() ? 'Enter an email address.' : !/^\S+@\S+\.\S+$/.test(v.email.trim()) ? 'Enter a valid email address.' : undefined,
      role: !v.role ? 'Choose a role.' : undefined,
    }),
    onSubmit: async (v) => {
      const u = await unwrap(
        api.POST('/v1/users', {
          body: {
            email: v.email.trim(),
            role: v.role as PartnerRole,
            first_name: v.first_name.trim() || null,
            last_name: v.last_name.trim() || null,
          },
        }),
      );
      toast.success(`Invitation sent to ${u.email}.`);
      form.reset();
      onInvited();
    },
  });
  return (
    <Form form={form} class="card stack" aria-label="Invite a user">
      <h2>Invite a user</h2>
      <div class="grid-2">
        <TextField form={form} name="email" label="Email" type="email" inputMode="email" autoComplete="off" required />
        <SelectField form={form} name="role" label="Role" options={optionsOf(ROLES)} hint={ROLE_HINT} required />
        <TextField form={form} name="first_name" label="First name" autoComplete="off" optional />
        <TextField form={form} name="last_name" label="Last name" autoComplete="off" optional />
      </div>
      <p class="muted small">The invitation is emailed and valid for 7 days.</p>
      <SubmitButton form={form} busyLabel="Sending…">
        Invite
      </SubmitButton>
    </Form>
  );
}

type Action = { kind: 'role' | 'deactivate' | 'reactivate'; user: User };

function ActionDialog({ action, onClose, onDone }: { action: Action | null; onClose: () => void; onDone: (u: User) => void }) {
  const [role, setRole] = useState<string>('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  // Reset the dialog's state each time it opens for another action.
  useEffect(() => {
    setRole(action?.user.role ?? '');
    setProblem(null);
  }, [action]);
  const user = action?.user;
  const chosen = role || user?.role || '';
  const close = () => {
    if (!busy) onClose();
  };
  const run = async () => {
    if (!action || !user || busy) return;
    if (action.kind === 'role' && chosen === user.role) {
      onClose();
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      const body =
        action.kind === 'role'
          ? { role: chosen as PartnerRole }
          : { is_active: action.kind === 'reactivate' };
      // The list carries no ETag per user: `*` applies the change to the current version.
      const u = await unwrap(
        api.PATCH('/v1/users/{user_id}', { params: { path: { user_id: user.id }, header: { 'If-Match': '*' } }, body }),
      );
      onDone(u);
      toast.success(
        action.kind === 'role'
          ? `${personName(u)} is now ${ROLES[u.role as PartnerRole] ?? u.role}.`
          : action.kind === 'deactivate'
            ? `${personName(u)} is deactivated.`
            : `${personName(u)} is active again.`,
      );
    } catch (e) {
      setProblem(toProblem(e));
    } finally {
      setBusy(false);
    }
  };
  const title =
    action?.kind === 'role' ? 'Change role' : action?.kind === 'deactivate' ? 'Deactivate user' : 'Reactivate user';
  const confirm = action?.kind === 'role' ? 'Save role' : action?.kind === 'deactivate' ? 'Deactivate user' : 'Reactivate user';
  return (
    <Dialog
      open={!!action}
      title={title}
      onClose={close}
      footer={
        <>
          <button
            type="button"
            class={action?.kind === 'deactivate' ? 'danger' : undefined}
            onClick={run}
            aria-busy={busy ? 'true' : undefined}
            aria-disabled={busy || (action?.kind === 'role' && chosen === user?.role) ? 'true' : undefined}
          >
            {busy ? <span class="spinner spinner-inline" aria-hidden="true" /> : null}
            {busy ? 'Saving…' : confirm}
          </button>
          <button type="button" class="secondary" onClick={close}>
            Cancel
          </button>
        </>
      }
    >
      {user ? (
        <div class="stack">
          {problem ? (
            <div class="alert alert-error" role="alert">
              <p>
                <strong>{problem.title}</strong>
              </p>
              {problem.detail !== problem.title ? <p>{problem.detail}</p> : null}
            </div>
          ) : null}
          {action?.kind === 'role' ? (
            <div class="field">
              <label for="user-role">Role</label>
              <p id="user-role-hint" class="hint">
                {ROLE_HINT}
              </p>
              <select id="user-role" value={chosen} aria-describedby="user-role-hint" onChange={(e) => setRole(e.currentTarget.value)}>
                {Object.entries(ROLES).map(([value, label]) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </select>
              <p class="muted small">For {personName(user)} ({user.email}).</p>
            </div>
          ) : action?.kind === 'deactivate' ? (
            <p>
              {personName(user)} ({user.email}) will no longer be able to sign in. You can reactivate the account later.
            </p>
          ) : (
            <p>
              {personName(user)} ({user.email}) will be able to sign in again.
            </p>
          )}
        </div>
      ) : null}
    </Dialog>
  );
}

export default function Users() {
  const me = useMe();
  const canInvite = can(me, 'POST /v1/users');
  const canManage = can(me, 'PATCH /v1/users/{user_id}');
  const pages = useCursorPages((cursor) => unwrap(api.GET('/v1/users', { params: { query: { cursor, limit: 25 } } })), []);
  const [action, setAction] = useState<Action | null>(null);
  const [changed, setChanged] = useState<Record<string, User>>({});
  const rows = pages.items.map((u) => changed[u.id] ?? u);
  const selfId = me?.user.id;
  return (
    <Page title="Users" lead="The people of your business who use the portal.">
      <div class="stack">
        {canInvite ? (
          <InviteForm
            onInvited={() => {
              setChanged({});
              pages.first();
            }}
          />
        ) : null}
        <section class="stack" aria-labelledby="users-h">
          <h2 id="users-h">Team</h2>
          {pages.error ? <ErrorState error={pages.error} onRetry={pages.reload} /> : null}
          {pages.loading && pages.items.length === 0 ? (
            <Loading label="Loading users…" />
          ) : !pages.error || rows.length ? (
            <DataTable<User>
              caption="Users"
              rows={rows}
              rowKey={(u) => u.id}
              busy={pages.loading}
              empty={<EmptyState title="No users yet" />}
              columns={[
                {
                  key: 'name',
                  header: 'Name',
                  primary: true,
                  render: (u) => (
                    <span id={`user-${u.id}`}>
                      {personName(u)}
                      {u.id === selfId ? <span class="muted"> (you)</span> : null}
                    </span>
                  ),
                },
                { key: 'email', header: 'Email', render: (u) => u.email },
                { key: 'role', header: 'Role', render: (u) => ROLES[u.role as PartnerRole] ?? u.role },
                { key: 'status', header: 'Status', render: (u) => <StatusBadge status={u.status} /> },
                { key: 'created_at', header: 'Added', hideNarrow: true, render: (u) => formatDate(u.created_at) },
                ...(canManage
                  ? [
                      {
                        key: 'actions',
                        header: 'Actions',
                        render: (u: User) =>
                          u.id === selfId ? (
                            <span class="muted small">You cannot change your own account.</span>
                          ) : (
                            <div class="button-row">
                              <button
                                type="button"
                                class="secondary"
                                aria-describedby={`user-${u.id}`}
                                onClick={() => setAction({ kind: 'role', user: u })}
                              >
                                Change role
                              </button>
                              {u.status === 'active' ? (
                                <button
                                  type="button"
                                  class="secondary"
                                  aria-describedby={`user-${u.id}`}
                                  onClick={() => setAction({ kind: 'deactivate', user: u })}
                                >
                                  Deactivate
                                </button>
                              ) : u.status === 'deactivated' ? (
                                <button
                                  type="button"
                                  class="secondary"
                                  aria-describedby={`user-${u.id}`}
                                  onClick={() => setAction({ kind: 'reactivate', user: u })}
                                >
                                  Reactivate
                                </button>
                              ) : null}
                            </div>
                          ),
                      },
                    ]
                  : []),
              ]}
            />
          ) : null}
          <Pager pages={pages} label="User pages" />
        </section>
      </div>
      <ActionDialog
        action={action}
        onClose={() => setAction(null)}
        onDone={(u) => {
          setChanged((c) => ({ ...c, [u.id]: u }));
          setAction(null);
        }}
      />
    </Page>
  );
}
