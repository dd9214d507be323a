import type { components, paths } from './schema';
import { api, acceptInvitation, login, logout, onAuthFailure, refreshSession, unwrap } from './client';
import { createStore, useStore } from '../ui/store';
import { loginPath, navigate } from '../ui/location';

/** `GET /v1/me`: the user, their role, permission names and (partner users) the partner's standing. */
export type Me = paths['/v1/me']['get']['responses'][200]['content']['application/json'];
export type Role = components['schemas']['Role'];

export const PARTNER_ROLES: readonly Role[] = ['owner', 'manager', 'sales', 'finance'];
export const STAFF_ROLES: readonly Role[] = ['admin', 'support'];

export type SessionState =
  | { status: 'loading' }
  | { status: 'signed_out' }
  | { status: 'signed_in'; me: Me };

/** App-wide session state. Read it in components with {@link useSession}. */
export const session = createStore<SessionState>({ status: 'loading' });

export function useSession(): SessionState {
  return useStore(session);
}

/** The signed-in user, or null. */
export function useMe(): Me | null {
  const s = useSession();
  return s.status === 'signed_in' ? s.me : null;
}

export function isStaff(role: Role): boolean {
  return STAFF_ROLES.includes(role);
}

/**
 * Whether the user may call a route: permission names are the API's route keys,
 * e.g. `can(me, 'POST /v1/leads')`, `can(me, 'GET /v1/payouts')`. Routes open to
 * any signed-in user (`GET /v1/me/notifications`) are not listed; they are always allowed.
 */
export function can(me: Me | null, permission: string): boolean {
  return !!me && me.permissions.includes(permission);
}

/** Reloads `GET /v1/me` into the session (after profile or role changes). */
export async function loadMe(): Promise<Me> {
  const me = await unwrap(api.GET('/v1/me'));
  session.set({ status: 'signed_in', me });
  return me;
}

/** On app start: one silent refresh with the session cookie; a 401 just means signed out. */
export async function restoreSession(): Promise<void> {
  try {
    if (await refreshSession()) {
      await loadMe();
      return;
    }
  } catch {
    // fall through: signed out
  }
  session.set({ status: 'signed_out' });
}

/** Signs in with email and password; throws an ApiProblem for the form to show. */
export async function signIn(email: string, password: string): Promise<Me> {
  await login(email, password);
  return loadMe();
}

/** Accepts an invitation (sets the password) and signs in. */
export async function signInWithInvitation(body: Parameters<typeof acceptInvitation>[0]): Promise<Me> {
  await acceptInvitation(body);
  return loadMe();
}

/** Signs out on the server and here, then shows the sign-in page. */
export async function signOut(): Promise<void> {
  await logout();
  session.set({ status: 'signed_out' });
  navigate('/login', { replace: true });
}

// A call that is still 401 after a refresh: the session is over.
onAuthFailure(() => {
  if (session.get().status === 'signed_out') return;
  session.set({ status: 'signed_out' });
  navigate(loginPath(), { replace: true });
});
