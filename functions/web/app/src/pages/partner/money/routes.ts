import type { RouteDef } from '../../../ui/router';
import type { NavItem } from '../../../ui/Layout';

/** Routes of this area (lazy pages: `lazy: () => import('./Page')`). */
export const routes: RouteDef[] = [
  { path: '/app/commissions', lazy: () => import('./Commissions'), permission: 'GET /v1/commissions' },
  { path: '/app/commissions/:id', lazy: () => import('./CommissionDetail'), permission: 'GET /v1/commissions/{commission_id}' },
  { path: '/app/payouts', lazy: () => import('./Payouts'), permission: 'GET /v1/payouts' },
  { path: '/app/payouts/:id', lazy: () => import('./PayoutDetail'), permission: 'GET /v1/payouts/{payout_id}' },
  { path: '/app/resources', lazy: () => import('./Resources'), permission: 'GET /v1/resources' },
  { path: '/app/exports', lazy: () => import('./Exports'), permission: 'POST /v1/exports' },
];

/** Navigation entries of this area, in the order they appear. */
export const nav: NavItem[] = [
  { href: '/app/commissions', label: 'Commissions', permission: 'GET /v1/commissions' },
  { href: '/app/payouts', label: 'Payouts', permission: 'GET /v1/payouts' },
  { href: '/app/resources', label: 'Resources', permission: 'GET /v1/resources' },
  { href: '/app/exports', label: 'Exports', permission: 'POST /v1/exports' },
];
