import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiProblem, api, can, unwrap, useMe, type Schemas } from '../../../api';
import {
  AsyncState,
  type Column,
  DataTable,
  EmptyState,
  ErrorState,
  Field,
  Form,
  formatDate,
  formatNumber,
  formatPercent,
  humanize,
  Link,
  money,
  Page,
  Pager,
  personName,
  ProgressBar,
  type RouteProps,
  SelectField,
  setQuery,
  StatusBadge,
  SubmitButton,
  TextAreaField,
  useAsync,
  useCursorPages,
  useForm,
  useStaff,
  withQuery,
} from '../../../ui';
import {
  KYC_OPTIONS,
  PARTNER_STATUS_LABELS,
  STATUS_OPTIONS,
  TIER_OPTIONS,
  pagesState,
  type Partner,
  type PartnerStatus,
} from './shared';
import './partners.css';

type Metrics = { active_partners: number; pipeline_value: Schemas['Money']; commission_owed: Schemas['Money'] };

const FILTER_KEYS = ['status', 'kyc_status', 'tier', 'region', 'owner', 'q'] as const;
type FilterKey = (typeof FILTER_KEYS)[number];

/** The API lists partners in its own order; these reorder the page shown. */
const SORTS: Record<string, { label: string; compare?: (a: Partner, b: Partner) => number }> = {
  '': { label: 'As listed (newest first)' },
  name: { label: 'Business name A–Z', compare: (a, b) => a.business_name.localeCompare(b.business_name) },
  '-name': { label: 'Business name Z–A', compare: (a, b) => b.business_name.localeCompare(a.business_name) },
  '-updated': { label: 'Recently updated', compare: (a, b) => b.updated_at.localeCompare(a.updated_at) },
  created: { label: 'Oldest first', compare: (a, b) => a.created_at.localeCompare(b.created_at) },
};

const BULK_STATUSES: { value: string; label: string }[] = [
  { value: 'approved', label: 'Approved (approve or reinstate)' },
  { value: 'under_review', label: 'Under review (reopen a rejected partner)' },
  { value: 'rejected', label: 'Rejected' },
  { value: 'suspended', label: 'Suspended' },
];
const BULK_CHUNK = 10;

interface BulkItem {
  partner_id: string;
  ok: boolean;
  status?: string;
  detail?: string;
}

function parseBulk(body: unknown, ids: string[]): BulkItem[] {
  const raw = (body as { results?: unknown } | undefined)?.results;
  if (!Array.isArray(raw)) return ids.map((id) => ({ partner_id: id, ok: false, detail: 'No result was returned for this partner.' }));
  return raw.map((r) => {
    const o = (r ?? {}) as Record<string, unknown>;
    const problem = (o.problem ?? {}) as Record<string, unknown>;
    return {
      partner_id: String(o.partner_id ?? ''),
      ok: o.ok === true,
      status: typeof o.status === 'string' ? o.status : undefined,
      detail: typeof problem.detail === 'string' ? problem.detail : typeof problem.title === 'string' ? problem.title : undefined,
    };
  });
}

