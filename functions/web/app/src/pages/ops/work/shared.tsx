import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { api, unwrap, ApiProblem, toProblem, type Schemas } from '../../../api';
import { Dialog, Field, Link, minorDigits, personName, toast, useStaff, type Option, type StaffUser } from '../../../ui';
import './ops-work.css';

/* ------------------------------------------------------------ versions and keys */


/** A fresh idempotency key (a UUID; a fallback where crypto.randomUUID is missing). */
export function newIdempotencyKey(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * One idempotency key per form: kept across retries (a network failure or a server error may
 * have created the record, so the retry must carry the same key), replaced after a success
 * or after an answer that proves nothing was created (a 4xx refusal).
 *
 *   const key = useIdempotencyKey();
 *   const line = await key.send((k) => unwrap(api.POST('/v1/admin/commissions', { params: { header: { 'Idempotency-Key': k } }, body })));
 */
export function useIdempotencyKey() {
  const key = useRef<string>(newIdempotencyKey());
  return {
    /** Runs a create with the form's key, then keeps or replaces the key as its outcome says. */
    send: async <T,>(create: (key: string) => Promise<T>): Promise<T> => {
      try {
        const created = await create(key.current);
        key.current = newIdempotencyKey();
        return created;
      } catch (e) {
        if (e instanceof ApiProblem && e.status >= 400 && e.status < 500 && e.status !== 408 && e.status !== 409) {
          key.current = newIdempotencyKey();
        }
        throw e;
      }
    },
  };
}

/* ------------------------------------------------------------ money input */

/**
 * Turns an amount typed in major units ("1234.50", "1 234,5", "-20") into integer minor
 * units by string manipulation only (never float maths): "1234.50" ZAR → 123450.
 * Returns an error message for input that is not a plain decimal amount.
 */
export function parseMajorToMinor(input: string, currency: string): { minor: number } | { error: string } {
  const digits = minorDigits(currency);
  let s = input.trim().replace(/[\s_\u00a0\u202f']/g, '');
  if (!s) return { error: 'Enter an amount.' };
  if (s.includes(',') && s.includes('.')) s = s.replace(/,/g, '');
  else if (s.includes(',')) s = s.replace(',', '.');
  const m = /^([+-]?)(\d+)(?:\.(\d*))?$/.exec(s) ?? /^([+-]?)()\.(\d+)$/.exec(s);
  if (!m) return { error: 'Enter an amount such as 1234.50.' };
  const sign = m[1] === '-' ? -1n : 1n;
  const whole = m[2] || '0';
  const frac = m[3] ?? '';
  if (frac.length > digits) {
    return { error: digits === 0 ? `${currency} has no decimal places.` : `Use at most ${digits} decimal places.` };
  }
  const minor = sign * BigInt(whole + frac.padEnd(digits, '0'));
  if (minor > BigInt(Number.MAX_SAFE_INTEGER) || minor < -BigInt(Number.MAX_SAFE_INTEGER)) return { error: 'This amount is too large.' };
  return { minor: Number(minor) };
}

/* ------------------------------------------------------------ enums */

export const CURRENCIES: Schemas['Currency'][] = ['ZAR', 'USD', 'EUR', 'GBP', 'AUD', 'CAD', 'CHF', 'NZD', 'BWP', 'NAD', 'KES', 'NGN', 'INR', 'CNY', 'JPY', 'KWD'];
export const currencyOptions: Option[] = CURRENCIES.map((c) => ({ value: c, label: c }));

export function enumOptions(values: readonly string[], label?: (v: string) => string): Option[] {
  return values.map((v) => ({ value: v, label: label ? label(v) : v.charAt(0).toUpperCase() + v.slice(1).replace(/_/g, ' ') }));
}

/** `2026-03-01` (date input) → the same; `2026-03-01T10:00` (datetime-local) → RFC 3339 in UTC. */
export function localDateTimeToIso(value: string): string | null {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/* ------------------------------------------------------------ partner links */

export function shortId(id: string): string {
  return id.length > 10 ? `…${id.slice(-8)}` : id;
}

/** A link to the partner's operations workspace. */
export function PartnerLink({ id, name }: { id: string | null | undefined; name?: string }) {
  if (!id) return <span class="muted">—</span>;
  return (
    <Link href={`/app/ops/partners/${encodeURIComponent(id)}`} title={id}>
      {name ?? `Partner ${shortId(id)}`}
    </Link>
  );
}

/* ------------------------------------------------------------ partner picker */

type Partner = Schemas['Partner'];

/**
 * Search partners by name (`GET /v1/admin/partners?q=`) and choose one. The search input is
 * labelled by `label` ("Partner"); results are buttons, the chosen one is announced.
 */
export function PartnerPicker(props: {
  label?: string;
  name?: string;
  /** The input's id (a form's `controlId(name)`, so a failed submit focuses it). */
  id?: string;
  value: string;
  onChange: (id: string, partner?: Partner) => void;
  error?: string;
  status?: Schemas['PartnerStatus'];
  hint?: ComponentChildren;
  autoFocus?: boolean;
}) {
  const [q, setQ] = useState('');
  const [results, setResults] = useState<Partner[] | null>(null);
  const [chosen, setChosen] = useState<Partner | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const resultsId = useId();
  const seq = useRef(0);

  useEffect(() => {
    const term = q.trim();
    if (!term) {
      setResults(null);
      return;
    }
    const id = ++seq.current;
    const t = setTimeout(() => {
      setBusy(true);
      setProblem(null);
      unwrap(api.GET('/v1/admin/partners', { params: { query: { q: term, limit: 10, status: props.status } } })).then(
        (page) => {
          if (id !== seq.current) return;
          setResults(page.items);
          setBusy(false);
        },
        (e: unknown) => {
          if (id !== seq.current) return;
          setProblem(e instanceof ApiProblem ? e.detail : 'The search failed.');
          setBusy(false);
        },
      );
    }, 250);
    return () => clearTimeout(t);
  }, [q, props.status]);

  useEffect(() => {
    if (!props.value) setChosen(null);
  }, [props.value]);

  return (
    <div class="partner-picker">
      <Field label={props.label ?? 'Partner'} name={props.name ?? 'partner_id'} id={props.id} error={props.error} hint={props.hint ?? 'Search by business name, then choose.'}>
        {(a) => (
          <input
            {...a}
            type="search"
            autoComplete="off"
            autoFocus={props.autoFocus}
            value={q}
            aria-controls={resultsId}
            onInput={(e) => setQ(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') e.preventDefault();
            }}
          />
        )}
      </Field>
      <div id={resultsId} aria-live="polite">
        {busy ? <p class="muted small">Searching…</p> : null}
        {problem ? <p class="field-error">{problem}</p> : null}
        {results && !busy ? (
          results.length ? (
            <ul class="picker-results" aria-label="Matching partners">
              {results.map((p) => (
                <li key={p.id}>
                  <button
                    type="button"
                    class="secondary"
                    aria-pressed={props.value === p.id ? 'true' : 'false'}
                    onClick={() => {
                      setChosen(p);
                      props.onChange(p.id, p);
                    }}
                  >
                    {p.business_name}
                    <span class="muted small"> · {p.status.replace(/_/g, ' ')}</span>
                  </button>
                </li>
              ))}
            </ul>
          ) : (
            <p class="muted small">No partner matches “{q.trim()}”.</p>
          )
        ) : null}
        {props.value ? (
          <p class="picker-chosen" role="status">
            Chosen: <strong>{chosen?.business_name ?? props.value}</strong>{' '}
            <button type="button" class="link-button" onClick={() => props.onChange('')}>
              Clear partner
            </button>
          </p>
        ) : null}
      </div>
    </div>
  );
}

/** A query value, or undefined when absent or empty (the API refuses empty parameters). */
export function q(query: URLSearchParams, name: string): string | undefined {
  const v = query.get(name);
  return v ? v : undefined;
}

/* ------------------------------------------------------------ modal per item */

/**
 * A dialog that stays mounted (so focus returns to the control that opened it) and shows
 * `children(item)` while `item` is set.
 */
export function ItemDialog<T>(props: {
  item: T | null | undefined;
  title: (item: T) => string;
  onClose: () => void;
  children: (item: T) => ComponentChildren;
}) {
  const last = useRef<T | null>(null);
  if (props.item) last.current = props.item;
  const shown = props.item ?? last.current;
  return (
    <Dialog open={!!props.item} title={shown ? props.title(shown) : ''} onClose={props.onClose}>
      {props.item ? props.children(props.item) : null}
    </Dialog>
  );
}

/* ------------------------------------------------------------ row actions */

/**
 * Runs one action at a time on a list's rows: `busy` names the row (and action) in
 * progress, `problem` holds the last failure for an alert above the list.
 */
export function useRowAction() {
  const [busy, setBusy] = useState<string | null>(null);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const run = async (key: string, action: () => Promise<unknown>, success?: string): Promise<boolean> => {
    if (busy) return false;
    setBusy(key);
    setProblem(null);
    try {
      await action();
      if (success) toast.success(success);
      return true;
    } catch (e) {
      setProblem(toProblem(e));
      return false;
    } finally {
      setBusy(null);
    }
  };
  return { busy, problem, run, clear: () => setProblem(null) };
}

/** The failure of a row action: title and the problem's detail. */
export function ActionProblem({ problem, onDismiss }: { problem: ApiProblem | null; onDismiss: () => void }) {
  if (!problem) return null;
  return (
    <div class="alert alert-error" role="alert">
      <p>
        <strong>{problem.title}</strong>
      </p>
      {problem.detail && problem.detail !== problem.title ? <p>{problem.detail}</p> : null}
      <p>
        <button type="button" class="link-button" onClick={onDismiss}>
          Dismiss
        </button>
      </p>
    </div>
  );
}

/* ------------------------------------------------------------ staff names */

/** The first staff users' names instead of their ids (see `useStaff`). */
export function useStaffNames(enabled: boolean): { users: StaffUser[]; name: (id: string | null | undefined) => string | undefined } {
  const users = useStaff(enabled);
  return {
    users,
    name: (id) => {
      const u = id ? users.find((x) => x.id === id) : undefined;
      return u ? personName(u) : undefined;
    },
  };
}
