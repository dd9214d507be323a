import type { RouteDef } from '../../ui/router';
import type { NavItem } from '../../ui/Layout';
import * as partners from './partners/routes';
import * as work from './work/routes';

/**
 * The operations workspace (`/app/ops/*`: admin and support only). Every page is lazy:
 * partners never download it. Areas register their pages in their own `routes.ts`.
 */
export const opsRoutes: RouteDef[] = [...partners.routes, ...work.routes];

/** Operations navigation; entries show only to users holding `permission`. */
export const opsNav: NavItem[] = [...partners.nav, ...work.nav];
