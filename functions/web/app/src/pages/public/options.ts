import type { Option } from '../../ui';

/* Static option lists for pages without a session (GET /v1/partner/field-options needs one).
   Values match the OpenAPI enums. */

export const BUSINESS_TYPES: Option[] = [
  { value: 'sole_proprietor', label: 'Sole proprietor' },
  { value: 'company', label: 'Company' },
  { value: 'partnership', label: 'Partnership' },
];

export const PROVINCES: Option[] = [
  { value: 'eastern_cape', label: 'Eastern Cape' },
  { value: 'free_state', label: 'Free State' },
  { value: 'gauteng', label: 'Gauteng' },
  { value: 'kwazulu_natal', label: 'KwaZulu-Natal' },
  { value: 'limpopo', label: 'Limpopo' },
  { value: 'mpumalanga', label: 'Mpumalanga' },
  { value: 'north_west', label: 'North West' },
  { value: 'northern_cape', label: 'Northern Cape' },
  { value: 'western_cape', label: 'Western Cape' },
];

export const SERVICE_AREAS: Option[] = [
  { value: 'residential_solar', label: 'Residential solar' },
  { value: 'commercial_solar', label: 'Commercial solar' },
  { value: 'battery_storage', label: 'Battery storage' },
  { value: 'ev_charging', label: 'EV charging' },
  { value: 'maintenance', label: 'Maintenance' },
  { value: 'consulting', label: 'Consulting' },
];

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;

/** Client-side checks for a new password and its confirmation (the API checks again). */
export function passwordErrors(password: string, confirm: string, field = 'password'): Record<string, string> {
  const e: Record<string, string> = {};
  if (password.length < PASSWORD_MIN) e[field] = `Use at least ${PASSWORD_MIN} characters.`;
  else if (password.length > PASSWORD_MAX) e[field] = `Use at most ${PASSWORD_MAX} characters.`;
  if (!e[field] && confirm !== password) e.confirm = 'The two passwords do not match.';
  return e;
}

export const EMAIL_RE = /^[!-?A-~]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
