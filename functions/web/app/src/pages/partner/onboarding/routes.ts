import type { RouteDef } from '../../../ui/router';
import type { NavItem } from '../../../ui/Layout';
import { PARTNER_ROLES } from '../../../api/session';

/** Routes of this area (lazy pages: `lazy: () => import('./Page')`). */
export const routes: RouteDef[] = [
  {
    path: '/app/onboarding',
    lazy: () => import('./Onboarding'),
    roles: PARTNER_ROLES,
    permission: 'GET /v1/kyc/documents',
  },
];

/** Navigation entries of this area, in the order they appear. */
export const nav: NavItem[] = [{ href: '/app/onboarding', label: 'Onboarding', permission: 'GET /v1/kyc/documents' }];
