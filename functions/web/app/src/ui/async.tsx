import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiProblem, toProblem } from '../api/problem';

/** A spinner with a text label, announced politely. */
export function Loading({ label = 'Loading…', fullPage }: { label?: string; fullPage?: boolean }) {
  return (
    <div class={fullPage ? 'loading loading-page' : 'loading'} role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

/** An error box with the problem's detail and an optional retry button. */
export function ErrorState({ error, onRetry, title }: { error: unknown; onRetry?: () => void; title?: string }) {
  const p = toProblem(error);
  return (
    <div class="alert alert-error" role="alert">
      <p>
        <strong>{title ?? (p.isNetworkError ? 'No connection' : 'Something went wrong')}</strong>
      </p>
      <p>{p.detail}</p>
      {p.requestId ? <p class="muted small">Reference: {p.requestId}</p> : null}
      {onRetry ? (
        <p>
          <button type="button" class="secondary" onClick={onRetry}>
            Try again
          </button>
        </p>
      ) : null}
    </div>
  );
}

/** A friendly "nothing here yet" block, with an optional call to action. */
export function EmptyState({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <p class="empty-title">{title}</p>
      {children}
    </div>
  );
}

export interface AsyncResult<T> {
  data: T | undefined;
  error: ApiProblem | undefined;
  loading: boolean;
  /** Runs the loader again (keeps showing the old data meanwhile). */
  reload: () => void;
  /** Replaces the data locally (after a successful update). */
  setData: (data: T) => void;
}

/**
 * Runs an async loader on mount and whenever `deps` change; stale answers are dropped.
 *
 *   const leads = useAsync(() => unwrap(api.GET('/v1/leads', { params: { query: { status } } })), [status]);
 */
export function useAsync<T>(loader: () => Promise<T>, deps: unknown[]): AsyncResult<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiProblem; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  const loaderRef = useRef(loader);
  loaderRef.current = loader;
  useEffect(() => {
    const id = ++seq.current;
    setState((s) => ({ data: s.data, loading: true }));
    loaderRef.current().then(
      (data) => id === seq.current && setState({ data, loading: false }),
      (e) => id === seq.current && setState((s) => ({ data: s.data, error: toProblem(e), loading: false })),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const setData = useCallback((data: T) => setState({ data, loading: false }), []);
  return { data: state.data, error: state.error, loading: state.loading, reload, setData };
}

/**
 * Shows loading, error (with retry) or empty states, else its children.
 *
 *   <AsyncState state={leads} isEmpty={(d) => d.items.length === 0} empty={<EmptyState title="No leads yet" />}>
 *     {(d) => <DataTable rows={d.items} … />}
 *   </AsyncState>
 */
export function AsyncState<T>(props: {
  state: AsyncResult<T>;
  children: (data: T) => ComponentChildren;
  isEmpty?: (data: T) => boolean;
  empty?: ComponentChildren;
  loadingLabel?: string;
}) {
  const { state } = props;
  if (state.data === undefined) {
    if (state.error) return <ErrorState error={state.error} onRetry={state.reload} />;
    return <Loading label={props.loadingLabel} />;
  }
  return (
    <div aria-busy={state.loading ? 'true' : undefined}>
      {state.error ? <ErrorState error={state.error} onRetry={state.reload} /> : null}
      {props.isEmpty?.(state.data) ? (props.empty ?? <EmptyState title="Nothing here yet" />) : props.children(state.data)}
    </div>
  );
}
