import { h, type ComponentChildren, type InputHTMLAttributes, type TargetedEvent } from 'preact';
import { useEffect, useId, useMemo, useRef, useState } from 'preact/hooks';
import { ApiProblem, toProblem } from '../api/problem';

/**
 * The form kit.
 *
 *   const form = useForm({
 *     initial: { email: '', password: '' },
 *     validate: (v) => (v.email ? {} : { email: 'Enter your email address.' }),
 *     onSubmit: async (v) => { await signIn(v.email, v.password); navigate('/app'); },
 *   });
 *   <Form form={form}>
 *     <TextField form={form} name="email" label="Email" type="email" autoComplete="email" />
 *     <SubmitButton form={form}>Sign in</SubmitButton>
 *   </Form>
 *
 * A thrown ApiProblem's field errors (JSON pointers such as `/email`) appear next to the
 * fields they name; its `detail` (and errors for fields the form does not show) appears
 * in the form-level alert. Focus moves to the first invalid field, or to the alert.
 */

type Values = Record<string, unknown>;
export type Errors = Record<string, string>;

export interface FormApi<V extends Values> {
  /** Unique prefix for control ids. */
  id: string;
  values: V;
  set<K extends keyof V>(name: K, value: V[K]): void;
  setValues(patch: Partial<V>): void;
  /** Field errors (client-side validation and the API's), by field name. */
  errors: Errors;
  error(name: string): string | undefined;
  /** The last failure, for the form-level alert. */
  problem: ApiProblem | null;
  /** Field errors the form has no field for (shown in the alert). */
  unmatched: { field: string; message: string }[];
  busy: boolean;
  /** True after onSubmit resolved (until the next submit or reset). */
  succeeded: boolean;
  submit(e?: Event): Promise<void>;
  reset(values?: V): void;
  /** Props for a text-like control bound to `name` (input, select, textarea). */
  bind(name: keyof V & string): {
    id: string;
    name: string;
    value: string;
    onInput: (e: TargetedEvent<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>) => void;
  };
  /** Registers a field name rendered by this form (done by the field components). */
  register(name: string): void;
  controlId(name: string): string;
}

