import { signIn, useSession } from '../../api';
import { Form, Link, Page, Redirect, SubmitButton, TextField, navigate, safeNext, useForm, type RouteProps } from '../../ui';

export default function Login({ query }: RouteProps) {
  const s = useSession();
  const next = safeNext(query.get('next'));
  const form = useForm({
    initial: { email: '', password: '' },
    validate: (v) => {
      const e: Record<string, string> = {};
      if (!v.email.trim()) e.email = 'Enter your email address.';
      if (!v.password) e.password = 'Enter your password.';
      return e;
    },
    onSubmit: async (v) => {
      await signIn(v.email.trim(), v.password);
      navigate(next, { replace: true });
    },
  });
  if (s.status === 'signed_in' && !form.busy && !form.succeeded) return <Redirect to={next} />;
  return (
    <Page title="Sign in" narrow>
      <Form form={form} class="card stack">
        <TextField form={form} name="email" label="Email" type="email" autoComplete="username" inputMode="email" required />
        <TextField form={form} name="password" label="Password" type="password" autoComplete="current-password" required />
        <SubmitButton form={form} busyLabel="Signing in…">
          Sign in
        </SubmitButton>
        <p>
          <Link href="/password/forgot">Forgot your password?</Link>
        </p>
      </Form>
      <p class="center">
        Not a partner yet? <Link href="/register">Apply to become a partner</Link>
      </p>
    </Page>
  );
}
