import { Fragment, type ComponentChildren } from 'preact';
import type { Schemas } from '../../../api';

export type CommissionStatus = Schemas['CommissionStatus'];
export type CommissionKind = Schemas['CommissionKind'];

export const COMMISSION_STATUSES: Record<CommissionStatus, string> = {
  pending: 'Pending',
  approved: 'Approved',
  held: 'Held',
  paid: 'Paid',
  cancelled: 'Cancelled',
};

export const COMMISSION_KINDS: Record<CommissionKind, string> = {
  earning: 'Earning',
  adjustment: 'Adjustment',
  clawback: 'Clawback',
};

export const COMMISSION_SOURCES: Record<string, string> = {
  crm: 'CRM',
  admin: 'Operations',
  accrual: 'Accrued on a won lead',
};

export const PAYOUT_STATUSES: Record<string, string> = { processing: 'Processing', paid: 'Paid', failed: 'Failed' };

/** `value` if it is one of `allowed`, else undefined (query-string values are untrusted). */
export function oneOf<T extends string>(value: string | null, allowed: Record<T, string>): T | undefined {
  return value && Object.prototype.hasOwnProperty.call(allowed, value) ? (value as T) : undefined;
}

/** A yyyy-mm-dd value, or undefined. */
export function dateOnly(value: string | null): string | undefined {
  return value && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : undefined;
}

/** Basis points as a percentage string (1250 → "12.5%") without float arithmetic on money. */
export function formatBps(bps: number): string {
  const neg = bps < 0;
  const abs = Math.abs(Math.trunc(bps)).toString().padStart(3, '0');
  const int = abs.slice(0, -2);
  const frac = abs.slice(-2).replace(/0+$/, '');
  return `${neg ? '-' : ''}${int}${frac ? `.${frac}` : ''}%`;
}

/** A definition list of label → value pairs (values that are null/undefined are left out). */
export function Details({ items, label }: { items: [string, ComponentChildren][]; label?: string }) {
  return (
    <dl class="money-details" aria-label={label}>
      {items
        .filter(([, v]) => v !== null && v !== undefined && v !== '')
        .map(([k, v]) => (
          <Fragment key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </Fragment>
        ))}
    </dl>
  );
}

