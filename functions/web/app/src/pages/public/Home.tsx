import { useSession } from '../../api';
import { Loading, Redirect } from '../../ui';

/** `/`: the portal when signed in, else the sign-in page. */
export default function Home() {
  const s = useSession();
  if (s.status === 'loading') return <Loading label="Loading…" fullPage />;
  return <Redirect to={s.status === 'signed_in' ? '/app' : '/login'} />;
}
