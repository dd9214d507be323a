import type { RouteDef } from '../../ui/router';
import type { NavItem } from '../../ui/Layout';
import { PARTNER_ROLES } from '../../api/session';
import Dashboard from './Dashboard';
import * as onboarding from './onboarding/routes';
import * as leads from './leads/routes';
import * as money from './money/routes';
import * as account from './account/routes';

/**
 * The partner workspace (`/app/*`, session required). The dashboard is in the first
 * load; every other page is lazy and registered in its area's `routes.ts`.
 */
export const partnerRoutes: RouteDef[] = [
  { path: '/app', component: Dashboard, roles: PARTNER_ROLES },
  { path: '/app/settings/notifications', lazy: () => import('./NotificationSettings') },
  ...onboarding.routes,
  ...leads.routes,
  ...money.routes,
  ...account.routes,
];

/** Partner navigation; entries show only to users holding `permission`. */
export const partnerNav: NavItem[] = [
  { href: '/app', label: 'Dashboard', permission: 'GET /v1/dashboard' },
  ...onboarding.nav,
  ...leads.nav,
  ...money.nav,
  ...account.nav,
];
