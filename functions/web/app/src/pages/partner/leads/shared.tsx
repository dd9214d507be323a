import { api, can, unwrap, useMe, type Me, type Schemas } from '../../../api';
import {
  type FormApi,
  minorDigits,
  type Option,
  personName,
  TextAreaField,
  TextField,
  useAsync,
} from '../../../ui';

export type Lead = Schemas['Lead'];
export type LeadStatus = Schemas['LeadStatus'];
export type ActivityType = Schemas['ActivityType'];
export type User = Schemas['User'];

export const STATUS_LABELS: Record<LeadStatus, string> = {
  new: 'New',
  contacted: 'Contacted',
  qualified: 'Qualified',
  proposal: 'Proposal',
  won: 'Won',
  lost: 'Lost',
  converted: 'Converted',
};

export const STATUS_OPTIONS: Option[] = (Object.keys(STATUS_LABELS) as LeadStatus[]).map((s) => ({
  value: s,
  label: STATUS_LABELS[s],
}));

const OPEN: LeadStatus[] = ['new', 'contacted', 'qualified', 'proposal'];
const RANK: Partial<Record<LeadStatus, number>> = { new: 0, contacted: 1, qualified: 2, proposal: 3 };

/**
 * The moves a partner may make from a status (the API's status machine): forward along
 * new → contacted → qualified → proposal (steps may be skipped) or to lost. Won and
 * converted come from the CRM; closed leads do not move.
 */
export function partnerMoves(status: LeadStatus): LeadStatus[] {
  if (!OPEN.includes(status)) return [];
  const rank = RANK[status] ?? 0;
  const forward = (['contacted', 'qualified', 'proposal'] as LeadStatus[]).filter((s) => (RANK[s] ?? 0) > rank);
  return [...forward, 'lost'];
}

export const ACTIVITY_LABELS: Record<ActivityType, string> = {
  call: 'Call',
  email: 'Email',
  meeting: 'Meeting',
  quote_sent: 'Quote sent',
  follow_up: 'Follow-up',
  note: 'Note',
};

export const SOURCE_LABELS: Record<string, string> = { portal: 'Portal', public_form: 'Public form', crm: 'CRM' };

export const CRM_LABELS: Record<string, string> = {
  pending: 'Sync pending',
  synced: 'Synced',
  conflict: 'Sync conflict',
  failed: 'Sync failed',
};

export const ATTACHMENT_TYPES = [
  'application/pdf',
  'image/jpeg',
  'image/png',
  'application/msword',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.ms-excel',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
] as const;
export type AttachmentType = (typeof ATTACHMENT_TYPES)[number];
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

/* ------------------------------------------------------------------ dates */

const pad = (n: number) => String(n).padStart(2, '0');

/** An RFC 3339 time → the value of a `datetime-local` input, in the user's time zone. */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A `datetime-local` value → RFC 3339 (UTC); '' stays ''. */
export function fromLocalInput(value: string): string {
  if (!value) return '';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : d.toISOString();
}

/** A `date` input value (YYYY-MM-DD) → the start (or end) of that day in the user's time zone, RFC 3339. */
export function dayBoundary(day: string, end: boolean): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const d = new Date(`${day}T${end ? '23:59:59.999' : '00:00:00'}`);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/* ------------------------------------------------------------------ money */

/**
 * A decimal amount typed by the user ("1 250.50", "1250,5") → integer minor units, by
 * string manipulation only (no float math). Returns an error message when invalid.
 */
