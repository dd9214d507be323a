/**
 * Formatting in the user's locale (navigator.language). Money is always integers in
 * minor units (`{ amount_minor, currency }`): never add or multiply money as floats;
 * the decimal point is placed as text at the very end, for display only.
 */

export const locale: string = (typeof navigator !== 'undefined' && navigator.language) || 'en-ZA';

const cache = new Map<string, Intl.NumberFormat>();
function moneyFormat(currency: string): Intl.NumberFormat {
  let f = cache.get(currency);
  if (!f) {
    f = new Intl.NumberFormat(locale, { style: 'currency', currency, currencyDisplay: 'code' });
    cache.set(currency, f);
  }
  return f;
}

/** The currency's minor-unit digits (ZAR 2, JPY 0, KWD 3). */
export function minorDigits(currency: string): number {
  return moneyFormat(currency).resolvedOptions().maximumFractionDigits ?? 2;
}

/** 12345 minor units, 2 digits → "123.45" (exact for any integer size). */
export function minorToDecimalString(minor: number | bigint, digits: number): string {
  const big = BigInt(minor);
  const neg = big < 0n;
  const abs = (neg ? -big : big).toString().padStart(digits + 1, '0');
  const int = digits ? abs.slice(0, -digits) : abs;
  const frac = digits ? abs.slice(-digits) : '';
  return `${neg ? '-' : ''}${int}${frac ? `.${frac}` : ''}`;
}

/**
 * `formatMoney(12500, 'ZAR')` → "ZAR 125.00" (the locale decides separators and order).
 */
export function formatMoney(minorUnits: number | bigint, currency: string): string {
  try {
    const f = moneyFormat(currency);
    const decimal = minorToDecimalString(minorUnits, minorDigits(currency));
    // Intl accepts exact decimal strings (no float rounding on large amounts).
    return f.format(decimal as unknown as number);
  } catch {
    return `${currency} ${minorToDecimalString(minorUnits, 2)}`;
  }
}

/** Formats an API money object `{ amount_minor, currency }`. */
export function money(m: { amount_minor: number; currency: string } | null | undefined): string {
  return m ? formatMoney(m.amount_minor, m.currency) : '—';
}

/** Whole-number formatting: `formatNumber(1234)` → "1,234". */
export function formatNumber(n: number, opts?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(locale, opts).format(n);
}

/** `formatPercent(0.256)` → "25.6%" (ratios 0–1). */
export function formatPercent(ratio: number, digits = 1): string {
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: digits }).format(ratio);
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

function toDate(value: string | number | Date): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'string' && DATE_ONLY.test(value)) return new Date(`${value}T00:00:00Z`);
  return new Date(value);
}

/**
 * A date ("12 Mar 2026"). Date-only values (`2026-03-12`) are shown as that calendar day
 * whatever the user's time zone.
 */
export function formatDate(value: string | number | Date | null | undefined, opts: Intl.DateTimeFormatOptions = { dateStyle: 'medium' }): string {
  if (value === null || value === undefined || value === '') return '—';
  const d = toDate(value);
  if (Number.isNaN(d.getTime())) return String(value);
  const dateOnly = typeof value === 'string' && DATE_ONLY.test(value);
  return new Intl.DateTimeFormat(locale, dateOnly ? { ...opts, timeZone: 'UTC' } : opts).format(d);
}

/** A date and time in the user's time zone ("12 Mar 2026, 14:05"). */
export function formatDateTime(value: string | number | Date | null | undefined): string {
  return formatDate(value, { dateStyle: 'medium', timeStyle: 'short' });
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

/** "3 days ago", "in 2 hours", "now". Pair with formatDateTime in a `title` or `<time>`. */
export function formatRelative(value: string | number | Date | null | undefined, now: number = Date.now()): string {
  if (value === null || value === undefined || value === '') return '—';
  const d = toDate(value);
  if (Number.isNaN(d.getTime())) return String(value);
  const seconds = Math.round((d.getTime() - now) / 1000);
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === 'second') {
      return rtf.format(Math.round(seconds / size), unit);
    }
  }
  return rtf.format(0, 'second');
}

/** Bytes for people: 1536 → "1.5 KB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${formatNumber(v, { maximumFractionDigits: i === 0 ? 0 : 1 })} ${units[i]}`;
}
