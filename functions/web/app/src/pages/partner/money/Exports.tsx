import { useEffect, useState } from 'preact/hooks';
import { api, toProblem, unwrap, type ApiProblem, type Schemas } from '../../../api';
import {
  Alert,
  CheckboxField,
  EmptyState,
  ErrorState,
  Form,
  Page,
  ProgressBar,
  SelectField,
  StatusBadge,
  SubmitButton,
  TextField,
  createStore,
  formatDateTime,
  formatNumber,
  optionsOf,
  toast,
  useForm,
  useStore,
  type RouteProps,
} from '../../../ui';
import { COMMISSION_KINDS, COMMISSION_STATUSES, oneOf } from './shared';
import './money.css';

type Export = Schemas['Export'];
type Kind = Schemas['ExportKind'];
type Format = Schemas['ExportFormat'];
type NewExport = Schemas['NewExport'];

const KINDS: Record<Kind, string> = {
  leads: 'Leads',
  commissions: 'Commissions',
  payouts: 'Payouts',
  performance_report: 'Performance report',
};

const FORMATS: Record<Format, string> = { csv: 'CSV', xlsx: 'Excel (XLSX)', pdf: 'PDF' };

const LEAD_STATUSES: Record<string, string> = {
  new: 'New',
  contacted: 'Contacted',
  qualified: 'Qualified',
  proposal: 'Proposal',
  won: 'Won',
  lost: 'Lost',
  converted: 'Converted',
};

function formatsFor(kind: Kind): Format[] {
  return kind === 'performance_report' ? ['pdf'] : ['csv', 'xlsx'];
}

/** Exports started in this browser tab (the API has no list of them). */
interface Started {
  id: string;
  kind: Kind;
  format: Format;
  started_at: string;
  /** The last answer of GET /v1/exports/{id}. */
  state?: Export;
}

const started = createStore<Started[]>([]);

function update(id: string, state: Export) {
  started.set((list) => list.map((s) => (s.id === id ? { ...s, state } : s)));
}

const POLL_MS = 2000;

