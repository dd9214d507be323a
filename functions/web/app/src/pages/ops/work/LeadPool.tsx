import { useState } from 'preact/hooks';
import { api, can, unwrap, useMe, type Schemas } from '../../../api';
import {
  type Column,
  EmptyState,
  FilterBar,
  Form,
  formatDate,
  formatDateTime,
  money,
  Page,
  PagedTable,
  StatusBadge,
  SubmitButton,
  toast,
  useCursorPages,
  useForm,
  useQuery,
} from '../../../ui';
import { ItemDialog, PartnerLink, PartnerPicker, enumOptions, q } from './shared';

type Lead = Schemas['Lead'];

const STATUSES: Schemas['LeadStatus'][] = ['new', 'contacted', 'qualified', 'proposal', 'won', 'lost', 'converted'];

function AssignForm({ lead, onClose, onAssigned }: { lead: Lead; onClose: () => void; onAssigned: (l: Lead) => void }) {
  const form = useForm({
    initial: { partner_id: '' },
    validate: (v) => ({ partner_id: v.partner_id ? undefined : 'Choose the partner to assign the lead to.' }),
    onSubmit: async (v) => {
      const updated = await unwrap(
        api.POST('/v1/admin/leads/{lead_id}/assign', { params: { path: { lead_id: lead.id } }, body: { partner_id: v.partner_id } }),
      );
      toast.success(`${lead.first_name} ${lead.last_name} was assigned.`);
      onAssigned(updated);
    },
  });
  form.register('partner_id');
  return (
      <Form form={form} class="stack">
        <p class="muted">
          The lead moves with its history, activities and attachments; the new partner is emailed. Only approved partners can
          receive leads.
        </p>
        <PartnerPicker
          name="partner_id"
          id={form.controlId('partner_id')}
          value={form.values.partner_id}
          onChange={(id) => form.set('partner_id', id)}
          error={form.error('partner_id')}
          status="approved"
          autoFocus
        />
        <div class="button-row">
          <SubmitButton form={form} busyLabel="Assigning…">
            Assign
          </SubmitButton>
          <button type="button" class="secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </Form>
  );
}

export default function LeadPool() {
  const me = useMe();
  const query = useQuery();
  const mayAssign = can(me, 'POST /v1/admin/leads/{lead_id}/assign');
  const [assigning, setAssigning] = useState<Lead | null>(null);
  const filters = {
    partner_id: q(query, 'partner_id'),
    status: q(query, 'status') as Schemas['LeadStatus'] | undefined,
    unassigned: q(query, 'unassigned') as 'true' | 'false' | undefined,
    q: q(query, 'q'),
    created_from: q(query, 'created_from'),
    created_to: q(query, 'created_to'),
  };
  const leads = useCursorPages(
    (cursor) => unwrap(api.GET('/v1/admin/leads', { params: { query: { ...filters, cursor, limit: 25 } } })),
    [filters],
  );

  const columns: Column<Lead>[] = [
    {
      key: 'name',
      header: 'Lead',
      primary: true,
      render: (l) => (
        <>
          {l.first_name} {l.last_name}
          {l.email ? <div class="muted small break">{l.email}</div> : null}
        </>
      ),
    },
    { key: 'company', header: 'Company', render: (l) => l.company || '—' },
    { key: 'partner', header: 'Partner', render: (l) => <PartnerLink id={l.partner_id} /> },
    { key: 'status', header: 'Status', render: (l) => <StatusBadge status={l.status} /> },
    { key: 'assigned', header: 'Assigned', hideNarrow: true, render: (l) => (l.assigned_to ? 'Yes' : <span class="muted">Unassigned</span>) },
    { key: 'value', header: 'Estimated value', align: 'end', hideNarrow: true, render: (l) => money(l.estimated_value) },
    { key: 'created_at', header: 'Created', render: (l) => <time dateTime={l.created_at} title={formatDateTime(l.created_at)}>{formatDate(l.created_at)}</time> },
  ];
  if (mayAssign) {
    columns.push({
      key: 'actions',
      header: 'Actions',
      render: (l) => (
        <div class="row-actions">
          <button type="button" class="secondary" onClick={() => setAssigning(l)} aria-label={`Assign ${l.first_name} ${l.last_name}`}>
            Assign
          </button>
        </div>
      ),
    });
  }

  return (
    <Page title="Lead pool" lead="Leads across every partner. Assign a lead to move it to another partner.">
      <FilterBar
        label="Filter leads"
        filters={[
          { name: 'q', label: 'Search', type: 'search' },
          { name: 'status', label: 'Status', type: 'select', options: enumOptions(STATUSES) },
          { name: 'unassigned', label: 'Assignment', type: 'select', any: 'Any', options: [{ value: 'true', label: 'Unassigned only' }, { value: 'false', label: 'Assigned only' }] },
          { name: 'partner_id', label: 'Partner ID', type: 'text' },
          { name: 'created_from', label: 'Created from', type: 'date' },
          { name: 'created_to', label: 'Created to', type: 'date' },
        ]}
      />
      <PagedTable
        pages={leads}
        caption="Leads"
        rowKey={(l) => l.id}
        columns={columns}
        empty={<EmptyState title="No leads match these filters" />}
        loadingLabel="Loading leads…"
        pagerLabel="Lead pages"
      />
      <ItemDialog item={assigning} title={(l) => `Assign ${l.first_name} ${l.last_name}`} onClose={() => setAssigning(null)}>
        {(l) => (
          <AssignForm
            lead={l}
            onClose={() => setAssigning(null)}
            onAssigned={() => {
              setAssigning(null);
              leads.reload();
            }}
          />
        )}
      </ItemDialog>
    </Page>
  );
}
