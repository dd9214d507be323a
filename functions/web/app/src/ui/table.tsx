import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiProblem, toProblem } from '../api/problem';
import { ErrorState, Loading } from './async';

export interface Column<T> {
  /** Stable key (also the default cell value: `row[key]`). */
  key: string;
  header: ComponentChildren;
  /** Text used as the label of the cell in the stacked (narrow screen) view; defaults to `header` when it is a string. */
  label?: string;
  render?: (row: T) => ComponentChildren;
  align?: 'start' | 'end' | 'center';
  /** Marks the cell that names the row (rendered as `<th scope="row">`; the card's title on narrow screens). */
  primary?: boolean;
  /** Hide on narrow screens (secondary details). */
  hideNarrow?: boolean;
}

/**
 * An accessible data table that becomes stacked cards under ~600 px.
 *
 *   <DataTable caption="Leads" rows={page.items} rowKey={(l) => l.id} columns={[
 *     { key: 'name', header: 'Name', primary: true, render: (l) => <Link href={`/app/leads/${l.id}`}>{l.first_name} {l.last_name}</Link> },
 *     { key: 'status', header: 'Status', render: (l) => <StatusBadge status={l.status} /> },
 *     { key: 'created_at', header: 'Created', render: (l) => formatDate(l.created_at) },
 *   ]} />
 */
export function DataTable<T>(props: {
  caption: ComponentChildren;
  /** Show the caption (otherwise it is only for screen readers). */
  showCaption?: boolean;
  columns: Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string;
  empty?: ComponentChildren;
  busy?: boolean;
}) {
  const { columns, rows } = props;
  if (rows.length === 0 && props.empty) return <>{props.empty}</>;
  return (
    <div class="table-wrap">
      <table class="data-table" aria-busy={props.busy ? 'true' : undefined}>
        <caption class={props.showCaption ? undefined : 'visually-hidden'}>{props.caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} scope="col" class={cellClass(c)}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={props.rowKey(row)}>
              {columns.map((c) => {
                const content = c.render ? c.render(row) : String((row as Record<string, unknown>)[c.key] ?? '');
                const label = c.label ?? (typeof c.header === 'string' ? c.header : c.key);
                return c.primary ? (
                  <th key={c.key} scope="row" class={cellClass(c)} data-label={label}>
                    {content}
                  </th>
                ) : (
                  <td key={c.key} class={cellClass(c)} data-label={label}>
                    {content}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function cellClass<T>(c: Column<T>): string | undefined {
  const cls = [c.align === 'end' ? 'num' : c.align === 'center' ? 'center' : '', c.hideNarrow ? 'hide-narrow' : '', c.primary ? 'primary' : '']
    .filter(Boolean)
    .join(' ');
  return cls || undefined;
}

/** One page of a cursor-paginated list, as the API answers it. */
export interface CursorPage<T> {
  items: T[];
  next_cursor?: string | null;
}

export interface CursorPages<T> {
  items: T[];
  loading: boolean;
  error: ApiProblem | undefined;
  /** 1-based number of the page shown. */
  page: number;
  hasNext: boolean;
  hasPrev: boolean;
  next: () => void;
  prev: () => void;
  /** Reloads the current page. */
  reload: () => void;
  /** Back to the first page (done automatically when deps change). */
  first: () => void;
}

/**
 * Cursor pagination over `{ items, next_cursor }` pages. The API only goes forward, so
 * the cursors of earlier pages are remembered to go back.
 *
 *   const leads = useCursorPages((cursor) =>
 *     unwrap(api.GET('/v1/leads', { params: { query: { cursor, limit: 25, status } } })), [status]);
 */
export function useCursorPages<T>(
  load: (cursor: string | undefined) => Promise<CursorPage<T>>,
  deps: unknown[],
): CursorPages<T> {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [state, setState] = useState<{ page?: CursorPage<T>; error?: ApiProblem; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const depsKey = JSON.stringify(deps);
  const lastDeps = useRef(depsKey);
  const index = cursors.length - 1;

  useEffect(() => {
    if (lastDeps.current !== depsKey) {
      lastDeps.current = depsKey;
      if (cursors.length > 1) {
        setCursors([undefined]);
        return;
      }
    }
    const id = ++seq.current;
    setState((s) => ({ page: s.page, loading: true }));
    loadRef.current(cursors[index]).then(
      (page) => id === seq.current && setState({ page, loading: false }),
      (e) => id === seq.current && setState((s) => ({ page: s.page, error: toProblem(e), loading: false })),
    );
  }, [depsKey, cursors, tick]);

  const nextCursor = state.page?.next_cursor ?? null;
  return {
    items: state.page?.items ?? [],
    loading: state.loading,
    error: state.error,
    page: index + 1,
    hasNext: !!nextCursor && !state.loading,
    hasPrev: index > 0 && !state.loading,
    next: useCallback(() => nextCursor && setCursors((c) => [...c, nextCursor]), [nextCursor]),
    prev: useCallback(() => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)), []),
    reload: useCallback(() => setTick((t) => t + 1), []),
    first: useCallback(() => setCursors([undefined]), []),
  };
}

/**
 * Previous / next buttons for {@link useCursorPages}.
 *
 *   <Pager pages={leads} label="Leads pages" />
 */
export function Pager<T>({ pages, label = 'Pages' }: { pages: CursorPages<T>; label?: string }) {
  if (!pages.hasPrev && !pages.hasNext && pages.page === 1) return null;
  return (
    <nav class="pager" aria-label={label}>
      <button type="button" class="secondary" onClick={pages.prev} aria-disabled={!pages.hasPrev ? 'true' : undefined} disabled={!pages.hasPrev}>
        <span aria-hidden="true">← </span>Previous
      </button>
      <span class="pager-status" aria-live="polite">
        Page {pages.page}
      </span>
      <button type="button" class="secondary" onClick={pages.next} disabled={!pages.hasNext}>
        Next<span aria-hidden="true"> →</span>
      </button>
    </nav>
  );
}

/**
 * A cursor-paged list in one piece: its error (with a retry), the first load, the table
 * (or `empty` when there is nothing; nothing when the first page failed), and the pager.
 *
 *   <PagedTable pages={leads} caption="Leads" rowKey={(l) => l.id} columns={columns}
 *     empty={<EmptyState title="No leads yet" />} loadingLabel="Loading leads…" pagerLabel="Lead pages" />
 */
export function PagedTable<T>(props: {
  pages: CursorPages<T>;
  caption: ComponentChildren;
  showCaption?: boolean;
  columns: Column<T>[];
  rowKey: (row: T) => string;
  empty?: ComponentChildren;
  loadingLabel: string;
  pagerLabel: string;
  /** The error state's heading. */
  errorTitle?: string;
}) {
  const { pages } = props;
  return (
    <>
      {pages.error ? <ErrorState error={pages.error} onRetry={pages.reload} title={props.errorTitle} /> : null}
      {pages.loading && pages.items.length === 0 ? (
        <Loading label={props.loadingLabel} />
      ) : pages.error && pages.items.length === 0 ? null : (
        <DataTable
          caption={props.caption}
          showCaption={props.showCaption}
          rows={pages.items}
          rowKey={props.rowKey}
          columns={props.columns}
          busy={pages.loading}
          empty={props.empty}
        />
      )}
      <Pager pages={pages} label={props.pagerLabel} />
    </>
  );
}
