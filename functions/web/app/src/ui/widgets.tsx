import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { ErrorState } from './async';

/* ---------------------------------------------------------------- StatusBadge */

export type Tone = 'neutral' | 'info' | 'success' | 'warning' | 'danger';

/** Tone per known status value (lead, partner, KYC, commission, payout, export, task...). */
const TONES: Record<string, Tone> = {
  approved: 'success', verified: 'success', won: 'success', converted: 'success', paid: 'success', ready: 'success',
  published: 'success', done: 'success', active: 'success', synced: 'success', ok: 'success',
  pending: 'warning', under_review: 'info', submitted: 'info', processing: 'info', running: 'info', queued: 'info',
  uploading: 'info', in_progress: 'info', contacted: 'info', qualified: 'info', proposal: 'info', invited: 'info',
  held: 'warning', incomplete: 'warning', overdue: 'warning', draft: 'neutral', todo: 'neutral', new: 'neutral',
  rejected: 'danger', suspended: 'danger', failed: 'danger', lost: 'danger', cancelled: 'neutral',
  archived: 'neutral', deactivated: 'neutral', error: 'danger',
};

const SYMBOL: Record<Tone, string> = { neutral: '•', info: '◔', success: '✓', warning: '!', danger: '✕' };

/** `under_review` → `Under review` */
export function humanize(value: string): string {
  const s = value.replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * A status pill: the text is always shown (never colour alone) with a symbol;
 * the tone is picked from the status unless given.
 *
 *   <StatusBadge status={lead.status} />  <StatusBadge status="held" label="On hold" tone="warning" />
 */
export function StatusBadge({ status, label, tone }: { status: string; label?: string; tone?: Tone }) {
  const t = tone ?? TONES[status] ?? 'neutral';
  return (
    <span class={`badge badge-${t}`}>
      <span class="badge-symbol" aria-hidden="true">
        {SYMBOL[t]}
      </span>
      {label ?? humanize(status)}
    </span>
  );
}

/* ---------------------------------------------------------------- Alert */

/** A static message box. Use `role="alert"` only for messages that appear as a result of an action. */
export function Alert(props: { tone?: 'info' | 'success' | 'warning' | 'error'; title?: string; children?: ComponentChildren; live?: boolean }) {
  return (
    <div class={`alert alert-${props.tone ?? 'info'}`} role={props.live ? (props.tone === 'error' ? 'alert' : 'status') : undefined}>
      {props.title ? (
        <p>
          <strong>{props.title}</strong>
        </p>
      ) : null}
      {props.children}
    </div>
  );
}

/* ---------------------------------------------------------------- Tabs */

export interface Tab {
  id: string;
  label: ComponentChildren;
  content: () => ComponentChildren;
}

/**
 * Accessible tabs (WAI-ARIA tabs pattern): role=tablist, arrow keys / Home / End move
 * between tabs, only the selected tab is in the tab order. Controlled (`selected` +
 * `onSelect`, e.g. kept in the query string) or uncontrolled.
 *
 *   <Tabs label="Lead details" tabs={[{ id: 'activity', label: 'Activity', content: () => <Activity /> }, …]} />
 */
export function Tabs(props: { label: string; tabs: Tab[]; selected?: string; onSelect?: (id: string) => void }) {
  const base = useId();
  const [own, setOwn] = useState(props.tabs[0]?.id ?? '');
  const selected = props.selected ?? own;
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  const select = (id: string) => {
    setOwn(id);
    props.onSelect?.(id);
  };
  const onKeyDown = (e: KeyboardEvent, i: number) => {
    const n = props.tabs.length;
    let j = -1;
    if (e.key === 'ArrowRight') j = (i + 1) % n;
    else if (e.key === 'ArrowLeft') j = (i - 1 + n) % n;
    else if (e.key === 'Home') j = 0;
    else if (e.key === 'End') j = n - 1;
    if (j < 0) return;
    e.preventDefault();
    const tab = props.tabs[j];
    if (!tab) return;
    select(tab.id);
    refs.current[j]?.focus();
  };
  const current = props.tabs.find((t) => t.id === selected) ?? props.tabs[0];
  return (
    <div class="tabs">
      <div role="tablist" aria-label={props.label} class="tablist">
        {props.tabs.map((t, i) => (
          <button
            key={t.id}
            ref={(el) => {
              refs.current[i] = el;
            }}
            type="button"
            role="tab"
            id={`${base}-tab-${t.id}`}
            aria-selected={t.id === current?.id ? 'true' : 'false'}
            aria-controls={`${base}-panel-${t.id}`}
            tabIndex={t.id === current?.id ? 0 : -1}
            onClick={() => select(t.id)}
            onKeyDown={(e) => onKeyDown(e, i)}
          >
            {t.label}
          </button>
        ))}
      </div>
      {current ? (
        <div role="tabpanel" id={`${base}-panel-${current.id}`} aria-labelledby={`${base}-tab-${current.id}`} tabIndex={0} class="tabpanel">
          {current.content()}
        </div>
      ) : null}
    </div>
  );
}

/* ---------------------------------------------------------------- Dialog */

/**
 * A modal dialog on the native `<dialog>` (focus trap, Escape, inert background for
 * free). Focus returns to what had it before opening.
 *
 *   <Dialog open={open} title="Reject document" onClose={() => setOpen(false)}
 *     footer={<><button onClick={reject}>Reject</button><button class="secondary" onClick={close}>Cancel</button></>}>
 *     …form…
 *   </Dialog>
 */
export function Dialog(props: {
  open: boolean;
  title: string;
  onClose: () => void;
  children?: ComponentChildren;
  footer?: ComponentChildren;
  /** Text for the close button (shown as ×). */
  closeLabel?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const returnTo = useRef<HTMLElement | null>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) {
      returnTo.current = document.activeElement as HTMLElement | null;
      d.showModal();
    } else if (!props.open && d.open) {
      d.close();
    }
  }, [props.open]);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    const onClose = () => {
      returnTo.current?.focus?.();
      returnTo.current = null;
    };
    d.addEventListener('close', onClose);
    return () => d.removeEventListener('close', onClose);
  }, []);
  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
    >
      {props.open ? (
        <>
          <div class="dialog-head">
            <h2 id={titleId}>{props.title}</h2>
            <button type="button" class="icon-button" onClick={props.onClose} aria-label={props.closeLabel ?? 'Close'}>
              <span aria-hidden="true">×</span>
            </button>
          </div>
          <div class="dialog-body">{props.children}</div>
          {props.footer ? <div class="dialog-foot button-row">{props.footer}</div> : null}
        </>
      ) : null}
    </dialog>
  );
}

