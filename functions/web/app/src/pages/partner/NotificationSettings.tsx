import { api, unwrap, type Schemas } from '../../api';
import { AsyncState, CheckboxField, Form, Page, SubmitButton, toast, useAsync, useForm } from '../../ui';

type Prefs = Schemas['NotificationPreferences'];

const LABELS: { name: keyof Prefs; label: string; hint: string }[] = [
  { name: 'weekly_summary', label: 'Weekly summary', hint: 'Every Monday: leads, conversions, score and commissions of the past week.' },
  { name: 'follow_up_reminders', label: 'Follow-up reminders', hint: 'A daily digest of follow-ups due today and overdue.' },
  { name: 'lead_status_changes', label: 'Lead updates', hint: 'Leads assigned to you, won, lost or converted.' },
  { name: 'commission_updates', label: 'Commission updates', hint: 'When a commission is approved, held or paid.' },
];

function PrefsForm({ prefs, onSaved }: { prefs: Prefs; onSaved: (p: Prefs) => void }) {
  const form = useForm({
    initial: prefs,
    onSubmit: async (v) => {
      const saved = await unwrap(api.PUT('/v1/me/notifications', { body: v }));
      onSaved(saved);
      toast.success('Your email preferences are saved.');
    },
  });
  return (
    <Form form={form} class="card stack">
      <fieldset class="group">
        <legend>Emails I receive</legend>
        {LABELS.map((l) => (
          <CheckboxField key={l.name} form={form} name={l.name} label={l.label} hint={l.hint} />
        ))}
      </fieldset>
      <p class="muted small">Messages about your account (invitations, password resets, decisions, statements) are always sent.</p>
      <SubmitButton form={form} busyLabel="Saving…">
        Save preferences
      </SubmitButton>
    </Form>
  );
}

export default function NotificationSettings() {
  const prefs = useAsync(() => unwrap(api.GET('/v1/me/notifications')), []);
  return (
    <Page title="Email notifications" narrow>
      <AsyncState state={prefs} loadingLabel="Loading your preferences…">
        {(p) => <PrefsForm prefs={p} onSaved={prefs.setData} />}
      </AsyncState>
    </Page>
  );
}
