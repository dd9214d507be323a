import { api, unwrap } from '../../api';
import { Form, Link, Page, SubmitButton, TextField, useForm } from '../../ui';

export default function ForgotPassword() {
  const form = useForm({
    initial: { email: '' },
    validate: (v) => (v.email.trim() ? {} : { email: 'Enter your email address.' }),
    onSubmit: (v) => unwrap(api.POST('/v1/auth/password/forgot', { body: { email: v.email.trim() } })),
  });
  if (form.succeeded) {
    return (
      <Page title="Check your email" narrow>
        <div class="card stack" role="status">
          <p>
            If an account uses <strong>{form.values.email.trim()}</strong>, we have emailed it a link to choose a new
            password. The link works for one hour.
          </p>
          <p class="muted">Nothing after a few minutes? Check your spam folder or try again.</p>
          <p>
            <Link href="/login">Back to sign in</Link>
          </p>
        </div>
      </Page>
    );
  }
  return (
    <Page title="Forgot your password?" narrow lead="Enter your email address and we will send you a link to choose a new password.">
      <Form form={form} class="card stack">
        <TextField form={form} name="email" label="Email" type="email" autoComplete="username" inputMode="email" required />
        <SubmitButton form={form} busyLabel="Sending…">
          Send the link
        </SubmitButton>
        <p>
          <Link href="/login">Back to sign in</Link>
        </p>
      </Form>
    </Page>
  );
}
