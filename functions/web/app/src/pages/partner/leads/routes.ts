import type { RouteDef } from '../../../ui/router';
import type { NavItem } from '../../../ui/Layout';
import { PARTNER_ROLES } from '../../../api/session';

/** Routes of this area (lazy pages: `lazy: () => import('./Page')`). */
export const routes: RouteDef[] = [
  { path: '/app/leads', lazy: () => import('./LeadsList'), roles: PARTNER_ROLES, permission: 'GET /v1/leads' },
  { path: '/app/leads/new', lazy: () => import('./NewLead'), roles: PARTNER_ROLES, permission: 'POST /v1/leads' },
  { path: '/app/leads/:id', lazy: () => import('./LeadDetail'), roles: PARTNER_ROLES, permission: 'GET /v1/leads/{lead_id}' },
];

/** Navigation entries of this area, in the order they appear. */
export const nav: NavItem[] = [{ href: '/app/leads', label: 'Leads', permission: 'GET /v1/leads' }];
