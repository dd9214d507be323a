import { useState } from 'preact/hooks';
import { api, can, toProblem, unwrap, useMe } from '../../../api';
import {
  type AsyncResult,
  type Column,
  EmptyState,
  ErrorState,
  Field,
  formatDate,
  formatDateTime,
  formatNumber,
  formatPercent,
  formatRelative,
  Link,
  Loading,
  Page,
  PagedTable,
  personName,
  setQuery,
  StatusBadge,
  useAsync,
  useCursorPages,
  useQuery,
} from '../../../ui';
import { STATUS_LABELS, STATUS_OPTIONS, dayBoundary, useUsers, type Lead, type LeadStatus } from './shared';
import './leads.css';

const FILTER_KEYS = ['status', 'stage', 'follow_up', 'created_from', 'created_to', 'assigned_to', 'q'] as const;
type FilterKey = (typeof FILTER_KEYS)[number];
type Filters = Record<FilterKey, string>;

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function readFilters(query: URLSearchParams): Filters {
  const f = {} as Filters;
  for (const k of FILTER_KEYS) f[k] = query.get(k) ?? '';
  return f;
}

/** A URL day (YYYY-MM-DD) or a full time, as the API's date-time filter. */
function timeFilter(value: string, end: boolean): string | undefined {
  if (!value) return undefined;
  if (DAY.test(value)) return dayBoundary(value, end);
  return value;
}

type StatsData = Awaited<ReturnType<typeof loadStats>>;

function loadStats() {
  return unwrap(api.GET('/v1/leads/stats'));
}

