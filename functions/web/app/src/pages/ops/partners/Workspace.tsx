import { useState } from 'preact/hooks';
import { api, unwrapResponse } from '../../../api';
import { AsyncState, Link, Page, StatusBadge, Tabs, setQuery, useAsync, type RouteProps } from '../../../ui';
import { Overview, type RecordState } from './Overview';
import { KycTab } from './Kyc';
import { LeadsTab } from './Leads';
import { TasksTab } from './Tasks';
import { DocumentsTab } from './Documents';
import { NotesTab, TimelineTab } from './Timeline';
import './partners.css';

const TABS = ['overview', 'kyc', 'leads', 'tasks', 'documents', 'notes', 'timeline'] as const;

export default function Workspace({ params, query }: RouteProps) {
  const id = params.id ?? '';
  const rec = useAsync<RecordState>(
    () =>
      unwrapResponse(api.GET('/v1/admin/partners/{partner_id}', { params: { path: { partner_id: id } } })).then((r) => ({
        record: r.data,
        etag: r.etag,
      })),
    [id],
  );
  const tabParam = query.get('tab') ?? 'overview';
  const tab = (TABS as readonly string[]).includes(tabParam) ? tabParam : 'overview';
  const p = rec.data?.record.partner;
  const [opened, setOpened] = useState<ReadonlySet<string>>(new Set());
  return (
    <Page
      title={p ? p.business_name : 'Partner'}
      heading={p ? p.business_name : 'Partner'}
      lead={
        p ? (
          <>
            <StatusBadge status={p.status} /> <span class="muted">KYC:</span> <StatusBadge status={p.kyc_status} />
          </>
        ) : undefined
      }
      actions={
        <Link class="button secondary" href="/app/ops">
          All partners
        </Link>
      }
    >
      <AsyncState state={rec} loadingLabel="Loading the partner…">
        {(data) => (
          <Tabs
            label="Partner workspace"
            selected={tab}
            onSelect={(t) => setQuery({ tab: t === 'overview' ? null : t })}
            tabs={[
              { id: 'overview', label: 'Overview', content: () => <Overview state={data} reload={rec.reload} /> },
              { id: 'kyc', label: 'KYC', content: () => (
                  <KycTab
                    record={data.record}
                    reload={rec.reload}
                    opened={opened}
                    onOpened={(doc) => setOpened((s) => new Set(s).add(doc))}
                  />
                ) },
              { id: 'leads', label: 'Leads', content: () => <LeadsTab partnerId={id} /> },
              { id: 'tasks', label: 'Tasks', content: () => <TasksTab partnerId={id} /> },
              { id: 'documents', label: 'Documents', content: () => <DocumentsTab partnerId={id} /> },
              { id: 'notes', label: 'Notes', content: () => <NotesTab partnerId={id} users={data.record.users} /> },
              { id: 'timeline', label: 'Timeline', content: () => <TimelineTab partnerId={id} users={data.record.users} /> },
            ]}
          />
        )}
      </AsyncState>
    </Page>
  );
}
