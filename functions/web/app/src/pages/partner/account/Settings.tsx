import { useRef, useState } from 'preact/hooks';
import { api, can, toProblem, unwrap, useMe, type ApiProblem } from '../../../api';
import {
  AsyncState,
  ConfirmDialog,
  Link,
  Page,
  toast,
  useAsync,
} from '../../../ui';
import './account.css';

function CalendarFeed() {
  const feed = useAsync(() => unwrap(api.GET('/v1/me/calendar')), []);
  const [confirming, setConfirming] = useState(false);
  const [revoking, setRevoking] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const input = useRef<HTMLInputElement>(null);

  const copy = async (url: string) => {
    try {
      await navigator.clipboard.writeText(url);
    } catch {
      // No clipboard access (insecure context, permission): select the text for a manual copy.
      input.current?.focus();
      input.current?.select();
      const ok = document.execCommand?.('copy');
      if (!ok) {
        toast.info('Press Ctrl+C (or ⌘+C) to copy the selected link.');
        return;
      }
    }
    toast.success('The calendar link is copied.');
  };

  const revoke = async () => {
    if (revoking) return;
    setRevoking(true);
    setProblem(null);
    try {
      await unwrap(api.DELETE('/v1/me/calendar'));
      const next = await unwrap(api.GET('/v1/me/calendar'));
      feed.setData(next);
      setConfirming(false);
      toast.success('The old link is revoked. Calendars need the new link to keep showing your follow-ups.');
    } catch (e) {
      setProblem(toProblem(e));
    } finally {
      setRevoking(false);
    }
  };

  return (
    <section class="card stack" aria-labelledby="calendar-h">
      <h2 id="calendar-h">Calendar feed</h2>
      <p>
        Subscribe to this link in your calendar app (Google Calendar, Outlook, Apple Calendar) to see your lead
        follow-ups there. Anyone with the link can read the feed: keep it private, and revoke it if it was shared.
      </p>
      <AsyncState state={feed} loadingLabel="Loading your calendar link…">
        {(f) => (
          <div class="stack">
            <div class="field">
              <label for="calendar-url">Calendar feed URL</label>
              <div class="account-copy">
                <input
                  id="calendar-url"
                  ref={input}
                  type="text"
                  readOnly
                  value={f.url}
                  spellcheck={false}
                  onFocus={(e) => e.currentTarget.select()}
                />
                <button type="button" class="secondary" onClick={() => void copy(f.url)}>
                  Copy
                </button>
              </div>
            </div>
            <div class="button-row">
              <button type="button" class="danger" onClick={() => setConfirming(true)}>
                Revoke link
              </button>
            </div>
          </div>
        )}
      </AsyncState>
      <ConfirmDialog
        open={confirming}
        title="Revoke the calendar link?"
        confirmLabel="Revoke"
        busyLabel="Revoking…"
        danger
        busy={revoking}
        error={problem}
        errorTitle="The link was not revoked"
        onConfirm={() => void revoke()}
        onClose={() => setConfirming(false)}
      >
        <p>
          Calendars subscribed to the current link stop getting updates. A new link is made at once; add it to your
          calendar app again.
        </p>
      </ConfirmDialog>
    </section>
  );
}

export default function Settings() {
  const me = useMe();
  return (
    <Page title="Settings" lead="Your emails and your calendar.">
      <div class="stack">
        <section class="card stack" aria-labelledby="notifications-h">
          <h2 id="notifications-h">Email notifications</h2>
          <p>Choose which summaries, reminders and updates we email you.</p>
          <p>
            <Link href="/app/settings/notifications">Notification settings</Link>
          </p>
        </section>
        {can(me, 'GET /v1/me/calendar') ? (
          <CalendarFeed />
        ) : (
          <section class="card" aria-labelledby="calendar-h">
            <h2 id="calendar-h">Calendar feed</h2>
            <p class="muted">The calendar feed of your follow-ups is available once your partner account is approved.</p>
          </section>
        )}
      </div>
    </Page>
  );
}
