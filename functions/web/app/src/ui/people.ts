import { useEffect, useState } from 'preact/hooks';
import { api, unwrap, type Schemas } from '../api';

export type StaffUser = Schemas['User'];

/** A person's name for display: first and last name, else the email address. */
export function personName(u: { first_name?: string | null; last_name?: string | null; email: string }): string {
  return [u.first_name, u.last_name].filter(Boolean).join(' ').trim() || u.email;
}

/** The `If-Match` value for a record read at `version` (the API's ETag form, `"v3"`). */
export function ifMatch(version: number): string {
  return `"v${version}"`;
}

let staffCache: Promise<StaffUser[]> | null = null;

/** Every staff user (admins and support), read once per page load (a failure is retried next time). */
export function loadStaff(): Promise<StaffUser[]> {
  if (!staffCache) {
    staffCache = (async () => {
      const all: StaffUser[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 10; i++) {
        const page = await unwrap(api.GET('/v1/admin/staff', { params: { query: { limit: 100, cursor } } }));
        all.push(...page.items);
        if (!page.next_cursor) break;
        cursor = page.next_cursor;
      }
      return all;
    })();
    staffCache.catch(() => {
      staffCache = null;
    });
  }
  return staffCache;
}

/** Staff users for pickers and names: an empty list while loading, when not readable, or when not `enabled`. */
export function useStaff(enabled = true): StaffUser[] {
  const [staff, setStaff] = useState<StaffUser[]>([]);
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    loadStaff().then(
      (s) => live && setStaff(s),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [enabled]);
  return staff;
}
