import { createStore, useStore } from './store';

/**
 * Results of actions ("Lead saved", "Could not delete") shown as toasts and announced in a
 * live region. Call from anywhere:
 *
 *   toast.success('Invitation sent');  toast.error(problem.detail);
 *
 * <ToastRegion /> is rendered once by the layouts.
 */
export interface ToastItem {
  id: number;
  tone: 'success' | 'error' | 'info';
  message: string;
}

const toasts = createStore<ToastItem[]>([]);
let nextId = 1;

function push(tone: ToastItem['tone'], message: string, ms = 6000): void {
  const id = nextId++;
  toasts.set((list) => [...list.slice(-3), { id, tone, message }]);
  // Errors stay until dismissed; others fade after `ms`.
  if (tone !== 'error') setTimeout(() => dismiss(id), ms);
}

export function dismiss(id: number): void {
  toasts.set((list) => list.filter((t) => t.id !== id));
}

export const toast = {
  success: (message: string) => push('success', message),
  info: (message: string) => push('info', message),
  error: (message: string) => push('error', message),
};

export function ToastRegion() {
  const list = useStore(toasts);
  return (
    <div class="toasts">
      {/* Polite for results, assertive for failures: both regions exist before content is added. */}
      <div role="status" aria-live="polite" class="toast-stack">
        {list
          .filter((t) => t.tone !== 'error')
          .map((t) => (
            <ToastView key={t.id} item={t} />
          ))}
      </div>
      <div role="alert" aria-live="assertive" class="toast-stack">
        {list
          .filter((t) => t.tone === 'error')
          .map((t) => (
            <ToastView key={t.id} item={t} />
          ))}
      </div>
    </div>
  );
}

function ToastView({ item }: { item: ToastItem }) {
  return (
    <div class={`toast toast-${item.tone}`}>
      <span class="toast-symbol" aria-hidden="true">
        {item.tone === 'success' ? '✓' : item.tone === 'error' ? '✕' : 'i'}
      </span>
      <span class="toast-message">{item.message}</span>
      <button type="button" class="icon-button" onClick={() => dismiss(item.id)} aria-label="Dismiss message">
        <span aria-hidden="true">×</span>
      </button>
    </div>
  );
}
