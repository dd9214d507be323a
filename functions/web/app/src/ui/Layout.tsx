import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { personName } from './people';
import { can, isStaff, signOut, useMe, useSession, type Me, type Role } from '../api/session';
import { useLocation } from './location';
import { PRODUCT_NAME } from './page';
import { Link } from './router';
import { ToastRegion } from './toast';
import { humanize } from './widgets';

/**
 * A navigation entry. Shown only when the user holds `permission` (an API route key such
 * as 'GET /v1/commissions') and, if given, has one of `roles`. Areas declare theirs next to
 * their routes (src/pages/<area>/routes.ts).
 */
export interface NavItem {
  href: string;
  label: string;
  permission?: string;
  roles?: readonly Role[];
  /** Highlight for sub-paths too (default: the href itself, except `/app` and `/app/ops`). */
  activePrefix?: string;
}

export function visibleNav(items: NavItem[], me: Me | null): NavItem[] {
  if (!me) return [];
  return items.filter((i) => (!i.permission || can(me, i.permission)) && (!i.roles || i.roles.includes(me.role)));
}

function SkipLink() {
  return (
    <a
      class="skip-link"
      href="#main"
      onClick={(e) => {
        e.preventDefault();
        const main = document.getElementById('main');
        main?.focus();
        main?.scrollIntoView();
      }}
    >
      Skip to content
    </a>
  );
}

/** Closes a disclosure on navigation, Escape and clicks outside. */
function useDisclosure() {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const loc = useLocation();
  useEffect(() => setOpen(false), [loc.path]);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setOpen(false);
        ref.current?.querySelector<HTMLElement>('[aria-expanded]')?.focus();
      }
    };
    const onClick = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('click', onClick);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('click', onClick);
    };
  }, [open]);
  return { open, setOpen, ref };
}

function displayName(me: Me): string {
  return personName(me.user);
}

function UserMenu({ me }: { me: Me }) {
  const d = useDisclosure();
  return (
    <div class="user-menu" ref={d.ref}>
      <button type="button" class="user-button" aria-expanded={d.open ? 'true' : 'false'} aria-controls="user-menu-panel" onClick={() => d.setOpen(!d.open)}>
        <span class="avatar" aria-hidden="true">
          {displayName(me).charAt(0).toUpperCase()}
        </span>
        <span class="user-name">{displayName(me)}</span>
        <span class="visually-hidden">: account menu</span>
        <span aria-hidden="true" class="caret">▾</span>
      </button>
      <div id="user-menu-panel" class="menu-panel" hidden={!d.open}>
        <p class="menu-meta">
          <span>{me.user.email}</span>
          <span>
            {humanize(me.role)}
            {me.partner ? ` · ${me.partner.business_name}` : ''}
          </span>
        </p>
        <ul>
          <li>
            <Link href="/app/settings/notifications">Email notifications</Link>
          </li>
          <li>
            <button type="button" class="link-button" onClick={() => void signOut()}>
              Sign out
            </button>
          </li>
        </ul>
      </div>
    </div>
  );
}

function StandingBanner({ me }: { me: Me }) {
  const p = me.partner;
  if (!p || p.status === 'approved') return null;
  const text: Record<string, string> = {
    pending: 'Your application is not complete yet: finish your profile and upload your KYC documents, then submit it for review.',
    under_review: 'Your application is being reviewed. We will email you when it is decided.',
    rejected: 'Your application was not approved. Contact us if you have questions.',
    suspended: 'Your partner account is suspended. Contact us to resolve this.',
  };
  return (
    <div class="banner" role="note">
      <strong>{humanize(p.status)}:</strong> {text[p.status] ?? ''}
    </div>
  );
}

/** The signed-in frame: header, role-aware navigation (a menu button under 1024 px), main. */
export function AppLayout({ nav, opsNav, children }: { nav: NavItem[]; opsNav: NavItem[]; children: ComponentChildren }) {
  const me = useMe();
  const menu = useDisclosure();
  const staff = me ? isStaff(me.role) : false;
  const items = visibleNav(staff ? opsNav : nav, me);
  return (
    <div class="shell">
      <SkipLink />
      <header class="app-header">
        <div class="header-inner" ref={menu.ref}>
          <Link href={staff ? '/app/ops' : '/app'} class="brand">
            <img src="/favicon.svg" alt="" width={24} height={24} />
            <span>{PRODUCT_NAME}</span>
            {staff ? <span class="brand-tag">Operations</span> : null}
          </Link>
          {items.length ? (
            <button
              type="button"
              class="menu-button"
              aria-expanded={menu.open ? 'true' : 'false'}
              aria-controls="main-nav"
              onClick={() => menu.setOpen(!menu.open)}
            >
              <span aria-hidden="true">☰</span> Menu
            </button>
          ) : null}
          <nav id="main-nav" class={menu.open ? 'main-nav open' : 'main-nav'} aria-label="Main">
            <ul>
              {items.map((i) => (
                <li key={i.href}>
                  <Link href={i.href} activePrefix={i.activePrefix ?? (i.href === '/app' || i.href === '/app/ops' ? undefined : i.href)}>
                    {i.label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
          {me ? <UserMenu me={me} /> : null}
        </div>
      </header>
      {me ? <StandingBanner me={me} /> : null}
      <main id="main" tabIndex={-1} class="main">
        {children}
      </main>
      <ToastRegion />
    </div>
  );
}

/** The frame of public pages (sign-in, registration, email links). */
export function PublicLayout({ children }: { children: ComponentChildren }) {
  const s = useSession();
  return (
    <div class="shell shell-public">
      <SkipLink />
      <header class="app-header">
        <div class="header-inner">
          <Link href="/" class="brand">
            <img src="/favicon.svg" alt="" width={24} height={24} />
            <span>{PRODUCT_NAME}</span>
          </Link>
          <nav class="public-nav" aria-label="Account">
            {s.status === 'signed_in' ? (
              <Link href="/app">Go to the portal</Link>
            ) : (
              <>
                <Link href="/login">Sign in</Link>
                <Link href="/register">Become a partner</Link>
              </>
            )}
          </nav>
        </div>
      </header>
      <main id="main" tabIndex={-1} class="main main-public">
        {children}
      </main>
      <footer class="app-footer">
        <p>
          © {new Date().getFullYear()} {PRODUCT_NAME}
        </p>
      </footer>
      <ToastRegion />
    </div>
  );
}