export function parseMinor(text: string, currency: string): { minor?: number; error?: string } {
  const digits = /^[A-Z]{3}$/.test(currency) ? minorDigits(currency) : 2;
  const cleaned = text.replace(/[\s\u00a0']/g, '');
  const m = /^(\d+)(?:[.,](\d*))?$/.exec(cleaned);
  if (!m) return { error: 'Enter an amount such as 12500 or 12500.00.' };
  const frac = m[2] ?? '';
  if (frac.length > digits) return { error: `Use at most ${digits} decimal places.` };
  const minorText = `${m[1]}${frac.padEnd(digits, '0')}`.replace(/^0+(?=\d)/, '');
  const minor = Number(minorText);
  if (!Number.isSafeInteger(minor)) return { error: 'This amount is too large.' };
  return { minor };
}

/** Minor units → the decimal text of an amount input ("12500.00"). */
export function minorToInput(minor: number, currency: string): string {
  const digits = /^[A-Z]{3}$/.test(currency) ? minorDigits(currency) : 2;
  const s = String(Math.abs(minor)).padStart(digits + 1, '0');
  return digits ? `${s.slice(0, -digits)}.${s.slice(-digits)}` : s;
}

/* ------------------------------------------------------------------ users */

/**
 * The partner's users (owners and managers may list them), for assignee choices and
 * showing who did what. Empty for roles that cannot list users.
 */
export function useUsers(): { users: User[]; byId: Map<string, User>; canList: boolean } {
  const me = useMe();
  const canList = can(me, 'GET /v1/users');
  const state = useAsync(async () => {
    if (!canList) return [] as User[];
    const all: User[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 5; i++) {
      const page = await unwrap(api.GET('/v1/users', { params: { query: { limit: 100, cursor } } }));
      all.push(...page.items);
      if (!page.next_cursor) break;
      cursor = page.next_cursor;
    }
    return all;
  }, [canList]);
  const users = state.data ?? [];
  return { users, byId: new Map(users.map((u) => [u.id, u])), canList };
}

/** Who a user id is, for display: "You", their name, or the id. */
export function who(id: string | undefined, byId: Map<string, User>, me: Me | null): string {
  if (!id) return '—';
  if (me && id === me.user.id) return 'You';
  const u = byId.get(id);
  if (u) return personName(u);
  if (id === 'crm' || id === 'system' || id === 'public_form') return id === 'crm' ? 'CRM' : id === 'system' ? 'System' : 'Public form';
  return id;
}

/* ------------------------------------------------------------------ contact fields */

export interface ContactValues extends Record<string, unknown> {
  first_name: string;
  last_name: string;
  email: string;
  phone: string;
  company: string;
  website: string;
  address: string;
  service_interest: string;
  estimated_value: string;
  currency: string;
  notes: string;
}

export const EMPTY_CONTACT: ContactValues = {
  first_name: '',
  last_name: '',
  email: '',
  phone: '',
  company: '',
  website: '',
  address: '',
  service_interest: '',
  estimated_value: '',
  currency: 'ZAR',
  notes: '',
};

/** API field names → the names of the contact form's fields. */
export const CONTACT_ALIASES: Record<string, string> = {
  'estimated_value.amount_minor': 'estimated_value',
  'estimated_value.currency': 'currency',
};

export function contactOf(lead: Lead): ContactValues {
  const currency = lead.estimated_value?.currency ?? 'ZAR';
  return {
    first_name: lead.first_name,
    last_name: lead.last_name,
    email: lead.email ?? '',
    phone: lead.phone ?? '',
    company: lead.company ?? '',
    website: lead.website ?? '',
    address: lead.address ?? '',
    service_interest: lead.service_interest ?? '',
    estimated_value: lead.estimated_value ? minorToInput(lead.estimated_value.amount_minor, currency) : '',
    currency,
    notes: lead.notes ?? '',
  };
}

/** Client-side checks of the contact fields (the API checks again). */
export function validateContact(v: ContactValues): Record<string, string | undefined> {
  const errors: Record<string, string | undefined> = {};
  if (!v.first_name.trim()) errors.first_name = 'Enter the first name.';
  if (!v.last_name.trim()) errors.last_name = 'Enter the last name.';
  if (!v.email.trim() && !v.phone.trim()) {
    errors.email = 'Enter an email address or a phone number.';
    errors.phone = 'Enter a phone number or an email address.';
  } else if (v.email.trim() && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v.email.trim())) {
    errors.email = 'Enter a valid email address, like name@example.com.';
  }
  if (v.estimated_value.trim()) {
    if (!/^[A-Z]{3}$/.test(v.currency.trim().toUpperCase())) errors.currency = 'Enter a three-letter currency code, like ZAR.';
    else {
      const parsed = parseMinor(v.estimated_value.trim(), v.currency.trim().toUpperCase());
      if (parsed.error) errors.estimated_value = parsed.error;
    }
  }
  return errors;
}

/** The estimated value as the API takes it, or null when blank. */
export function moneyInput(v: ContactValues): { amount_minor: number; currency: string } | null {
  if (!v.estimated_value.trim()) return null;
  const currency = v.currency.trim().toUpperCase();
  const parsed = parseMinor(v.estimated_value.trim(), currency);
  return parsed.minor === undefined ? null : { amount_minor: parsed.minor, currency };
}

/** The contact fields of a lead (create form and edit form). */
export function ContactFields<V extends ContactValues>({ form }: { form: FormApi<V> }) {
  return (
    <>
      <fieldset class="group">
        <legend>Contact</legend>
        <div class="grid-2">
          <TextField form={form} name="first_name" label="First name" autoComplete="off" maxLength={100} required />
          <TextField form={form} name="last_name" label="Last name" autoComplete="off" maxLength={100} required />
          <TextField
            form={form}
            name="email"
            label="Email"
            type="email"
            inputMode="email"
            autoComplete="off"
            maxLength={254}
            hint="Email or phone is required."
          />
          <TextField form={form} name="phone" label="Phone" type="tel" inputMode="tel" autoComplete="off" hint="For example +27 82 123 4567." />
        </div>
      </fieldset>
      <fieldset class="group">
        <legend>Business</legend>
        <div class="grid-2">
          <TextField form={form} name="company" label="Company" autoComplete="off" maxLength={200} optional />
          <TextField form={form} name="website" label="Website" type="url" inputMode="url" autoComplete="off" maxLength={300} optional />
          <TextAreaField form={form} name="address" label="Address" rows={3} maxLength={500} optional class="span-2" />
          <TextField form={form} name="service_interest" label="Service interest" maxLength={100} optional />
          <div class="leads-money">
            <TextField
              form={form}
              name="estimated_value"
              label="Estimated value"
              inputMode="decimal"
              optional
              hint="The expected deal value, e.g. 25000.00."
            />
            <TextField form={form} name="currency" label="Currency" maxLength={3} autoComplete="off" hint="ISO code, e.g. ZAR." />
          </div>
          <TextAreaField form={form} name="notes" label="Notes" rows={4} maxLength={5000} optional class="span-2" />
        </div>
      </fieldset>
    </>
  );
}
