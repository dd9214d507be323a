import { createStore, useStore } from './store';

/**
 * The current location (History API) as a store, plus navigation and query-string functions.
 * No dependency on the router or the session, so any module may import it.
 */
export interface Loc {
  /** `/app/leads/01J...` */
  path: string;
  /** `?status=new` or '' */
  search: string;
}

function read(): Loc {
  return { path: window.location.pathname, search: window.location.search };
}

export const location = createStore<Loc>(read());

/** Set by a client-side navigation; the next page heading takes focus (screen readers announce it). */
let pendingFocus = false;
export function takePendingFocus(): boolean {
  const v = pendingFocus;
  pendingFocus = false;
  return v;
}

window.addEventListener('popstate', () => {
  pendingFocus = true;
  location.set(read());
});

/** Goes to an in-app path (`/app/leads?status=new`). `replace` rewrites the current history entry. */
export function navigate(to: string, opts: { replace?: boolean; scroll?: boolean } = {}): void {
  const url = new URL(to, window.location.origin);
  if (url.origin !== window.location.origin) {
    window.location.assign(to);
    return;
  }
  const target = url.pathname + url.search + url.hash;
  if (target === window.location.pathname + window.location.search + window.location.hash) return;
  if (opts.replace) window.history.replaceState(null, '', target);
  else window.history.pushState(null, '', target);
  const samePath = url.pathname === location.get().path;
  if (!samePath) {
    pendingFocus = true;
    if (opts.scroll !== false) window.scrollTo(0, 0);
  }
  location.set(read());
}

/** The current location; re-renders on navigation. */
export function useLocation(): Loc {
  return useStore(location);
}

/** The current query string as URLSearchParams (read-only: change it with {@link setQuery}). */
export function useQuery(): URLSearchParams {
  const { search } = useLocation();
  return new URLSearchParams(search);
}

type QueryValue = string | number | boolean | null | undefined;

/**
 * Builds `path?query`, dropping empty values: `withQuery('/app/leads', { status: 'new', q: '' })`
 * → `/app/leads?status=new`.
 */
export function withQuery(path: string, query: Record<string, QueryValue>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '' || v === false) continue;
    params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/**
 * Merges values into the current query string (empty values remove the key) without
 * moving focus; replaces the history entry by default (filters, tabs, pages).
 */
export function setQuery(changes: Record<string, QueryValue>, opts: { replace?: boolean } = { replace: true }): void {
  const params = new URLSearchParams(window.location.search);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === null || v === '' || v === false) params.delete(k);
    else params.set(k, String(v));
  }
  const qs = params.toString();
  navigate(window.location.pathname + (qs ? `?${qs}` : ''), { replace: opts.replace, scroll: false });
}

/** A `next=` value that is safe to follow: a same-origin path starting with a single `/`. */
export function safeNext(next: string | null | undefined, fallback = '/app'): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return fallback;
  try {
    const url = new URL(next, window.location.origin);
    if (url.origin !== window.location.origin) return fallback;
    return url.pathname + url.search + url.hash;
  } catch {
    return fallback;
  }
}

/** `/login?next=<current path>` */
export function loginPath(next: string = window.location.pathname + window.location.search): string {
  return withQuery('/login', { next: next === '/' || next.startsWith('/login') ? '' : next });
}
