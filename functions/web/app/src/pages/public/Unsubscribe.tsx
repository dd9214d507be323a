import { useState } from 'preact/hooks';
import { api, toProblem, unwrap, type ApiProblem } from '../../api';
import { Alert, Link, Page, type RouteProps } from '../../ui';

const KINDS: Record<string, string> = {
  surveys: 'customer satisfaction surveys',
  weekly_summary: 'the weekly summary',
  follow_up_reminders: 'follow-up reminders',
  lead_status_changes: 'lead status updates',
  commission_updates: 'commission updates',
};

/** One-click unsubscribe: nothing happens until the button is pressed (mail scanners open links). */
export default function Unsubscribe({ params }: RouteProps) {
  const token = params.token ?? '';
  const [state, setState] = useState<'idle' | 'busy' | 'done'>('idle');
  const [kind, setKind] = useState('');
  const [error, setError] = useState<ApiProblem | null>(null);

  async function confirm() {
    if (state === 'busy') return;
    setState('busy');
    setError(null);
    try {
      const res = await unwrap(api.POST('/v1/public/unsubscribe/{token}', { params: { path: { token } } }));
      setKind(res.unsubscribed);
      setState('done');
    } catch (e) {
      setError(toProblem(e));
      setState('idle');
    }
  }

  if (state === 'done') {
    return (
      <Page title="You are unsubscribed" narrow>
        <div class="card stack" role="status">
          <p>
            You will no longer receive <strong>{KINDS[kind] ?? kind}</strong> emails. Messages about your account
            (invitations, password resets, decisions) are still sent.
          </p>
          <p>
            You can turn emails back on at any time in <Link href="/app/settings/notifications">your notification settings</Link>.
          </p>
        </div>
      </Page>
    );
  }

  if (error && (error.status === 404 || error.status === 410)) {
    return (
      <Page title={error.status === 410 ? 'This link has expired' : 'This link is not valid'} narrow>
        <div class="card stack">
          <Alert tone="error">
            {error.status === 410
              ? 'This unsubscribe link has expired.'
              : 'This unsubscribe link is not valid. It may have been copied incompletely.'}
          </Alert>
          <p>
            You can still choose which emails you receive in <Link href="/app/settings/notifications">your notification settings</Link>{' '}
            (sign-in required).
          </p>
        </div>
      </Page>
    );
  }

  return (
    <Page title="Unsubscribe" narrow>
      <div class="card stack">
        <p>Stop receiving this kind of email? Confirm below.</p>
        {error ? (
          <Alert tone="error" live>
            {error.detail}
          </Alert>
        ) : null}
        <p>
          <button type="button" onClick={confirm} aria-disabled={state === 'busy' ? 'true' : undefined}>
            {state === 'busy' ? 'Unsubscribing…' : 'Unsubscribe'}
          </button>
        </p>
        <p class="muted">
          Or manage all your email preferences in <Link href="/app/settings/notifications">your notification settings</Link>.
        </p>
      </div>
    </Page>
  );
}
