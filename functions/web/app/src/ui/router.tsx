import type { ComponentType, PartialAnchorHTMLAttributes, VNode } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { can, isStaff, useSession, type Role } from '../api/session';
import { loginPath, navigate, useLocation } from './location';
import { Page } from './page';
import { Loading } from './async';

/**
 * A tiny History-API router.
 *
 * Routes are plain objects, registered per area (src/pages/<area>/routes.ts) and combined in
 * src/routes.ts. Paths take `:params` (`/app/leads/:id`); the most specific match wins
 * (static segments beat parameters). Pages receive {@link RouteProps}.
 *
 * Access is derived from the path unless `access` says otherwise:
 *   - `/app/ops/*` needs a staff session (admin, support);
 *   - `/app` and `/app/*` need a session (else → /login?next=…);
 *   - anything else is public.
 * `roles` and `permission` narrow it further (a Forbidden page otherwise).
 */

export interface RouteProps {
  /** Decoded path parameters: `/app/leads/:id` → `{ id }`. */
  params: Record<string, string>;
  /** The query string (read with `.get('status')`; change with setQuery()). */
  query: URLSearchParams;
  path: string;
}

export type Access = 'public' | 'session' | 'staff';

export interface RouteDef {
  path: string;
  /** A component bundled into the first load (small, often-used pages). */
  component?: ComponentType<RouteProps>;
  /** A lazily loaded page: `lazy: () => import('./Leads')` (the module's default export). */
  lazy?: () => Promise<{ default: ComponentType<RouteProps> }>;
  access?: Access;
  /** Only these roles (staff reaching a partner-only page are sent to /app/ops). */
  roles?: readonly Role[];
  /** A permission (API route key) the user must hold, e.g. 'GET /v1/payouts'. */
  permission?: string;
}

export function accessOf(route: RouteDef): Access {
  if (route.access) return route.access;
  if (route.path === '/app/ops' || route.path.startsWith('/app/ops/')) return 'staff';
  if (route.path === '/app' || route.path.startsWith('/app/')) return 'session';
  return 'public';
}

interface Compiled {
  route: RouteDef;
  segments: string[];
  score: number;
}

function compile(routes: RouteDef[]): Compiled[] {
  return routes
    .map((route) => {
      const segments = route.path.split('/').filter(Boolean);
      const score = segments.reduce((s, seg) => s + (seg.startsWith(':') ? 1 : 3), 0);
      return { route, segments, score };
    })
    .sort((a, b) => b.score - a.score);
}

/** Finds the route for a path and its decoded parameters. */
export function matchRoute(compiled: Compiled[], path: string): { route: RouteDef; params: Record<string, string> } | null {
  const parts = path.split('/').filter(Boolean);
  outer: for (const c of compiled) {
    if (c.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    for (let i = 0; i < parts.length; i++) {
      const seg = c.segments[i]!;
      const part = parts[i]!;
      if (seg.startsWith(':')) {
        try {
          params[seg.slice(1)] = decodeURIComponent(part);
        } catch {
          continue outer;
        }
      } else if (seg !== part) continue outer;
    }
    return { route: c.route, params };
  }
  return null;
}

/** Fills a route pattern: `pathFor('/app/leads/:id', { id })`. */
export function pathFor(pattern: string, params: Record<string, string>): string {
  return pattern.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_, k: string) => encodeURIComponent(params[k] ?? ''));
}

/** An in-app link: a real `<a href>` (open-in-new-tab works) that navigates without reloading. */
export function Link(
  props: Omit<PartialAnchorHTMLAttributes<HTMLAnchorElement>, 'href' | 'role'> & {
    href: string;
    /** Mark as current (`aria-current="page"`) when the path starts with this (nav links). */
    activePrefix?: string;
    replace?: boolean;
  },
) {
  const { href, activePrefix, replace, onClick, ...rest } = props;
  const loc = useLocation();
  const current =
    activePrefix !== undefined
      ? loc.path === activePrefix || loc.path.startsWith(activePrefix.endsWith('/') ? activePrefix : `${activePrefix}/`)
      : loc.path === href;
  return (
    <a
      {...rest}
      href={href}
      aria-current={current ? 'page' : undefined}
      onClick={(e) => {
        if (typeof onClick === 'function') onClick(e);
        if (
          e.defaultPrevented ||
          e.button !== 0 ||
          e.metaKey ||
          e.ctrlKey ||
          e.shiftKey ||
          e.altKey ||
          (rest.target && rest.target !== '_self') ||
          rest.download !== undefined
        )
          return;
        const url = new URL(href, window.location.href);
        if (url.origin !== window.location.origin) return;
        e.preventDefault();
        navigate(url.pathname + url.search + url.hash, { replace });
      }}
    />
  );
}

