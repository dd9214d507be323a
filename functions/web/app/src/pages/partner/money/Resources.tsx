import { useState } from 'preact/hooks';
import { api, can, toProblem, unwrap, useMe, type ApiProblem, type Schemas } from '../../../api';
import {
  EmptyState,
  ErrorState,
  FilterBar,
  type FilterDef,
  formatBytes,
  formatDate,
  formatDateTime,
  formatNumber,
  humanize,
  Loading,
  optionsOf,
  Page,
  Pager,
  type RouteProps,
  StatusBadge,
  toast,
  useAsync,
  useCursorPages,
} from '../../../ui';
import { oneOf } from './shared';
import './money.css';

type Resource = Schemas['Resource'];
type ResourceType = Schemas['ResourceType'];

const TYPES: Record<ResourceType, string> = {
  brochure: 'Brochure',
  presentation: 'Presentation',
  price_list: 'Price list',
  product_sheet: 'Product sheet',
  case_study: 'Case study',
  training_video: 'Training video',
  template: 'Template',
  other: 'Other',
};

const COMPLETED = { true: 'Completed', false: 'Not completed' } as const;

function ResourceCard({ resource, onChange }: { resource: Resource; onChange: (r: Resource) => void }) {
  const me = useMe();
  const [downloading, setDownloading] = useState(false);
  const [completing, setCompleting] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [link, setLink] = useState<{ url: string; expires_at: string | null } | null>(null);
  const titleId = `resource-${resource.id}-title`;

  const download = async () => {
    if (downloading) return;
    setDownloading(true);
    setProblem(null);
    try {
      const d = await unwrap(
        api.GET('/v1/resources/{resource_id}/download', { params: { path: { resource_id: resource.id } } }),
      );
      setLink({ url: d.url, expires_at: d.expires_at });
      window.open(d.url, '_blank', 'noopener,noreferrer');
    } catch (e) {
      setProblem(toProblem(e));
    } finally {
      setDownloading(false);
    }
  };

  const complete = async () => {
    if (completing) return;
    setCompleting(true);
    setProblem(null);
    try {
      const r = await unwrap(
        api.POST('/v1/resources/{resource_id}/complete', { params: { path: { resource_id: resource.id } } }),
      );
      onChange(r);
      toast.success(`“${resource.title}” marked complete.`);
    } catch (e) {
      setProblem(toProblem(e));
    } finally {
      setCompleting(false);
    }
  };

  return (
    <article class="card" aria-labelledby={titleId}>
      <h2 id={titleId}>{resource.title}</h2>
      <div class="money-meta">
        <StatusBadge status={resource.type} label={TYPES[resource.type] ?? humanize(resource.type)} tone="info" />
        {resource.category ? <span>Category: {resource.category}</span> : null}
        {resource.file ? <span>{formatBytes(resource.file.size)}</span> : resource.url ? <span>External link</span> : null}
        <span>Updated {formatDate(resource.updated_at)}</span>
        <span>{formatNumber(resource.download_count)} downloads</span>
        {resource.training ? (
          resource.completed ? (
            <StatusBadge status="done" label="Completed" tone="success" />
          ) : (
            <StatusBadge status="todo" label="Not completed" tone="neutral" />
          )
        ) : null}
      </div>
      {resource.description ? <p>{resource.description}</p> : null}
      {resource.tags.length ? (
        <ul class="money-tags" aria-label="Tags">
          {resource.tags.map((t) => (
            <li key={t} class="badge badge-neutral">
              {t}
            </li>
          ))}
        </ul>
      ) : null}
      {problem ? <ErrorState error={problem} /> : null}
      <div class="button-row">
        <button type="button" onClick={download} aria-describedby={titleId} aria-busy={downloading ? 'true' : undefined}>
          {downloading ? <span class="spinner spinner-inline" aria-hidden="true" /> : null}
          {downloading ? 'Preparing…' : 'Download'}
        </button>
        {resource.training && can(me, 'POST /v1/resources/{resource_id}/complete') ? (
          resource.completed ? (
            <span class="muted">You completed this training.</span>
          ) : (
            <button
              type="button"
              class="secondary"
              onClick={complete}
              aria-describedby={titleId}
              aria-busy={completing ? 'true' : undefined}
            >
              {completing ? <span class="spinner spinner-inline" aria-hidden="true" /> : null}
              {completing ? 'Saving…' : 'Mark complete'}
            </button>
          )
        ) : null}
      </div>
      {link ? (
        <p class="small">
          If the download did not open,{' '}
          <a href={link.url} target="_blank" rel="noopener noreferrer">
            open it here
          </a>
          {link.expires_at ? ` (link valid until ${formatDateTime(link.expires_at)})` : ''}.
        </p>
      ) : null}
    </article>
  );
}

