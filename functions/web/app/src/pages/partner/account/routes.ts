import type { RouteDef } from '../../../ui/router';
import type { NavItem } from '../../../ui/Layout';
import { PARTNER_ROLES } from '../../../api/session';

/** Routes of this area (lazy pages: `lazy: () => import('./Page')`). */
export const routes: RouteDef[] = [
  { path: '/app/profile', lazy: () => import('./Profile'), permission: 'GET /v1/partner' },
  { path: '/app/users', lazy: () => import('./Users'), permission: 'GET /v1/users' },
  // Open to every signed-in user: `GET /v1/me` lists only role-gated routes in `permissions`,
  // so routes any user may call (`GET /v1/me/notifications`) never appear there.
  { path: '/app/settings', lazy: () => import('./Settings') },
];

/** Navigation entries of this area, in the order they appear. */
export const nav: NavItem[] = [
  { href: '/app/profile', label: 'Profile', permission: 'GET /v1/partner' },
  { href: '/app/users', label: 'Users', permission: 'GET /v1/users' },
  // Also highlighted on /app/settings/notifications.
  { href: '/app/settings', label: 'Settings', roles: PARTNER_ROLES, activePrefix: '/app/settings' },
];
