import type { RouteDef } from '../../../ui/router';
import type { NavItem } from '../../../ui/Layout';

/** Routes of this area (lazy pages: `lazy: () => import('./Page')`). */
export const routes: RouteDef[] = [
  { path: '/app/ops', lazy: () => import('./Directory'), permission: 'GET /v1/admin/partners' },
  { path: '/app/ops/partners/:id', lazy: () => import('./Workspace'), permission: 'GET /v1/admin/partners/{partner_id}' },
];

/** Navigation entries of this area, in the order they appear. */
export const nav: NavItem[] = [
  { href: '/app/ops', label: 'Partners', permission: 'GET /v1/admin/partners' },
];
