import { useState } from 'preact/hooks';
import { api, can, toProblem, unwrap, useMe, type Schemas } from '../../../api';
import {
  type Column,
  EmptyState,
  formatDate,
  formatDateTime,
  Link,
  money,
  PagedTable,
  StatusBadge,
  toast,
  useCursorPages,
  withQuery,
} from '../../../ui';

type Lead = Schemas['Lead'];

function SurveyButton({ lead, onSent }: { lead: Lead; onSent: (at: string) => void }) {
  const [busy, setBusy] = useState(false);
  const name = `${lead.first_name} ${lead.last_name}`.trim();
  const send = async () => {
    if (busy) return;
    setBusy(true);
    try {
      const r = await unwrap(api.POST('/v1/admin/feedback/surveys', { body: { lead_id: lead.id } }));
      toast.success(`Survey sent to ${name}.`);
      onSent(r.survey_sent_at);
    } catch (e) {
      toast.error(toProblem(e).detail);
    } finally {
      setBusy(false);
    }
  };
  if (!lead.email) return <span class="muted small">No email</span>;
  return (
    <button type="button" class="secondary" aria-label={`Send survey to ${name}`} aria-busy={busy ? 'true' : undefined} disabled={busy} onClick={() => void send()}>
      {busy ? <span class="spinner spinner-inline" aria-hidden="true" /> : null}
      {busy ? 'Sending…' : 'Send survey'}
    </button>
  );
}

export function LeadsTab({ partnerId }: { partnerId: string }) {
  const me = useMe();
  const canSurvey = can(me, 'POST /v1/admin/feedback/surveys');
  const [sent, setSent] = useState<Record<string, string>>({});
  const pages = useCursorPages(
    (cursor) => unwrap(api.GET('/v1/admin/leads', { params: { query: { partner_id: partnerId, cursor, limit: 25 } } })),
    [partnerId],
  );
  const columns: Column<Lead>[] = [
    {
      key: 'name',
      header: 'Lead',
      primary: true,
      render: (l) => (
        <>
          {l.first_name} {l.last_name}
          {l.company ? <span class="muted small"> · {l.company}</span> : null}
        </>
      ),
    },
    { key: 'status', header: 'Status', render: (l) => <StatusBadge status={l.status} /> },
    { key: 'value', header: 'Estimated value', align: 'end', render: (l) => money(l.estimated_value) },
    { key: 'created_at', header: 'Created', render: (l) => formatDate(l.created_at) },
    { key: 'last_contact_at', header: 'Last contact', hideNarrow: true, render: (l) => formatDate(l.last_contact_at) },
    {
      key: 'survey',
      header: 'Survey',
      render: (l) => {
        const at = sent[l.id] ?? l.survey_sent_at;
        return (
          <>
            {at ? <span class="small">Sent {formatDateTime(at)} </span> : null}
            {canSurvey ? <SurveyButton lead={l} onSent={(t) => setSent((s) => ({ ...s, [l.id]: t }))} /> : at ? null : '—'}
          </>
        );
      },
    },
  ];
  return (
    <div class="stack">
      <h2>Leads</h2>
      <p>
        <Link href={withQuery('/app/ops/leads', { partner_id: partnerId })}>Open these leads in the lead pool</Link>
      </p>
      <PagedTable
        pages={pages}
        caption="The partner's leads"
        columns={columns}
        rowKey={(l) => l.id}
        empty={<EmptyState title="No leads yet" />}
        loadingLabel="Loading leads…"
        pagerLabel="Lead pages"
      />
    </div>
  );
}
