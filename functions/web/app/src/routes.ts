import type { RouteDef } from './ui/router';
import { publicRoutes } from './pages/public/routes';
import { partnerNav, partnerRoutes } from './pages/partner/routes';
import { opsNav, opsRoutes } from './pages/ops/routes';

/** Every route of the app. Areas own their lists; add routes there, not here. */
export const routes: RouteDef[] = [...publicRoutes, ...partnerRoutes, ...opsRoutes];

export { partnerNav, opsNav };