function Stats({ stats }: { stats: AsyncResult<StatsData> }) {
  if (stats.data === undefined) {
    return stats.error ? <ErrorState error={stats.error} onRetry={stats.reload} title="Could not load the lead figures" /> : <Loading label="Loading lead figures…" />;
  }
  const s = stats.data;
  const figures: { label: string; value: string; href?: string }[] = [
    { label: 'Total leads', value: formatNumber(s.total) },
    { label: 'Open', value: formatNumber(s.open) },
    { label: 'Won', value: formatNumber(s.won) },
    { label: 'Lost', value: formatNumber(s.lost) },
    { label: 'Conversion rate', value: formatPercent(s.conversion_rate) },
    { label: 'Overdue follow-ups', value: formatNumber(s.overdue_follow_ups), href: s.overdue_follow_ups > 0 ? '/app/leads?follow_up=overdue' : undefined },
  ];
  return (
    <section aria-label="Lead figures">
      <dl class="leads-stats">
        {figures.map((f) => (
          <div key={f.label}>
            <dt>{f.label}</dt>
            <dd>{f.href ? <Link href={f.href}>{f.value}</Link> : f.value}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function FilterForm(props: {
  initial: Filters;
  stages: string[];
  assignees: { value: string; label: string }[] | null;
  errors: Record<string, string>;
}) {
  const [f, setF] = useState<Filters>(props.initial);
  const [error, setError] = useState<Record<string, string>>({});
  const set = (k: FilterKey) => (e: Event) => setF((v) => ({ ...v, [k]: (e.currentTarget as HTMLInputElement).value }));
  const errors = { ...props.errors, ...error };
  const apply = (e: Event) => {
    e.preventDefault();
    if (f.created_from && f.created_to && f.created_from > f.created_to) {
      setError({ created_to: 'Choose a date on or after "Created from".' });
      return;
    }
    setError({});
    const next: Record<string, string> = {};
    for (const k of FILTER_KEYS) next[k] = f[k].trim();
    setQuery(next);
  };
  const clear = () => {
    const empty = {} as Filters;
    for (const k of FILTER_KEYS) empty[k] = '';
    setF(empty);
    setError({});
    setQuery(empty);
  };
  const datalistId = 'leads-stage-options';
  return (
    <form class="card leads-filters" role="search" aria-label="Filter leads" noValidate onSubmit={apply}>
      <div class="leads-filter-grid">
        <Field label="Search" name="q" error={errors.q} hint="Name, email or company.">
          {(a) => <input {...a} type="search" value={f.q} onInput={set('q')} />}
        </Field>
        <Field label="Status" name="status" error={errors.status}>
          {(a) => (
            <select {...a} value={f.status} onInput={set('status')}>
              <option value="">Any status</option>
              {STATUS_OPTIONS.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Stage" name="stage" error={errors.stage}>
          {(a) => <input {...a} type="text" list={datalistId} value={f.stage} onInput={set('stage')} autoComplete="off" />}
        </Field>
        <datalist id={datalistId}>
          {props.stages.map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
        <Field label="Follow-up" name="follow_up" error={errors.follow_up}>
          {(a) => (
            <select {...a} value={f.follow_up} onInput={set('follow_up')}>
              <option value="">Any</option>
              <option value="overdue">Overdue</option>
            </select>
          )}
        </Field>
        <Field label="Created from" name="created_from" error={errors.created_from}>
          {(a) => <input {...a} type="date" value={DAY.test(f.created_from) ? f.created_from : ''} onInput={set('created_from')} />}
        </Field>
        <Field label="Created to" name="created_to" error={errors.created_to}>
          {(a) => <input {...a} type="date" value={DAY.test(f.created_to) ? f.created_to : ''} onInput={set('created_to')} />}
        </Field>
        {props.assignees ? (
          <Field label="Assignee" name="assigned_to" error={errors.assigned_to}>
            {(a) => (
              <select {...a} value={f.assigned_to} onInput={set('assigned_to')}>
                <option value="">Anyone</option>
                {props.assignees!.map((o) => (
                  <option key={o.value} value={o.value}>
                    {o.label}
                  </option>
                ))}
                {f.assigned_to && !props.assignees!.some((o) => o.value === f.assigned_to) ? (
                  <option value={f.assigned_to}>{f.assigned_to}</option>
                ) : null}
              </select>
            )}
          </Field>
        ) : null}
      </div>
      <div class="button-row">
        <button type="submit">Apply filters</button>
        <button type="button" class="secondary" onClick={clear}>
          Clear
        </button>
      </div>
    </form>
  );
}

export default function LeadsList() {
  const me = useMe();
  const query = useQuery();
  const filters = readFilters(query);
  const filterKey = JSON.stringify(filters);
  const { users, canList } = useUsers();
  const stats = useAsync(loadStats, []);
  const stages = stats.data ? Object.keys(stats.data.by_stage).sort() : [];

  const leads = useCursorPages(
    (cursor) =>
      unwrap(
        api.GET('/v1/leads', {
          params: {
            query: {
              cursor,
              limit: 25,
              status: (filters.status || undefined) as LeadStatus | undefined,
              stage: filters.stage || undefined,
              follow_up: filters.follow_up === 'overdue' ? 'overdue' : undefined,
              created_from: timeFilter(filters.created_from, false),
              created_to: timeFilter(filters.created_to, true),
              assigned_to: filters.assigned_to || undefined,
              q: filters.q || undefined,
            },
          },
        }),
      ),
    [filterKey],
  );

  const filtered = FILTER_KEYS.some((k) => filters[k]);
  const listErrors = leads.error ? toProblem(leads.error).fieldErrors : {};
  const assignees = canList ? users.filter((u) => u.is_active).map((u) => ({ value: u.id, label: personName(u) })) : null;
  const mayCreate = can(me, 'POST /v1/leads');

  const columns: Column<Lead>[] = [
    {
      key: 'name',
      header: 'Name',
      primary: true,
      render: (l) => <Link href={`/app/leads/${encodeURIComponent(l.id)}`}>{`${l.first_name} ${l.last_name}`}</Link>,
    },
    { key: 'company', header: 'Company', render: (l) => l.company || '—' },
    { key: 'status', header: 'Status', render: (l) => <StatusBadge status={l.status} label={STATUS_LABELS[l.status]} /> },
    { key: 'stage', header: 'Stage', render: (l) => l.stage || '—' },
    {
      key: 'next_follow_up_at',
      header: 'Next follow-up',
      render: (l) =>
        l.next_follow_up_at ? (
          <time dateTime={l.next_follow_up_at} title={formatRelative(l.next_follow_up_at)}>
            {formatDateTime(l.next_follow_up_at)}
            {new Date(l.next_follow_up_at).getTime() < Date.now() && ['new', 'contacted', 'qualified', 'proposal'].includes(l.status) ? (
              <>
                {' '}
                <StatusBadge status="overdue" label="Overdue" />
              </>
            ) : null}
          </time>
        ) : (
          '—'
        ),
    },
    {
      key: 'created_at',
      header: 'Created',
      render: (l) => <time dateTime={l.created_at}>{formatDate(l.created_at)}</time>,
    },
  ];

  return (
    <Page
      title="Leads"
      lead="Your registered leads, newest first."
      actions={
        mayCreate ? (
          <Link class="button" href="/app/leads/new">
            New lead
          </Link>
        ) : null
      }
    >
      <Stats stats={stats} />
      <FilterForm key={filterKey} initial={filters} stages={stages} assignees={assignees} errors={listErrors} />
      <section aria-labelledby="leads-results">
        <h2 id="leads-results" class="visually-hidden">
          Results
        </h2>
        <PagedTable
          pages={leads}
          loadingLabel="Loading leads…"
          pagerLabel="Lead pages"
          errorTitle="Could not load leads"
          caption={filtered ? 'Leads matching the filters' : 'Leads'}
          rowKey={(l) => l.id}
          columns={columns}
          empty={
            leads.loading ? null : filtered ? (
              <EmptyState title="No leads match these filters">
                <p>
                  <Link href="/app/leads">Show all leads</Link>
                </p>
              </EmptyState>
            ) : (
              <EmptyState title="No leads yet">
                {mayCreate ? (
                  <p>
                    <Link href="/app/leads/new">Register your first lead</Link>
                  </p>
                ) : null}
              </EmptyState>
            )
          }
        />
      </section>
    </Page>
  );
}
