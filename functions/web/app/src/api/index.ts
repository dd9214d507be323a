/** The API: typed client, problems, session. */
export { api, unwrap, unwrapResponse, refreshSession, hasAccessToken, type Schemas, type WebTokenResponse } from './client';
export { ApiProblem, toProblem, fieldKey, type FieldError, type ProblemBody } from './problem';
export {
  session,
  useSession,
  useMe,
  can,
  isStaff,
  loadMe,
  signIn,
  signOut,
  PARTNER_ROLES,
  STAFF_ROLES,
  type Me,
  type Role,
  type SessionState,
} from './session';
export type { paths, components } from './schema';