export default function Resources({ query }: RouteProps) {
  const type = oneOf(query.get('type'), TYPES);
  const category = query.get('category')?.trim() || undefined;
  const tag = query.get('tag')?.trim() || undefined;
  const q = query.get('q')?.trim() || undefined;
  const completed = oneOf(query.get('completed'), COMPLETED);
  const facets = useAsync(() => unwrap(api.GET('/v1/resources/categories')), []);
  const pages = useCursorPages(
    (cursor) =>
      unwrap(api.GET('/v1/resources', { params: { query: { cursor, limit: 20, type, category, tag, q, completed } } })),
    [type, category, tag, q, completed],
  );
  // Completions change single items: keep them over the loaded page.
  const [updated, setUpdated] = useState<Record<string, Resource>>({});
  const filters: FilterDef[] = [
    { name: 'q', label: 'Search', type: 'search' },
    { name: 'type', label: 'Type', type: 'select', options: optionsOf(TYPES), any: 'Any type' },
    {
      name: 'category',
      label: 'Category',
      type: 'select',
      any: 'Any category',
      options: (facets.data?.categories ?? []).map((c) => ({ value: c.name, label: `${c.name} (${formatNumber(c.count)})` })),
    },
    {
      name: 'tag',
      label: 'Tag',
      type: 'select',
      any: 'Any tag',
      options: (facets.data?.tags ?? []).map((t) => ({ value: t.name, label: `${t.name} (${formatNumber(t.count)})` })),
    },
    { name: 'completed', label: 'Training', type: 'select', options: optionsOf(COMPLETED), any: 'All' },
  ];
  // A category or tag in the link that is not (or no longer) in use still shows as selected.
  for (const f of filters) {
    const v = query.get(f.name);
    if (f.type === 'select' && v && f.options && !f.options.some((o) => o.value === v)) {
      f.options = [...f.options, { value: v, label: v }];
    }
  }
  const filtered = !!(type || category || tag || q || completed);
  return (
    <Page title="Resources" lead="Brochures, presentations, price lists and training for selling with us.">
      <div class="stack">
        {facets.error ? <ErrorState error={facets.error} onRetry={facets.reload} title="Categories could not be loaded" /> : null}
        <FilterBar filters={filters} label="Filter resources" />
        {pages.error ? <ErrorState error={pages.error} onRetry={pages.reload} /> : null}
        {pages.loading && pages.items.length === 0 ? (
          <Loading label="Loading resources…" />
        ) : pages.items.length === 0 ? (
          pages.error ? null : (
            <EmptyState title={filtered ? 'No resources match these filters' : 'No resources yet'}>
              {filtered ? <p>Try other filters, or clear them.</p> : <p>Sales material will appear here when it is published.</p>}
            </EmptyState>
          )
        ) : (
          <ul class="money-list" aria-label="Resources" aria-busy={pages.loading ? 'true' : undefined}>
            {pages.items.map((r) => (
              <li key={r.id}>
                <ResourceCard resource={updated[r.id] ?? r} onChange={(n) => setUpdated((u) => ({ ...u, [n.id]: n }))} />
              </li>
            ))}
          </ul>
        )}
        <Pager pages={pages} label="Resource pages" />
      </div>
    </Page>
  );
}