export function useForm<V extends Values>(opts: {
  initial: V;
  /** Client-side checks: a message per invalid field (undefined or absent when valid). */
  validate?: (values: V) => Record<string, string | undefined>;
  onSubmit: (values: V) => Promise<unknown> | unknown;
  /** API field names → form field names, when they differ (`address/city` → `city`). */
  fieldAliases?: Record<string, string>;
}): FormApi<V> {
  const id = useId();
  const [values, setValuesState] = useState<V>(opts.initial);
  const [errors, setErrors] = useState<Errors>({});
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [unmatched, setUnmatched] = useState<{ field: string; message: string }[]>([]);
  const [busy, setBusy] = useState(false);
  const [succeeded, setSucceeded] = useState(false);
  const [focusTick, setFocusTick] = useState(0);
  const fields = useRef(new Set<string>());
  const busyRef = useRef(false);
  const valuesRef = useRef(values);
  valuesRef.current = values;
  const optsRef = useRef(opts);
  optsRef.current = opts;

  const controlId = (name: string) => `${id}-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;

  // After a failed submit: focus the first invalid field in document order, else the alert.
  useEffect(() => {
    if (!focusTick) return;
    const invalid = document.querySelector<HTMLElement>(`[id^="${CSS.escape(id)}-"][aria-invalid="true"]`);
    const alert = document.getElementById(`${id}-alert`);
    (invalid ?? alert)?.focus();
  }, [focusTick]);

  const api: FormApi<V> = {
    id,
    values,
    set(name, value) {
      setValuesState((v) => ({ ...v, [name]: value }));
      setErrors((e) => {
        if (!(name as string in e)) return e;
        const { [name as string]: _removed, ...rest } = e;
        return rest;
      });
    },
    setValues(patch) {
      setValuesState((v) => ({ ...v, ...patch }));
    },
    errors,
    error: (name) => errors[name],
    problem,
    unmatched,
    busy,
    succeeded,
    async submit(e) {
      e?.preventDefault();
      if (busyRef.current) return;
      const current = valuesRef.current;
      const clientErrors: Errors = {};
      for (const [k, m] of Object.entries(optsRef.current.validate?.(current) ?? {})) if (m) clientErrors[k] = m;
      if (Object.keys(clientErrors).length) {
        setErrors(clientErrors);
        setUnmatched([]);
        setProblem(
          new ApiProblem({ status: 400, code: 'validation_failed', title: 'Please correct the highlighted fields.' }),
        );
        setSucceeded(false);
        setFocusTick((t) => t + 1);
        return;
      }
      busyRef.current = true;
      setBusy(true);
      setProblem(null);
      setErrors({});
      setUnmatched([]);
      setSucceeded(false);
      try {
        await optsRef.current.onSubmit(current);
        setSucceeded(true);
      } catch (err) {
        const p = toProblem(err);
        const aliases = optsRef.current.fieldAliases ?? {};
        const mapped: Errors = {};
        const rest: { field: string; message: string }[] = [];
        for (const [key, message] of Object.entries(p.fieldErrors)) {
          const name = aliases[key] ?? key;
          if (fields.current.has(name)) mapped[name] = message;
          else rest.push({ field: key, message });
        }
        setErrors(mapped);
        setUnmatched(rest);
        setProblem(p);
        setFocusTick((t) => t + 1);
      } finally {
        busyRef.current = false;
        setBusy(false);
      }
    },
    reset(next) {
      setValuesState(next ?? optsRef.current.initial);
      setErrors({});
      setProblem(null);
      setUnmatched([]);
      setSucceeded(false);
    },
    bind(name) {
      fields.current.add(name);
      const v = values[name];
      return {
        id: controlId(name),
        name,
        value: v === null || v === undefined ? '' : String(v),
        onInput: (e) => api.set(name, e.currentTarget.value as V[typeof name]),
      };
    },
    register(name) {
      fields.current.add(name);
    },
    controlId,
  };
  return api;
}

/** `<form>` wired to useForm(): no native validation bubbles, the alert on top. */
export function Form<V extends Values>(
  props: { form: FormApi<V>; children: ComponentChildren; class?: string; id?: string; 'aria-label'?: string; 'aria-labelledby'?: string },
) {
  const { form, children, ...rest } = props;
  return (
    <form {...rest} noValidate onSubmit={(e) => void form.submit(e)} aria-busy={form.busy ? 'true' : undefined}>
      <FormAlert form={form} />
      {children}
    </form>
  );
}

/** The form-level alert: the problem's detail, plus errors for fields the form does not show. */
export function FormAlert<V extends Values>({ form }: { form: FormApi<V> }) {
  const p = form.problem;
  if (!p) return null;
  const hasFieldErrors = Object.keys(form.errors).length > 0;
  return (
    <div id={`${form.id}-alert`} class="alert alert-error" role="alert" tabIndex={-1}>
      <p>
        <strong>{hasFieldErrors && p.code === 'validation_failed' ? 'Please correct the highlighted fields.' : p.title}</strong>
      </p>
      {p.detail && p.detail !== p.title ? <p>{p.detail}</p> : null}
      {form.unmatched.length ? (
        <ul>
          {form.unmatched.map((u) => (
            <li key={u.field}>
              {u.field ? <code>{u.field}</code> : null} {u.message}
            </li>
          ))}
        </ul>
      ) : null}
      {p.requestId && p.status >= 500 ? <p class="muted small">Reference: {p.requestId}</p> : null}
    </div>
  );
}

/** Attributes a control needs from its {@link Field}. */
export interface ControlAttrs {
  id: string;
  name: string;
  'aria-invalid': 'true' | undefined;
  'aria-describedby': string | undefined;
  'aria-required': 'true' | undefined;
}

/**
 * The layout of one labelled control: `<label for>`, hint, error text and the ARIA that
 * ties them to the control. Use it directly for custom controls:
 *
 *   <Field label="Amount" name="amount" error={err} hint="In rand">
 *     {(a) => <input {...a} inputMode="decimal" value={amount} onInput={…} />}
 *   </Field>
 */
export function Field(props: {
  label: ComponentChildren;
  name: string;
  id?: string;
  error?: string;
  hint?: ComponentChildren;
  optional?: boolean;
  required?: boolean;
  class?: string;
  children: (attrs: ControlAttrs) => ComponentChildren;
}) {
  const autoId = useId();
  const id = props.id ?? `${autoId}-${props.name}`;
  const hintId = props.hint ? `${id}-hint` : undefined;
  const errorId = props.error ? `${id}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field${props.error ? ' field-invalid' : ''}${props.class ? ` ${props.class}` : ''}`}>
      <label for={id}>
        {props.label}
        {props.optional ? <span class="optional"> (optional)</span> : null}
      </label>
      {props.hint ? (
        <p id={hintId} class="hint">
          {props.hint}
        </p>
      ) : null}
      {props.children({
        id,
        name: props.name,
        'aria-invalid': props.error ? 'true' : undefined,
        'aria-describedby': describedBy,
        'aria-required': props.required ? 'true' : undefined,
      })}
      {props.error ? (
        <p id={errorId} class="field-error">
          <span aria-hidden="true">⚠ </span>
          {props.error}
        </p>
      ) : null}
    </div>
  );
}

type BoundProps<V extends Values> = {
  form: FormApi<V>;
  name: keyof V & string;
  label: ComponentChildren;
  hint?: ComponentChildren;
  optional?: boolean;
  required?: boolean;
  class?: string;
};

/** Extra attributes for a bound text-like input. */
export interface InputExtras {
  type?: 'text' | 'email' | 'password' | 'tel' | 'url' | 'number' | 'search' | 'date' | 'datetime-local' | 'time' | 'month';
  autoComplete?: string;
  inputMode?: 'text' | 'email' | 'tel' | 'url' | 'numeric' | 'decimal' | 'search' | 'none';
  placeholder?: string;
  maxLength?: number;
  minLength?: number;
  min?: string | number;
  max?: string | number;
  step?: string | number;
  pattern?: string;
  readOnly?: boolean;
  disabled?: boolean;
  autoFocus?: boolean;
  spellcheck?: boolean;
  list?: string;
}

/** A text-like `<input>` bound to a form field. Extra props go to the input. */
export function TextField<V extends Values>(
  props: BoundProps<V> & InputExtras,
) {
  const { form, name, label, hint, optional, required, class: cls, ...input } = props;
  const b = form.bind(name);
  return (
    <Field label={label} name={name} id={b.id} error={form.error(name)} hint={hint} optional={optional} required={required} class={cls}>
      {(a) =>
        // The input's type is a union here, which Preact's per-type attribute typing cannot express in JSX.
        h('input', { ...input, type: input.type ?? 'text', ...a, value: b.value, onInput: b.onInput, required } as unknown as InputHTMLAttributes)
      }
    </Field>
  );
}

/** A `<textarea>` bound to a form field. */
export function TextAreaField<V extends Values>(
  props: BoundProps<V> & { rows?: number; maxLength?: number; placeholder?: string; readOnly?: boolean; disabled?: boolean },
) {
  const { form, name, label, hint, optional, required, class: cls, ...input } = props;
  const b = form.bind(name);
  return (
    <Field label={label} name={name} id={b.id} error={form.error(name)} hint={hint} optional={optional} required={required} class={cls}>
      {(a) => <textarea rows={4} {...input} {...a} value={b.value} onInput={b.onInput} required={required} />}
    </Field>
  );
}

export interface Option {
  value: string;
  label: string;
}

/** A `<select>` bound to a form field; `placeholder` adds an empty first option. */
export function SelectField<V extends Values>(
  props: BoundProps<V> & {
    options: readonly Option[];
    placeholder?: string;
    disabled?: boolean;
    autoComplete?: string;
  },
) {
  const { form, name, label, hint, optional, required, class: cls, options, placeholder, ...select } = props;
  const b = form.bind(name);
  return (
    <Field label={label} name={name} id={b.id} error={form.error(name)} hint={hint} optional={optional} required={required} class={cls}>
      {(a) => (
        <select {...select} {...a} value={b.value} onInput={b.onInput} required={required}>
          {placeholder !== undefined ? <option value="">{placeholder}</option> : null}
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** A checkbox bound to a boolean form field; the label follows the box. */
export function CheckboxField<V extends Values>(props: BoundProps<V>) {
  const { form, name, label, hint } = props;
  form.register(name);
  const id = form.controlId(name);
  const error = form.error(name);
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  return (
    <div class={`field field-check${error ? ' field-invalid' : ''}`}>
      <input
        type="checkbox"
        id={id}
        name={name}
        checked={!!form.values[name]}
        onChange={(e) => form.set(name, e.currentTarget.checked as V[typeof name])}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={[errorId, hintId].filter(Boolean).join(' ') || undefined}
        aria-required={props.required ? 'true' : undefined}
      />
      <label for={id}>{label}</label>
      {hint ? (
        <p id={hintId} class="hint">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={errorId} class="field-error">
          <span aria-hidden="true">⚠ </span>
          {error}
        </p>
      ) : null}
    </div>
  );
}

/**
 * A radio group (fieldset + legend) bound to a string form field. `inline` lays the
 * options out in a row (scales such as 0–10); `describe` adds text under the group.
 */
export function RadioGroupField<V extends Values>(
  props: BoundProps<V> & { options: readonly Option[]; inline?: boolean; describe?: ComponentChildren },
) {
  const { form, name, label, hint, options } = props;
  form.register(name);
  const base = form.controlId(name);
  const error = form.error(name);
  const hintId = hint ? `${base}-hint` : undefined;
  const errorId = error ? `${base}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(' ') || undefined;
  const value = String(form.values[name] ?? '');
  return (
    <fieldset class={`field radio-group${props.inline ? ' radio-inline' : ''}${error ? ' field-invalid' : ''}`}>
      <legend>
        {label}
        {props.optional ? <span class="optional"> (optional)</span> : null}
      </legend>
      {hint ? (
        <p id={hintId} class="hint">
          {hint}
        </p>
      ) : null}
      <div class="radio-options">
        {options.map((o, i) => (
          <label key={o.value} class="radio">
            <input
              type="radio"
              id={i === 0 ? base : `${base}-${i}`}
              name={name}
              value={o.value}
              checked={value === o.value}
              onChange={() => form.set(name, o.value as V[typeof name])}
              aria-invalid={error ? 'true' : undefined}
              aria-describedby={describedBy}
            />
            <span>{o.label}</span>
          </label>
        ))}
      </div>
      {props.describe}
      {error ? (
        <p id={errorId} class="field-error">
          <span aria-hidden="true">⚠ </span>
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}

/** The submit button: shows a busy state (and ignores clicks) while the form submits. */
export function SubmitButton<V extends Values>(props: {
  form: FormApi<V>;
  children: ComponentChildren;
  busyLabel?: string;
  class?: string;
}) {
  const { form } = props;
  return (
    <button type="submit" class={props.class} aria-disabled={form.busy ? 'true' : undefined} aria-busy={form.busy ? 'true' : undefined}>
      {form.busy ? <span class="spinner spinner-inline" aria-hidden="true" /> : null}
      {form.busy ? (props.busyLabel ?? 'Please wait…') : props.children}
    </button>
  );
}

/** Options from a `{ value: label }` map (static lists matching the API's enums). */
export function optionsOf(map: Record<string, string>): Option[] {
  return Object.entries(map).map(([value, label]) => ({ value, label }));
}

/** Memoised options for lists computed from data. */
export function useOptions<T>(items: readonly T[] | undefined, value: (t: T) => string, label: (t: T) => string): Option[] {
  return useMemo(() => (items ?? []).map((t) => ({ value: value(t), label: label(t) })), [items]);
}
