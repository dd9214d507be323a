import type { VNode } from 'preact';
import { Router, accessOf, type RouteDef } from './ui/router';
import { AppLayout, PublicLayout } from './ui/Layout';
import { useSession } from './api/session';
import { opsNav, partnerNav, routes } from './routes';

/** Signed-in areas get the app frame; public pages (and the 404 when signed out) the public one. */
function useWrap() {
  const s = useSession();
  return (route: RouteDef | null, content: VNode): VNode => {
    const inApp = route ? accessOf(route) !== 'public' : s.status === 'signed_in';
    return inApp ? (
      <AppLayout nav={partnerNav} opsNav={opsNav}>
        {content}
      </AppLayout>
    ) : (
      <PublicLayout>{content}</PublicLayout>
    );
  };
}

export function App() {
  const wrap = useWrap();
  return <Router routes={routes} wrap={wrap} />;
}