function HeroMetrics({ metrics }: { metrics: Metrics | undefined }) {
  const me = useMe();
  const canAnalytics = can(me, 'GET /v1/admin/analytics');
  const analytics = useAsync(
    () => (canAnalytics ? unwrap(api.GET('/v1/admin/analytics')) : Promise.resolve(null)),
    [canAnalytics],
  );
  const byStatus = analytics.data?.partners.by_status ?? {};
  const count = (s: string) => byStatus[s] ?? 0;
  const items: { label: string; value: string; href?: string }[] = [];
  if (metrics) {
    items.push({ label: 'Active partners', value: formatNumber(metrics.active_partners), href: withQuery('/app/ops', { status: 'approved' }) });
  }
  if (analytics.data) {
    items.push({
      label: 'Pending reviews',
      value: formatNumber(count('pending') + count('under_review')),
      href: withQuery('/app/ops', { status: 'under_review' }),
    });
    for (const s of Object.keys(PARTNER_STATUS_LABELS) as PartnerStatus[]) {
      if (s === 'approved') continue;
      items.push({ label: PARTNER_STATUS_LABELS[s], value: formatNumber(count(s)), href: withQuery('/app/ops', { status: s }) });
    }
  }
  if (metrics) {
    items.push({ label: 'Pipeline value', value: money(metrics.pipeline_value) });
    items.push({ label: 'Commission owed', value: money(metrics.commission_owed) });
  }
  if (analytics.data) items.push({ label: 'Lead conversion', value: formatPercent(analytics.data.leads.conversion_rate) });
  return (
    <section aria-labelledby="ops-metrics-h">
      <h2 id="ops-metrics-h" class="visually-hidden">
        Key figures
      </h2>
      {items.length ? (
        <ul class="ops-metrics">
          {items.map((i) => (
            <li key={i.label} class="ops-metric">
              <span class="ops-metric-value">{i.value}</span>
              {i.href ? (
                <Link class="ops-metric-label" href={i.href}>
                  {i.label}
                </Link>
              ) : (
                <span class="ops-metric-label">{i.label}</span>
              )}
            </li>
          ))}
        </ul>
      ) : null}
      {analytics.error ? <ErrorState error={analytics.error} onRetry={analytics.reload} title="Figures by status could not be loaded" /> : null}
      {analytics.data?.as_of ? <p class="muted small">Figures by status as of {formatDate(analytics.data.as_of)}.</p> : null}
    </section>
  );
}

