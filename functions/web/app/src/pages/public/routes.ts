import type { RouteDef } from '../../ui/router';
import Home from './Home';
import Login from './Login';
import Register from './Register';
import VerifyEmail from './VerifyEmail';
import ForgotPassword from './ForgotPassword';
import ResetPassword from './ResetPassword';
import AcceptInvitation from './AcceptInvitation';
import Unsubscribe from './Unsubscribe';
import Feedback from './Feedback';
import Refer from './Refer';

/** Public pages (no session). The server's emails link to exactly these paths. */
export const publicRoutes: RouteDef[] = [
  { path: '/', component: Home },
  { path: '/login', component: Login },
  { path: '/register', component: Register },
  { path: '/verify-email', component: VerifyEmail },
  { path: '/password/forgot', component: ForgotPassword },
  { path: '/password/reset', component: ResetPassword },
  { path: '/invitations/accept', component: AcceptInvitation },
  { path: '/unsubscribe/:token', component: Unsubscribe },
  { path: '/feedback/:token', component: Feedback },
  { path: '/refer/:slug', component: Refer },
];
