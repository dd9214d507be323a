import { useEffect, useId, useState } from 'preact/hooks';
import type { Option } from './form';
import { setQuery, useQuery } from './location';

export interface FilterDef {
  name: string;
  label: string;
  type: 'text' | 'search' | 'select' | 'date';
  options?: readonly Option[];
  /** Text of the empty option of a select ("Any"). */
  any?: string;
}

/**
 * A filter bar kept in the URL query (so a reload or a shared link keeps it). Selects and
 * dates apply at once; text on Enter, on leaving the field, or with "Apply filters".
 * Changing a filter returns a cursor-paged list to its first page (its deps change).
 *
 *   <FilterBar label="Filter leads" filters={[{ name: 'status', label: 'Status', type: 'select', options }]} />
 */
export function FilterBar({ label, filters }: { label: string; filters: FilterDef[] }) {
  const query = useQuery();
  const base = useId();
  const [draft, setDraft] = useState<Record<string, string>>(() => Object.fromEntries(filters.map((f) => [f.name, query.get(f.name) ?? ''])));
  const search = query.toString();
  useEffect(() => {
    setDraft(Object.fromEntries(filters.map((f) => [f.name, query.get(f.name) ?? ''])));
  }, [search]);
  const apply = (patch: Record<string, string> = {}) => {
    const next = { ...draft, ...patch };
    setQuery(Object.fromEntries(filters.map((f) => [f.name, next[f.name]?.trim() || null])));
  };
  const active = filters.some((f) => query.get(f.name));
  return (
    <form
      class="filter-bar card"
      role="search"
      aria-label={label}
      onSubmit={(e) => {
        e.preventDefault();
        apply();
      }}
    >
      <div class="filter-fields">
        {filters.map((f) => {
          const id = `${base}-${f.name}`;
          const value = draft[f.name] ?? '';
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
                    setDraft((d) => ({ ...d, [f.name]: v }));
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
                    setDraft((d) => ({ ...d, [f.name]: v }));
                  }}
                  onChange={(e) => apply({ [f.name]: e.currentTarget.value })}
                />
              )}
            </div>
          );
        })}
      </div>
      <div class="button-row">
        <button type="submit">Apply filters</button>
        {active ? (
          <button type="button" class="secondary" onClick={() => setQuery(Object.fromEntries(filters.map((f) => [f.name, null])))}>
            Clear filters
          </button>
        ) : null}
      </div>
    </form>
  );
}
