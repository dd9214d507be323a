import { api, can, unwrap, useMe, type Schemas } from '../../../api';
import {
  type Column,
  EmptyState,
  FilterBar,
  formatDate,
  ifMatch,
  Page,
  PagedTable,
  personName,
  StatusBadge,
  useCursorPages,
  useQuery,
} from '../../../ui';
import { ActionProblem, PartnerLink, q, shortId, useRowAction, useStaffNames } from './shared';

type Task = Schemas['Task'];

const STATUS_FILTER = [
  { value: 'todo', label: 'To do' },
  { value: 'in_progress', label: 'In progress' },
  { value: 'done', label: 'Done' },
];
const DUE_FILTER = [
  { value: 'overdue', label: 'Overdue' },
  { value: 'today', label: 'Due today' },
  { value: 'week', label: 'Due within 7 days' },
];

export default function Tasks() {
  const me = useMe();
  const query = useQuery();
  const mayEdit = can(me, 'PATCH /v1/admin/tasks/{task_id}');
  const staff = useStaffNames(can(me, 'GET /v1/admin/staff'));
  const action = useRowAction();
  const filters = {
    assignee: q(query, 'assignee'),
    status: q(query, 'status') as 'open' | 'todo' | 'in_progress' | 'done' | undefined,
    due: q(query, 'due') as 'overdue' | 'today' | 'week' | undefined,
  };
  const tasks = useCursorPages(
    (cursor) => unwrap(api.GET('/v1/admin/tasks', { params: { query: { ...filters, cursor, limit: 25 } } })),
    [filters],
  );

  const setStatus = (t: Task, status: Schemas['TaskStatus']) =>
    action
      .run(
        `${t.id}:${status}`,
        () =>
          unwrap(
            api.PATCH('/v1/admin/tasks/{task_id}', {
              params: { path: { task_id: t.id }, header: { 'If-Match': ifMatch(t.version) } },
              body: { status },
            }),
          ),
        status === 'done' ? `“${t.title}” is done.` : `“${t.title}” is open again.`,
      )
      .then((ok) => ok && tasks.reload());

  const assigneeOptions = [
    { value: 'me', label: 'Me' },
    { value: 'none', label: 'Unassigned' },
    ...staff.users.filter((u) => u.id !== me?.user.id).map((u) => ({ value: u.id, label: personName(u) })),
  ];

  const columns: Column<Task>[] = [
    {
      key: 'title',
      header: 'Task',
      primary: true,
      render: (t) => (
        <>
          {t.title}
          {t.description ? <div class="muted small">{t.description}</div> : null}
        </>
      ),
    },
    { key: 'partner', header: 'Partner', render: (t) => <PartnerLink id={t.partner_id} /> },
    { key: 'status', header: 'Status', render: (t) => <StatusBadge status={t.status} /> },
    { key: 'priority', header: 'Priority', hideNarrow: true, render: (t) => <StatusBadge status={t.priority} tone={t.priority === 'high' ? 'warning' : 'neutral'} /> },
    {
      key: 'due',
      header: 'Due',
      render: (t) =>
        t.due_date ? (
          <>
            {formatDate(t.due_date)} {t.overdue ? <StatusBadge status="overdue" /> : null}
          </>
        ) : (
          <span class="muted">No due date</span>
        ),
    },
    {
      key: 'assignee',
      header: 'Assignee',
      render: (t) =>
        !t.assignee_id ? <span class="muted">Unassigned</span> : t.assignee_id === me?.user.id ? 'Me' : (staff.name(t.assignee_id) ?? shortId(t.assignee_id)),
    },
  ];
  if (mayEdit) {
    columns.push({
      key: 'actions',
      header: 'Actions',
      render: (t) => {
        const done = t.status === 'done';
        const key = `${t.id}:${done ? 'todo' : 'done'}`;
        return (
          <div class="row-actions">
            <button
              type="button"
              class="secondary"
              aria-busy={action.busy === key ? 'true' : undefined}
              disabled={!!action.busy}
              aria-label={`${done ? 'Reopen' : 'Complete'} ${t.title}`}
              onClick={() => void setStatus(t, done ? 'todo' : 'done')}
            >
              {action.busy === key ? <span class="spinner spinner-inline" aria-hidden="true" /> : null}
              {done ? 'Reopen' : 'Complete'}
            </button>
          </div>
        );
      },
    });
  }

  return (
    <Page title="Tasks" lead="Internal tasks across partners, soonest due first.">
      <FilterBar
        label="Filter tasks"
        filters={[
          { name: 'assignee', label: 'Assignee', type: 'select', any: 'Everyone', options: assigneeOptions },
          { name: 'status', label: 'Status', type: 'select', any: 'Open (to do or in progress)', options: STATUS_FILTER },
          { name: 'due', label: 'Due', type: 'select', any: 'Any time', options: DUE_FILTER },
        ]}
      />
      <ActionProblem problem={action.problem} onDismiss={action.clear} />
      <PagedTable
        pages={tasks}
        caption="Tasks"
        rowKey={(t) => t.id}
        columns={columns}
        empty={<EmptyState title="No tasks match these filters" />}
        loadingLabel="Loading tasks…"
        pagerLabel="Task pages"
      />
    </Page>
  );
}
