import { useState } from 'preact/hooks';
import { api, can, toProblem, unwrap, useMe, type Schemas } from '../../../api';
import {
  type Column,
  ConfirmDialog,
  EmptyState,
  Form,
  formatDate,
  humanize,
  ifMatch,
  PagedTable,
  personName,
  SelectField,
  StatusBadge,
  SubmitButton,
  TextAreaField,
  TextField,
  toast,
  useCursorPages,
  useForm,
  useStaff,
} from '../../../ui';
import { actorName } from './shared';

type Task = Schemas['Task'];

const PRIORITIES = [
  { value: 'low', label: 'Low' },
  { value: 'normal', label: 'Normal' },
  { value: 'high', label: 'High' },
];

function NewTaskForm({ partnerId, onCreated }: { partnerId: string; onCreated: () => void }) {
  const staff = useStaff();
  const assignees = staff.filter((s) => s.is_active).map((s) => ({ value: s.id, label: personName(s) }));
  const form = useForm({
    initial: { title: '', due_date: '', assignee_id: '', priority: 'normal', description: '' },
    validate: (v) => ({ title: v.title.trim() ? undefined : 'Enter a title.' }),
    onSubmit: async (v) => {
      await unwrap(
        api.POST('/v1/admin/partners/{partner_id}/tasks', {
          params: { path: { partner_id: partnerId } },
          body: {
            title: v.title.trim(),
            due_date: v.due_date || null,
            assignee_id: v.assignee_id || null,
            priority: v.priority as Schemas['TaskPriority'],
            description: v.description.trim() || null,
          },
        }),
      );
      form.reset();
      toast.success('Task added.');
      onCreated();
    },
  });
  return (
    <Form form={form} class="card stack" aria-label="New task">
      <h3>New task</h3>
      <div class="grid-2">
        <TextField form={form} name="title" label="Title" required maxLength={200} class="span-2" />
        <TextField form={form} name="due_date" label="Due date" type="date" optional />
        <SelectField form={form} name="assignee_id" label="Assignee" options={assignees} placeholder="Nobody" />
        <SelectField form={form} name="priority" label="Priority" options={PRIORITIES} />
        <TextAreaField form={form} name="description" label="Description" rows={2} maxLength={4000} optional class="span-2" />
      </div>
      <div class="button-row">
        <SubmitButton form={form} busyLabel="Adding…">
          Add task
        </SubmitButton>
      </div>
    </Form>
  );
}

export function TasksTab({ partnerId }: { partnerId: string }) {
  const me = useMe();
  const staff = useStaff();
  const canCreate = can(me, 'POST /v1/admin/partners/{partner_id}/tasks');
  const canUpdate = can(me, 'PATCH /v1/admin/tasks/{task_id}');
  const canDelete = can(me, 'DELETE /v1/admin/tasks/{task_id}');
  const [busy, setBusy] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<Task | null>(null);
  const [deleteError, setDeleteError] = useState<unknown>(null);
  const pages = useCursorPages(
    (cursor) =>
      unwrap(api.GET('/v1/admin/partners/{partner_id}/tasks', { params: { path: { partner_id: partnerId }, query: { cursor, limit: 25 } } })),
    [partnerId],
  );

  const setStatus = async (t: Task, status: Schemas['TaskStatus']) => {
    if (busy) return;
    setBusy(t.id);
    try {
      await unwrap(
        api.PATCH('/v1/admin/tasks/{task_id}', {
          params: { path: { task_id: t.id }, header: { 'If-Match': ifMatch(t.version) } },
          body: { status },
        }),
      );
      toast.success(status === 'done' ? `Completed: ${t.title}` : `Reopened: ${t.title}`);
      pages.reload();
    } catch (e) {
      toast.error(toProblem(e).detail);
      pages.reload();
    } finally {
      setBusy(null);
    }
  };

  const remove = async () => {
    if (!deleting || busy) return;
    setBusy(deleting.id);
    setDeleteError(null);
    try {
      await unwrap(api.DELETE('/v1/admin/tasks/{task_id}', { params: { path: { task_id: deleting.id } } }));
      toast.success(`Deleted: ${deleting.title}`);
      setDeleting(null);
      pages.reload();
    } catch (e) {
      setDeleteError(e);
    } finally {
      setBusy(null);
    }
  };

  const columns: Column<Task>[] = [
    {
      key: 'title',
      header: 'Task',
      primary: true,
      render: (t) => (
        <>
          {t.title}
          {t.description ? <span class="small muted ops-sub">{t.description}</span> : null}
        </>
      ),
    },
    {
      key: 'status',
      header: 'Status',
      render: (t) => (
        <>
          <StatusBadge status={t.status} /> {t.overdue ? <StatusBadge status="overdue" /> : null}
        </>
      ),
    },
    { key: 'priority', header: 'Priority', render: (t) => humanize(t.priority) },
    { key: 'due_date', header: 'Due', render: (t) => formatDate(t.due_date) },
    { key: 'assignee', header: 'Assignee', render: (t) => (t.assignee_id ? actorName(t.assignee_id, staff) : 'Nobody') },
    ...(canUpdate || canDelete
      ? [
          {
            key: 'actions',
            header: 'Actions',
            render: (t: Task) => (
              <div class="button-row">
                {canUpdate ? (
                  t.status === 'done' ? (
                    <button type="button" class="secondary" aria-label={`Reopen ${t.title}`} disabled={busy !== null} onClick={() => void setStatus(t, 'todo')}>
                      Reopen
                    </button>
                  ) : (
                    <button
                      type="button"
                      aria-label={`Complete ${t.title}`}
                      aria-busy={busy === t.id ? 'true' : undefined}
                      disabled={busy !== null}
                      onClick={() => void setStatus(t, 'done')}
                    >
                      {busy === t.id ? 'Saving…' : 'Complete'}
                    </button>
                  )
                ) : null}
                {canDelete ? (
                  <button
                    type="button"
                    class="danger"
                    aria-label={`Delete ${t.title}`}
                    disabled={busy !== null}
                    onClick={() => {
                      setDeleteError(null);
                      setDeleting(t);
                    }}
                  >
                    Delete
                  </button>
                ) : null}
              </div>
            ),
          },
        ]
      : []),
  ];

  return (
    <div class="stack">
      <h2>Tasks</h2>
      {canCreate ? (
        <NewTaskForm
          partnerId={partnerId}
          onCreated={() => {
            pages.first();
            pages.reload();
          }}
        />
      ) : null}
      <PagedTable
        pages={pages}
        caption="Tasks about this partner"
        columns={columns}
        rowKey={(t) => t.id}
        empty={<EmptyState title="No tasks yet" />}
        loadingLabel="Loading tasks…"
        pagerLabel="Task pages"
      />
      <ConfirmDialog
        open={deleting !== null}
        title="Delete task"
        confirmLabel="Delete task"
        busyLabel="Deleting…"
        danger
        busy={busy !== null}
        error={deleteError}
        errorTitle="The task was not deleted"
        onConfirm={() => void remove()}
        onClose={() => setDeleting(null)}
      >
        <p>Delete “{deleting?.title}”? This cannot be undone.</p>
      </ConfirmDialog>
    </div>
  );
}
