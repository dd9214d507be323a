import type { RouteDef } from '../../../ui/router';
import type { NavItem } from '../../../ui/Layout';

/** Routes of this area (lazy pages: `lazy: () => import('./Page')`). */
export const routes: RouteDef[] = [
  { path: '/app/ops/leads', lazy: () => import('./LeadPool'), permission: 'GET /v1/admin/leads' },
  { path: '/app/ops/tasks', lazy: () => import('./Tasks'), permission: 'GET /v1/admin/tasks' },
  { path: '/app/ops/commissions', lazy: () => import('./Commissions'), permission: 'GET /v1/admin/commissions' },
  { path: '/app/ops/resources', lazy: () => import('./Resources'), permission: 'GET /v1/admin/resources' },
  { path: '/app/ops/activity', lazy: () => import('./Activity'), permission: 'GET /v1/admin/activity' },
  { path: '/app/ops/staff', lazy: () => import('./Staff'), permission: 'GET /v1/admin/staff' },
  // No read route exists for the CRM tools: staff reach the page; the form needs the replay permission.
  { path: '/app/ops/crm', lazy: () => import('./Crm') },
  { path: '/app/ops/analytics', lazy: () => import('./Analytics'), permission: 'GET /v1/admin/analytics' },
];

/** Navigation entries of this area, in the order they appear. */
export const nav: NavItem[] = [
  { href: '/app/ops/leads', label: 'Lead pool', permission: 'GET /v1/admin/leads' },
  { href: '/app/ops/tasks', label: 'Tasks', permission: 'GET /v1/admin/tasks' },
  { href: '/app/ops/commissions', label: 'Commissions', permission: 'GET /v1/admin/commissions' },
  { href: '/app/ops/resources', label: 'Resources', permission: 'GET /v1/admin/resources' },
  { href: '/app/ops/activity', label: 'Activity', permission: 'GET /v1/admin/activity' },
  { href: '/app/ops/staff', label: 'Staff', permission: 'GET /v1/admin/staff' },
  { href: '/app/ops/crm', label: 'CRM', permission: 'POST /v1/admin/crm/replay' },
  { href: '/app/ops/analytics', label: 'Analytics', permission: 'GET /v1/admin/analytics' },
];