/**
 * A dialog that asks to confirm one action: its button (busy and disabled while the action
 * runs), Cancel, and the action's failure (the problem's detail) above the question.
 *
 *   <ConfirmDialog open={!!deleting} title="Delete task" confirmLabel="Delete task" busyLabel="Deleting…"
 *     danger busy={busy} error={error} errorTitle="The task was not deleted" onConfirm={remove} onClose={close}>
 *     <p>Delete “{deleting?.title}”? This cannot be undone.</p>
 *   </ConfirmDialog>
 */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  confirmLabel: string;
  busyLabel: string;
  busy: boolean;
  danger?: boolean;
  error?: unknown;
  errorTitle?: string;
  onConfirm: () => void;
  onClose: () => void;
  children?: ComponentChildren;
}) {
  const close = () => !props.busy && props.onClose();
  return (
    <Dialog
      open={props.open}
      title={props.title}
      onClose={close}
      footer={
        <>
          <button
            type="button"
            class={props.danger ? 'danger' : undefined}
            aria-busy={props.busy ? 'true' : undefined}
            disabled={props.busy}
            onClick={props.onConfirm}
          >
            {props.busy ? <span class="spinner spinner-inline" aria-hidden="true" /> : null}
            {props.busy ? props.busyLabel : props.confirmLabel}
          </button>
          <button type="button" class="secondary" onClick={close}>
            Cancel
          </button>
        </>
      }
    >
      {props.error ? <ErrorState error={props.error} title={props.errorTitle} /> : null}
      {props.children}
    </Dialog>
  );
}

/* ---------------------------------------------------------------- ProgressBar */

/**
 * Progress of an upload or a long action: a native `<progress>` with a visible label and
 * percentage. Leave `value` undefined for an indeterminate bar.
 */
export function ProgressBar({ value, max = 1, label }: { value?: number; max?: number; label: string }) {
  const id = useId();
  const pct = value === undefined ? undefined : Math.round((Math.min(value, max) / max) * 100);
  return (
    <div class="progress">
      <div class="progress-label">
        <span id={id}>{label}</span>
        {pct !== undefined ? <span aria-hidden="true">{pct}%</span> : null}
      </div>
      <progress aria-labelledby={id} max={max} value={value} />
    </div>
  );
}
