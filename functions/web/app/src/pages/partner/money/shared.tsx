import { Fragment, type ComponentChildren } from 'preact';
import { useEffect, useId, useState } from 'preact/hooks';
import type { Schemas } from '../../../api';
import { setQuery, useQuery, type Option } from '../../../ui';

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

export interface FilterDef {
  name: string;
  label: string;
  type: 'select' | 'text' | 'date' | 'search';
  options?: readonly Option[];
  /** Label of the empty option of a select. */
  any?: string;
}

/**
 * Filters kept in the URL query. Selects and dates apply at once; text fields when the
 * form is submitted ("Apply filters") or the field loses focus. Changing a filter goes back
 * to the first page (the list's deps change).
 */
export function QueryFilters({ filters, label }: { filters: FilterDef[]; label: string }) {
  const query = useQuery();
  const qs = query.toString();
  const base = useId();
  const read = () => Object.fromEntries(filters.map((f) => [f.name, query.get(f.name) ?? '']));
  const [values, setValues] = useState<Record<string, string>>(read);
  useEffect(() => setValues(read()), [qs]);
  const active = filters.some((f) => query.get(f.name));
  const apply = (patch: Record<string, string> = {}) => setQuery({ ...values, ...patch });
  return (
    <form
      class="money-filters card"
      role="search"
      aria-label={label}
      onSubmit={(e) => {
        e.preventDefault();
        apply();
      }}
    >
      {filters.map((f) => {
        const id = `${base}-${f.name}`;
        const value = values[f.name] ?? '';
        return (
          <div class="field" key={f.name}>
            <label for={id}>{f.label}</label>
            {f.type === 'select' ? (
              <select
                id={id}
                name={f.name}
                value={value}
                onChange={(e) => {
                  const v = e.currentTarget.value;
                  setValues((s) => ({ ...s, [f.name]: v }));
                  apply({ [f.name]: v });
                }}
              >
                <option value="">{f.any ?? 'Any'}</option>
                {(f.options ?? []).map((o) => (
                  <option key={o.value} value={o.value}>
                    {o.label}
                  </option>
                ))}
              </select>
            ) : (
              <input
                id={id}
                name={f.name}
                type={f.type as 'text'}
                value={value}
                onInput={(e) => {
                  const v = e.currentTarget.value;
                  setValues((s) => ({ ...s, [f.name]: v }));
                }}
                onChange={(e) => apply({ [f.name]: e.currentTarget.value })}
              />
            )}
          </div>
        );
      })}
      <div class="button-row">
        <button type="submit">Apply filters</button>
        {active ? (
          <button
            type="button"
            class="secondary"
            onClick={() => setQuery(Object.fromEntries(filters.map((f) => [f.name, ''])))}
          >
            Clear filters
          </button>
        ) : null}
      </div>
    </form>
  );
}