/** Polls one export until it is ready or failed (while this row is on screen). */
function useExportPolling(item: Started) {
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [tick, setTick] = useState(0);
  const status = item.state?.status ?? 'queued';
  const finished = status === 'ready' || status === 'failed';
  useEffect(() => {
    if (finished) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let delay = item.state ? POLL_MS : 500;
    const run = async () => {
      try {
        const e = await unwrap(api.GET('/v1/exports/{export_id}', { params: { path: { export_id: item.id } } }));
        if (!live) return;
        setProblem(null);
        update(item.id, e);
        if (e.status === 'ready' || e.status === 'failed') return;
      } catch (err) {
        if (!live) return;
        const p = toProblem(err);
        setProblem(p);
        if (p.status === 404 || p.status === 403) return;
      }
      delay = Math.min(10_000, Math.round(delay * 1.3) + 500);
      timer = setTimeout(run, delay);
    };
    timer = setTimeout(run, delay);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [item.id, finished, tick]);
  return { problem, retry: () => setTick((t) => t + 1) };
}

function ExportRow({ item }: { item: Started }) {
  const { problem, retry } = useExportPolling(item);
  const [refreshing, setRefreshing] = useState(false);
  const e = item.state;
  const status = e?.status ?? 'queued';
  const expired = !!e?.expires_at && new Date(e.expires_at).getTime() <= Date.now();
  const titleId = `export-${item.id}`;
  const refresh = async () => {
    setRefreshing(true);
    try {
      update(item.id, await unwrap(api.GET('/v1/exports/{export_id}', { params: { path: { export_id: item.id } } })));
    } catch (err) {
      toast.error(toProblem(err).detail);
    } finally {
      setRefreshing(false);
    }
  };
  return (
    <article class="card" aria-labelledby={titleId}>
      <h3 id={titleId}>
        {KINDS[item.kind]} · {FORMATS[item.format]}
      </h3>
      <div class="money-meta">
        <StatusBadge status={status} />
        <span>Started {formatDateTime(item.started_at)}</span>
      </div>
      <div aria-live="polite">
        {status === 'queued' || status === 'running' ? (
          <ProgressBar
            label={
              status === 'queued'
                ? 'Waiting to start…'
                : `Building the file…${e?.rows !== undefined ? ` ${formatNumber(e.rows)} rows so far` : ''}`
            }
          />
        ) : null}
        {status === 'ready' && e ? (
          <div class="stack">
            <p>
              {e.rows !== undefined ? `${formatNumber(e.rows)} ${e.rows === 1 ? 'row' : 'rows'}. ` : ''}
              {e.expires_at
                ? expired
                  ? 'The download link has expired.'
                  : `The link works until ${formatDateTime(e.expires_at)}.`
                : null}
            </p>
            <p class="button-row">
              {e.url && !expired ? (
                <a class="button" href={e.url} target="_blank" rel="noopener noreferrer" aria-describedby={titleId}>
                  Download
                </a>
              ) : null}
              {expired ? (
                <button type="button" class="secondary" onClick={refresh} aria-busy={refreshing ? 'true' : undefined}>
                  {refreshing ? 'Getting a new link…' : 'Get a new link'}
                </button>
              ) : null}
            </p>
          </div>
        ) : null}
        {status === 'failed' ? (
          <Alert tone="error" title="The export failed">
            <p>{e?.error ?? 'The file could not be built. Please try again.'}</p>
          </Alert>
        ) : null}
      </div>
      {problem ? <ErrorState error={problem} onRetry={retry} title="Could not check this export" /> : null}
    </article>
  );
}

interface Values {
  [key: string]: unknown;
  kind: Kind;
  format: Format;
  bom: boolean;
  // Lead filters
  lead_status: string;
  stage: string;
  overdue: boolean;
  created_from: string;
  created_to: string;
  q: string;
  // Commission filters
  commission_status: string;
  commission_kind: string;
  lead_id: string;
  from: string;
  to: string;
}

function buildBody(v: Values): NewExport {
  const format = formatsFor(v.kind).includes(v.format) ? v.format : formatsFor(v.kind)[0]!;
  const body: Record<string, unknown> = { kind: v.kind, format, bom: format === 'csv' ? v.bom : false };
  if (v.kind === 'leads') {
    const f: Record<string, string> = {};
    if (v.lead_status) f.status = v.lead_status;
    if (v.stage.trim()) f.stage = v.stage.trim();
    if (v.overdue) f.follow_up = 'overdue';
    if (v.created_from) f.created_from = `${v.created_from}T00:00:00Z`;
    if (v.created_to) f.created_to = `${v.created_to}T23:59:59Z`;
    if (v.q.trim()) f.q = v.q.trim();
    if (Object.keys(f).length) body.filters = f;
  } else if (v.kind === 'commissions') {
    const f: Record<string, string> = {};
    if (v.commission_status) f.status = v.commission_status;
    if (v.commission_kind) f.kind = v.commission_kind;
    if (v.lead_id.trim()) f.lead_id = v.lead_id.trim();
    if (v.from) f.from = v.from;
    if (v.to) f.to = v.to;
    if (Object.keys(f).length) body.filters = f;
  }
  return body as unknown as NewExport;
}

export default function Exports({ query }: RouteProps) {
  const list = useStore(started);
  const initialKind = oneOf(query.get('kind'), KINDS) ?? 'leads';
  // The API names filter fields inside `filters`; the form's fields carry the kind's prefix
  // where names clash, so the mapping follows the kind chosen (filled in below).
  const aliases: Record<string, string> = {};
  const form = useForm<Values>({
    initial: {
      kind: initialKind,
      format: formatsFor(initialKind)[0]!,
      bom: false,
      lead_status: '',
      stage: '',
      overdue: false,
      created_from: '',
      created_to: '',
      q: '',
      commission_status: '',
      commission_kind: '',
      lead_id: '',
      from: '',
      to: '',
    },
    fieldAliases: aliases,
    validate: (v) => ({
      created_to: v.created_from && v.created_to && v.created_to < v.created_from ? 'The end date is before the start date.' : undefined,
      to: v.from && v.to && v.to < v.from ? 'The end date is before the start date.' : undefined,
    }),
    onSubmit: async (v) => {
      const body = buildBody(v);
      const res = await unwrap(api.POST('/v1/exports', { body }));
      const b = body as unknown as { kind: Kind; format: Format };
      started.set((l) => [{ id: res.export_id, kind: b.kind, format: b.format, started_at: new Date().toISOString() }, ...l]);
      toast.info(`${KINDS[b.kind]} export started.`);
    },
  });
  const v = form.values;
  const formats = formatsFor(v.kind);
  // Keep the format valid for the kind.
  useEffect(() => {
    if (!formats.includes(v.format)) form.set('format', formats[0]!);
  }, [v.kind]);
  Object.assign(
    aliases,
    v.kind === 'commissions'
      ? { 'filters.status': 'commission_status', 'filters.kind': 'commission_kind', 'filters.lead_id': 'lead_id', 'filters.from': 'from', 'filters.to': 'to' }
      : {
          'filters.status': 'lead_status',
          'filters.stage': 'stage',
          'filters.follow_up': 'overdue',
          'filters.created_from': 'created_from',
          'filters.created_to': 'created_to',
          'filters.q': 'q',
        },
  );

  return (
    <Page title="Exports" lead="Download your leads, commissions and payouts as CSV or Excel, or your performance report as PDF.">
      <div class="stack">
        <Form form={form} class="card stack" aria-label="New export">
          <h2>New export</h2>
          <div class="grid-2">
            <SelectField form={form} name="kind" label="Kind" options={optionsOf(KINDS)} required />
            <SelectField
              form={form}
              name="format"
              label="Format"
              options={formats.map((f) => ({ value: f, label: FORMATS[f] }))}
              hint={v.kind === 'performance_report' ? 'The performance report is a PDF.' : undefined}
              required
            />
          </div>
          {v.format === 'csv' && formats.includes('csv') ? (
            <CheckboxField
              form={form}
              name="bom"
              label="Add a byte order mark (BOM)"
              hint="Helps Excel open the CSV file with the right characters."
            />
          ) : null}
          {v.kind === 'leads' ? (
            <fieldset class="group">
              <legend>Filters (optional)</legend>
              <div class="grid-2">
                <SelectField form={form} name="lead_status" label="Status" options={optionsOf(LEAD_STATUSES)} placeholder="Any status" />
                <TextField form={form} name="stage" label="Stage" />
                <TextField form={form} name="created_from" label="Created from" type="date" />
                <TextField form={form} name="created_to" label="Created to" type="date" />
                <TextField form={form} name="q" label="Search" type="search" hint="Part of a name, email or company." />
              </div>
              <CheckboxField form={form} name="overdue" label="Only leads with an overdue follow-up" />
            </fieldset>
          ) : null}
          {v.kind === 'commissions' ? (
            <fieldset class="group">
              <legend>Filters (optional)</legend>
              <div class="grid-2">
                <SelectField
                  form={form}
                  name="commission_status"
                  label="Status"
                  options={optionsOf(COMMISSION_STATUSES)}
                  placeholder="Any status"
                />
                <SelectField
                  form={form}
                  name="commission_kind"
                  label="Kind of line"
                  options={optionsOf(COMMISSION_KINDS)}
                  placeholder="Any kind"
                />
                <TextField form={form} name="lead_id" label="Lead ID" />
                <TextField form={form} name="from" label="Earned from" type="date" />
                <TextField form={form} name="to" label="Earned to" type="date" />
              </div>
            </fieldset>
          ) : null}
          {v.kind === 'payouts' ? <p class="muted">Every payout is exported.</p> : null}
          {v.kind === 'performance_report' ? (
            <p class="muted">Your score, its components and your results of the last quarters, as a PDF.</p>
          ) : null}
          <SubmitButton form={form} busyLabel="Starting…">
            Start export
          </SubmitButton>
        </Form>

        <section aria-labelledby="started-h" class="stack">
          <h2 id="started-h">Exports you start here</h2>
          <p class="muted">
            Exports started in this browser tab are listed here while you keep it open; the files are built in the
            background, so you can keep working meanwhile.
          </p>
          {list.length === 0 ? (
            <EmptyState title="No exports started yet" />
          ) : (
            <ul class="money-list" aria-label="Exports you start here">
              {list.map((item) => (
                <li key={item.id}>
                  <ExportRow item={item} />
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    </Page>
  );
}
