import { signInWithInvitation } from '../../api/session';
import { Alert, Form, Link, Page, SubmitButton, TextField, navigate, useForm, type RouteProps } from '../../ui';
import { PASSWORD_MIN, passwordErrors } from './options';

export default function AcceptInvitation({ query }: RouteProps) {
  const token = query.get('token') ?? '';
  const form = useForm({
    initial: { first_name: '', last_name: '', password: '', confirm: '' },
    validate: (v) => passwordErrors(v.password, v.confirm),
    onSubmit: async (v) => {
      await signInWithInvitation({
        token,
        password: v.password,
        first_name: v.first_name.trim() || null,
        last_name: v.last_name.trim() || null,
      });
      navigate('/app', { replace: true });
    },
  });
  if (!token) {
    return (
      <Page title="Accept your invitation" narrow>
        <Alert tone="error">This invitation link is incomplete. Open the link from the email again.</Alert>
      </Page>
    );
  }
  return (
    <Page title="Accept your invitation" narrow lead="Choose a password to activate your account.">
      <Form form={form} class="card stack">
        <div class="grid-2">
          <TextField form={form} name="first_name" label="First name" autoComplete="given-name" optional />
          <TextField form={form} name="last_name" label="Last name" autoComplete="family-name" optional />
        </div>
        <TextField
          form={form}
          name="password"
          label="Password"
          type="password"
          autoComplete="new-password"
          required
          hint={`At least ${PASSWORD_MIN} characters.`}
        />
        <TextField form={form} name="confirm" label="Repeat the password" type="password" autoComplete="new-password" required />
        <SubmitButton form={form} busyLabel="Activating…">
          Activate my account
        </SubmitButton>
        {form.problem?.code === 'invalid_token' ? (
          <p>
            This link can no longer be used. Ask the person who invited you for a new invitation, or{' '}
            <Link href="/login">sign in</Link> if you already activated your account.
          </p>
        ) : null}
      </Form>
    </Page>
  );
}
