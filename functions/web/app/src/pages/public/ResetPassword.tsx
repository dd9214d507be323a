import { api, unwrap } from '../../api';
import { Alert, Form, Link, Page, SubmitButton, TextField, useForm, type RouteProps } from '../../ui';
import { PASSWORD_MIN, passwordErrors } from './options';

export default function ResetPassword({ query }: RouteProps) {
  const token = query.get('token') ?? '';
  const form = useForm({
    initial: { password: '', confirm: '' },
    validate: (v) => passwordErrors(v.password, v.confirm),
    onSubmit: (v) => unwrap(api.POST('/v1/auth/password/reset', { body: { token, password: v.password } })),
  });
  if (!token) {
    return (
      <Page title="Choose a new password" narrow>
        <div class="card stack">
          <Alert tone="error">This link is incomplete. Open the link from the email again, or ask for a new one.</Alert>
          <p>
            <Link href="/password/forgot">Ask for a new link</Link>
          </p>
        </div>
      </Page>
    );
  }
  if (form.succeeded) {
    return (
      <Page title="Password changed" narrow>
        <div class="card stack" role="status">
          <p>Your password is changed. For your security, you have been signed out everywhere.</p>
          <p>
            <Link class="button" href="/login">
              Sign in
            </Link>
          </p>
        </div>
      </Page>
    );
  }
  const invalidToken = form.problem?.code === 'invalid_token';
  return (
    <Page title="Choose a new password" narrow>
      <Form form={form} class="card stack">
        <TextField
          form={form}
          name="password"
          label="New password"
          type="password"
          autoComplete="new-password"
          required
          hint={`At least ${PASSWORD_MIN} characters.`}
        />
        <TextField form={form} name="confirm" label="Repeat the new password" type="password" autoComplete="new-password" required />
        <SubmitButton form={form} busyLabel="Saving…">
          Save the new password
        </SubmitButton>
        {invalidToken ? (
          <p>
            <Link href="/password/forgot">Ask for a new link</Link>
          </p>
        ) : null}
      </Form>
    </Page>
  );
}