function Filters({ query }: { query: URLSearchParams }) {
  const me = useMe();
  const staff = useStaff();
  const admins = staff.filter((s) => s.role === 'admin' && s.is_active);
  const [q, setQ] = useState(query.get('q') ?? '');
  const [region, setRegion] = useState(query.get('region') ?? '');
  const qs = query.toString();
  useEffect(() => {
    setQ(query.get('q') ?? '');
    setRegion(query.get('region') ?? '');
  }, [qs]);
  const select = (name: string, label: string, options: { value: string; label: string }[], any: string) => (
    <Field label={label} name={name}>
      {(a) => (
        <select {...a} value={query.get(name) ?? ''} onChange={(e) => setQuery({ [name]: e.currentTarget.value })}>
          <option value="">{any}</option>
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
  const ownerOptions = [
    ...(me?.role === 'admin' ? [{ value: 'me', label: 'Me' }] : []),
    ...admins.filter((a) => a.id !== me?.user.id || me?.role !== 'admin').map((a) => ({ value: a.id, label: personName(a) })),
  ];
  const current = query.get('owner');
  if (current && current !== 'me' && !ownerOptions.some((o) => o.value === current)) ownerOptions.push({ value: current, label: current });
  return (
    <form
      class="card ops-filters"
      role="search"
      aria-label="Filter partners"
      onSubmit={(e) => {
        e.preventDefault();
        setQuery({ q: q.trim(), region: region.trim() });
      }}
    >
      <Field label="Search" name="q" hint="Business name, contact or email">
        {(a) => <input {...a} type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} />}
      </Field>
      {select('status', 'Status', STATUS_OPTIONS, 'Any status')}
      {select('kyc_status', 'KYC status', KYC_OPTIONS, 'Any KYC status')}
      {select('tier', 'Tier', TIER_OPTIONS, 'Any tier')}
      <Field label="Region" name="region">
        {(a) => <input {...a} type="text" value={region} onInput={(e) => setRegion(e.currentTarget.value)} />}
      </Field>
      {select('owner', 'Account manager', ownerOptions, 'Anyone')}
      {select(
        'sort',
        'Sort',
        Object.entries(SORTS)
          .filter(([k]) => k)
          .map(([value, s]) => ({ value, label: s.label })),
        SORTS['']!.label,
      )}
      <div class="button-row">
        <button type="submit">Search</button>
        {FILTER_KEYS.some((k) => query.get(k)) || query.get('sort') ? (
          <button
            type="button"
            class="secondary"
            onClick={() => setQuery(Object.fromEntries([...FILTER_KEYS, 'sort'].map((k) => [k, null])))}
          >
            Clear filters
          </button>
        ) : null}
      </div>
    </form>
  );
}

function BulkBar({
  selected,
  names,
  onDone,
}: {
  selected: string[];
  names: Map<string, string>;
  onDone: (results: BulkItem[]) => void;
}) {
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [results, setResults] = useState<BulkItem[] | null>(null);
  const form = useForm({
    initial: { status: '', reason: '' },
    validate: (v) => ({
      status: v.status ? undefined : 'Choose the new status.',
      reason:
        (v.status === 'rejected' || v.status === 'suspended') && !v.reason.trim()
          ? 'Give a reason: the partners are told why.'
          : undefined,
    }),
    onSubmit: async (v) => {
      const ids = [...selected];
      if (!ids.length) {
        throw new ApiProblem({ status: 400, code: 'no_selection', title: 'Select at least one partner in the list first.' });
      }
      const all: BulkItem[] = [];
      setResults(null);
      setProgress({ done: 0, total: ids.length });
      try {
        for (let i = 0; i < ids.length; i += BULK_CHUNK) {
          const chunk = ids.slice(i, i + BULK_CHUNK);
          const body = await unwrap(
            api.POST('/v1/admin/partners/bulk-status', {
              body: {
                partner_ids: chunk,
                status: v.status as 'approved' | 'rejected' | 'suspended' | 'under_review',
                reason: v.reason.trim() || null,
              },
            }),
          );
          all.push(...parseBulk(body, chunk));
          setProgress({ done: Math.min(i + chunk.length, ids.length), total: ids.length });
          setResults([...all]);
        }
      } finally {
        setProgress(null);
        if (all.length) onDone(all);
      }
    },
  });
  const okCount = results?.filter((r) => r.ok).length ?? 0;
  const refused = results?.filter((r) => !r.ok) ?? [];
  return (
    <section class="card ops-bulk" aria-labelledby="ops-bulk-h">
      <Form form={form}>
        <fieldset class="group">
          <legend id="ops-bulk-h">Change status</legend>
          <p class="muted small" aria-live="polite">
            {selected.length ? `${formatNumber(selected.length)} selected` : 'Select partners in the list to change their status together.'}
          </p>
          <div class="ops-bulk-grid">
            <SelectField form={form} name="status" label="New status" options={BULK_STATUSES} placeholder="Choose…" required />
            <TextAreaField
              form={form}
              name="reason"
              label="Reason"
              rows={2}
              maxLength={500}
              hint="Required to reject or suspend; the partners receive it by email."
            />
          </div>
          <div class="button-row">
            <SubmitButton form={form} busyLabel="Applying…">
              Apply to selected
            </SubmitButton>
          </div>
        </fieldset>
      </Form>
      {progress ? (
        <ProgressBar value={progress.done} max={progress.total} label={`Changing status: ${progress.done} of ${progress.total}`} />
      ) : null}
      {results ? (
        <div role="status" aria-live="polite">
          <p>
            <strong>
              {formatNumber(okCount)} changed, {formatNumber(refused.length)} refused.
            </strong>
          </p>
          <ul class="ops-results">
            {results.map((r) => (
              <li key={r.partner_id}>
                <strong>{names.get(r.partner_id) ?? r.partner_id}</strong>:{' '}
                {r.ok ? (
                  <StatusBadge status="ok" label={`OK — now ${humanize(r.status ?? form.values.status)}`} />
                ) : (
                  <>
                    <StatusBadge status="error" label="Refused" /> {r.detail ?? 'The change was not allowed.'}
                  </>
                )}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </section>
  );
}

export default function Directory({ query }: RouteProps) {
  const me = useMe();
  const canBulk = can(me, 'POST /v1/admin/partners/bulk-status');
  const filters: Partial<Record<FilterKey, string>> = {};
  for (const k of FILTER_KEYS) {
    const v = query.get(k)?.trim();
    if (v) filters[k] = v;
  }
  const sort = query.get('sort') ?? '';
  const [metrics, setMetrics] = useState<Metrics | undefined>();
  const pages = useCursorPages(
    (cursor) =>
      unwrap(
        api.GET('/v1/admin/partners', {
          params: {
            query: {
              ...filters,
              status: filters.status as PartnerStatus | undefined,
              kyc_status: filters.kyc_status as Schemas['KycStatus'] | undefined,
              limit: 50,
              cursor,
            },
          },
        }),
      ).then((r) => {
        setMetrics(r.metrics);
        return r;
      }),
    [filters],
  );
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const itemsKey = pages.items.map((p) => p.id).join(',');
  useEffect(() => setSelected(new Set()), [itemsKey]);
  const names = useMemo(() => new Map(pages.items.map((p) => [p.id, p.business_name])), [pages.items]);
  const rows = useMemo(() => {
    const cmp = SORTS[sort]?.compare;
    return cmp ? [...pages.items].sort(cmp) : pages.items;
  }, [pages.items, sort]);

  const toggle = (id: string, on: boolean) =>
    setSelected((s) => {
      const n = new Set(s);
      if (on) n.add(id);
      else n.delete(id);
      return n;
    });
  const allOn = rows.length > 0 && rows.every((r) => selected.has(r.id));

  const columns: Column<Partner>[] = [
    ...(canBulk
      ? [
          {
            key: 'select',
            label: 'Select',
            header: (
              <input
                type="checkbox"
                aria-label="Select all partners on this page"
                checked={allOn}
                onChange={(e) => setSelected(e.currentTarget.checked ? new Set(rows.map((r) => r.id)) : new Set())}
              />
            ),
            render: (p: Partner) => (
              <input
                type="checkbox"
                aria-label={`Select ${p.business_name}`}
                checked={selected.has(p.id)}
                onChange={(e) => toggle(p.id, e.currentTarget.checked)}
              />
            ),
          },
        ]
      : []),
    {
      key: 'business_name',
      header: 'Business name',
      primary: true,
      render: (p) => <Link href={`/app/ops/partners/${encodeURIComponent(p.id)}`}>{p.business_name}</Link>,
    },
    { key: 'status', header: 'Status', render: (p) => <StatusBadge status={p.status} /> },
    { key: 'kyc_status', header: 'KYC', render: (p) => <StatusBadge status={p.kyc_status} /> },
    { key: 'tier', header: 'Tier', render: (p) => humanize(p.tier) },
    { key: 'regions', header: 'Regions', hideNarrow: true, render: (p) => p.regions.join(', ') || '—' },
    { key: 'contact', header: 'Contact', hideNarrow: true, render: (p) => p.contact_person },
    { key: 'updated_at', header: 'Updated', render: (p) => formatDate(p.updated_at) },
  ];

  const listState = pagesState(pages);
  const filtered = Object.keys(filters).length > 0;

  return (
    <Page title="Partners" heading="Partner directory" lead="Every partner: their standing, KYC and tier.">
      <HeroMetrics metrics={metrics} />
      <Filters query={query} />
      {canBulk ? (
        <BulkBar
          selected={rows.filter((r) => selected.has(r.id)).map((r) => r.id)}
          names={names}
          onDone={(results) => {
            setSelected(new Set(results.filter((r) => !r.ok).map((r) => r.partner_id)));
            pages.reload();
          }}
        />
      ) : null}
      <AsyncState
        state={listState}
        loadingLabel="Loading partners…"
        isEmpty={(d) => d.length === 0}
        empty={
          <EmptyState title={filtered ? 'No partners match these filters' : 'No partners yet'}>
            {filtered ? <p>Change or clear the filters to see more partners.</p> : <p>Applications appear here as partners register.</p>}
          </EmptyState>
        }
      >
        {() => (
          <>
            <DataTable caption="Partners" columns={columns} rows={rows} rowKey={(p) => p.id} busy={pages.loading} />
            {sort ? <p class="muted small">Sorted within this page.</p> : null}
          </>
        )}
      </AsyncState>
      <Pager pages={pages} label="Partner pages" />
    </Page>
  );
}