/** Navigates on mount (replacing the history entry). */
export function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return <Loading label="Redirecting…" />;
}

export function NotFound() {
  return (
    <Page title="Page not found" narrow>
      <p>There is nothing at this address. Check the link, or go back to the start.</p>
      <p>
        <Link class="button" href="/">
          Go to the start page
        </Link>
      </p>
    </Page>
  );
}

export function Forbidden() {
  return (
    <Page title="No access" narrow>
      <p>Your account does not have access to this page. Ask your account owner or an administrator if you need it.</p>
      <p>
        <Link class="button" href="/app">
          Go to the dashboard
        </Link>
      </p>
    </Page>
  );
}

type Loaded = ComponentType<RouteProps>;
const loaded = new Map<RouteDef, Loaded>();

function LazyRoute({ route, props }: { route: RouteDef; props: RouteProps }) {
  const [Component, setComponent] = useState<Loaded | undefined>(() => loaded.get(route));
  const [failed, setFailed] = useState(false);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (Component || !route.lazy) return;
    let live = true;
    setFailed(false);
    route.lazy().then(
      (m) => {
        loaded.set(route, m.default);
        if (live) setComponent(() => m.default);
      },
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [route, attempt]);
  if (failed) {
    return (
      <Page title="Could not load this page" narrow>
        <div class="alert alert-error" role="alert">
          This page could not be loaded. Check your connection, then try again (after an update, reloading the
          page helps).
        </div>
        <p class="button-row">
          <button type="button" onClick={() => setAttempt((n) => n + 1)}>
            Try again
          </button>
          <button type="button" class="secondary" onClick={() => window.location.reload()}>
            Reload the page
          </button>
        </p>
      </Page>
    );
  }
  if (!Component) return <Loading label="Loading page…" />;
  return <Component {...props} />;
}

/**
 * Renders the route for the current location inside `wrap` (the layout: `route` is null
 * for the 404 page), applying the access rules above.
 */
export function Router(props: {
  routes: RouteDef[];
  wrap: (route: RouteDef | null, content: VNode) => VNode;
  notFound?: ComponentType;
}): VNode {
  const { routes, wrap } = props;
  const NotFoundPage = props.notFound ?? NotFound;
  const loc = useLocation();
  const s = useSession();
  const compiled = useMemo(() => compile(routes), [routes]);
  const match = matchRoute(compiled, loc.path);
  if (!match) return wrap(null, <NotFoundPage />);
  const { route, params } = match;
  const access = accessOf(route);
  if (access !== 'public') {
    if (s.status === 'loading') return <Loading label="Loading your session…" fullPage />;
    if (s.status === 'signed_out') return <Redirect to={loginPath(loc.path + loc.search)} />;
    const me = s.me;
    if (access === 'staff' && !isStaff(me.role)) return wrap(route, <Forbidden />);
    if (route.roles && !route.roles.includes(me.role)) {
      if (isStaff(me.role) && access !== 'staff') return <Redirect to="/app/ops" />;
      return wrap(route, <Forbidden />);
    }
    if (route.permission && !can(me, route.permission)) return wrap(route, <Forbidden />);
  }
  const routeProps: RouteProps = { params, query: new URLSearchParams(loc.search), path: loc.path };
  const content = route.component ? (
    <route.component {...routeProps} />
  ) : (
    <LazyRoute key={route.path} route={route} props={routeProps} />
  );
  return wrap(route, content);
}

