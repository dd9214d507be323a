import { api, can, unwrap, useMe, type Schemas } from '../../../api';
import {
  type Column,
  EmptyState,
  FilterBar,
  formatDateTime,
  formatRelative,
  Page,
  PagedTable,
  useCursorPages,
  useQuery,
} from '../../../ui';
import { PartnerLink, q, shortId, useStaffNames } from './shared';

type Entry = Schemas['ActivityEntry'];

function show(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}

function Changes({ entry }: { entry: Entry }) {
  if ((entry.before === null || entry.before === undefined) && (entry.after === null || entry.after === undefined)) {
    return <span class="muted">—</span>;
  }
  return (
    <details class="changes">
      <summary>Show changes</summary>
      <p class="small">
        <strong>Before</strong>
      </p>
      <pre>{show(entry.before)}</pre>
      <p class="small">
        <strong>After</strong>
      </p>
      <pre>{show(entry.after)}</pre>
    </details>
  );
}

export default function Activity() {
  const me = useMe();
  const query = useQuery();
  const staff = useStaffNames(can(me, 'GET /v1/admin/staff'));
  const filters = {
    partner_id: q(query, 'partner_id'),
    actor: q(query, 'actor'),
    action: q(query, 'action'),
    from: q(query, 'from'),
    to: q(query, 'to'),
  };
  const feed = useCursorPages(
    (cursor) => unwrap(api.GET('/v1/admin/activity', { params: { query: { ...filters, cursor, limit: 50 } } })),
    [filters],
  );
  const actorName = (actor: string) => actor === 'crm' ? 'CRM' : actor === 'system' ? 'System' : (staff.name(actor) ?? shortId(actor));

  const columns: Column<Entry>[] = [
    {
      key: 'at',
      header: 'When',
      render: (e) => (
        <time dateTime={e.at} title={formatDateTime(e.at)}>
          {formatRelative(e.at)}
        </time>
      ),
    },
    { key: 'action', header: 'Action', primary: true, render: (e) => <code>{e.action}</code> },
    { key: 'actor', header: 'Actor', render: (e) => <span title={e.actor}>{actorName(e.actor)}</span> },
    { key: 'partner', header: 'Partner', render: (e) => <PartnerLink id={e.partner_id} /> },
    { key: 'target', header: 'Target', hideNarrow: true, render: (e) => <span class="break small">{e.target}</span> },
    { key: 'changes', header: 'Changes', render: (e) => <Changes entry={e} /> },
  ];

  return (
    <Page title="Activity" lead="The audit trail across partners, newest first.">
      <FilterBar
        label="Filter activity"
        filters={[
          { name: 'action', label: 'Action', type: 'text' },
          { name: 'actor', label: 'Actor', type: 'text' },
          { name: 'partner_id', label: 'Partner ID', type: 'text' },
          { name: 'from', label: 'From', type: 'date' },
          { name: 'to', label: 'To', type: 'date' },
        ]}
      />
      <p class="muted small">
        Action takes an exact action (<code>lead.updated</code>) or a prefix (<code>lead.</code>); actor takes a user id,{' '}
        <code>system</code> or <code>crm</code>.
      </p>
      <PagedTable
        pages={feed}
        caption="Activity"
        rowKey={(e) => e.id}
        columns={columns}
        empty={<EmptyState title="No activity matches these filters" />}
        loadingLabel="Loading activity…"
        pagerLabel="Activity pages"
      />
    </Page>
  );
}
