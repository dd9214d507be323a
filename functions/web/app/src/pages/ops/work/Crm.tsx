import { useId, useState } from 'preact/hooks';
import { api, can, unwrap, useMe } from '../../../api';
import { Alert, CheckboxField, Field, Form, Page, SubmitButton, formatNumber, useForm } from '../../../ui';
import './ops-work.css';

interface RecordRow {
  key: number;
  module: string;
  id: string;
}

const MODULES = ['Leads', 'Vendors', 'Commissions'];
const MAX_RECORDS = 100;

export default function Crm() {
  const me = useMe();
  const mayReplay = can(me, 'POST /v1/admin/crm/replay');
  const listId = useId();
  const [rows, setRows] = useState<RecordRow[]>([]);
  const [nextKey, setNextKey] = useState(1);
  const [result, setResult] = useState<{ requeued_records: number; repushed: number } | null>(null);

  const form = useForm({
    initial: { failed: false },
    validate: (v) => {
      const errors: Record<string, string | undefined> = {};
      rows.forEach((r, i) => {
        if (!r.module.trim()) errors[`records.${i}.module`] = 'Enter the CRM module, such as Leads.';
        if (!r.id.trim()) errors[`records.${i}.id`] = 'Enter the CRM record id.';
      });
      if (!rows.length && !v.failed) errors.failed = 'Add a record to re-read, or choose to re-push failed syncs.';
      return errors;
    },
    onSubmit: async (v) => {
      setResult(null);
      const answer = await unwrap(
        api.POST('/v1/admin/crm/replay', {
          body: {
            failed: v.failed,
            ...(rows.length ? { records: rows.map((r) => ({ module: r.module.trim(), id: r.id.trim() })) } : {}),
          },
        }),
      );
      setResult(answer);
    },
  });
  rows.forEach((_, i) => {
    form.register(`records.${i}.module`);
    form.register(`records.${i}.id`);
  });

  const setRow = (key: number, patch: Partial<RecordRow>) => setRows((rs) => rs.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  const addRow = () => {
    setRows((rs) => [...rs, { key: nextKey, module: 'Leads', id: '' }]);
    setNextKey((k) => k + 1);
  };

  return (
    <Page title="CRM" heading="CRM replay" lead="Re-read records from the CRM, or push again every record whose sync to the CRM failed." narrow>
      {!mayReplay ? (
        <Alert tone="info" title="Read-only access">
          Only administrators can replay CRM records.
        </Alert>
      ) : null}
      <Form form={form} class="card stack" aria-label="CRM replay">
        <CheckboxField form={form} name="failed" label="Re-push every record whose CRM sync failed" hint="Queues another push for each failed outbound sync." />
        <fieldset class="group stack">
          <legend>CRM records to re-read</legend>
          <p class="hint">Each record is read again from the CRM and applied to the portal (at most {MAX_RECORDS}).</p>
          <datalist id={listId}>
            {MODULES.map((m) => (
              <option key={m} value={m} />
            ))}
          </datalist>
          {rows.map((r, i) => {
            const suffix = i === 0 ? '' : ` (record ${i + 1})`;
            return (
              <div key={r.key} class="grid-2">
                <Field label={`Module${suffix}`} name={`records.${i}.module`} id={form.controlId(`records.${i}.module`)} error={form.error(`records.${i}.module`)}>
                  {(a) => <input {...a} list={listId} value={r.module} onInput={(e) => setRow(r.key, { module: e.currentTarget.value })} disabled={!mayReplay} />}
                </Field>
                <Field label={`Record ID${suffix}`} name={`records.${i}.id`} id={form.controlId(`records.${i}.id`)} error={form.error(`records.${i}.id`)}>
                  {(a) => <input {...a} inputMode="numeric" value={r.id} onInput={(e) => setRow(r.key, { id: e.currentTarget.value })} disabled={!mayReplay} />}
                </Field>
                <div class="span-2">
                  <button type="button" class="link-button" onClick={() => setRows((rs) => rs.filter((x) => x.key !== r.key))} disabled={!mayReplay}>
                    Remove record{suffix}
                  </button>
                </div>
              </div>
            );
          })}
          <div>
            <button type="button" class="secondary" onClick={addRow} disabled={!mayReplay || rows.length >= MAX_RECORDS}>
              Add record
            </button>
          </div>
        </fieldset>
        {mayReplay ? (
          <SubmitButton form={form} busyLabel="Queuing…">
            Replay
          </SubmitButton>
        ) : null}
      </Form>
      {result ? (
        <div class="ops-section">
          <Alert tone="success" title="Queued" live>
            <p>
              {formatNumber(result.requeued_records)} CRM record{result.requeued_records === 1 ? '' : 's'} queued to be read again;{' '}
              {formatNumber(result.repushed)} failed sync{result.repushed === 1 ? '' : 's'} queued for another push. The workers apply them
              in the background.
            </p>
          </Alert>
        </div>
      ) : null}
    </Page>
  );
}
