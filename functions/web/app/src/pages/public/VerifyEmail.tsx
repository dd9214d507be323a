import { useState } from 'preact/hooks';
import { api, toProblem, unwrap, useSession, type ApiProblem } from '../../api';
import { Alert, AsyncState, Link, Page, loginPath, useAsync, type RouteProps } from '../../ui';

function Resend() {
  const s = useSession();
  const [state, setState] = useState<'idle' | 'busy' | 'sent'>('idle');
  const [error, setError] = useState<ApiProblem | null>(null);
  if (s.status !== 'signed_in') {
    return (
      <p>
        <Link href={loginPath('/verify-email')}>Sign in to get a new link</Link>
      </p>
    );
  }
  if (state === 'sent') {
    return (
      <Alert tone="success" live>
        We have sent a new link to {s.me.user.email}. It may take a few minutes to arrive.
      </Alert>
    );
  }
  return (
    <div class="stack">
      {error ? (
        <Alert tone="error" live>
          {error.detail}
        </Alert>
      ) : null}
      <p>
        <button
          type="button"
          aria-disabled={state === 'busy' ? 'true' : undefined}
          onClick={async () => {
            if (state === 'busy') return;
            setState('busy');
            setError(null);
            try {
              await unwrap(api.POST('/v1/auth/email/resend'));
              setState('sent');
            } catch (e) {
              setError(toProblem(e));
              setState('idle');
            }
          }}
        >
          {state === 'busy' ? 'Sending…' : 'Send me a new link'}
        </button>
      </p>
    </div>
  );
}

export default function VerifyEmail({ query }: RouteProps) {
  const token = query.get('token') ?? '';
  const s = useSession();
  const result = useAsync(async () => {
    if (!token) return 'no_token' as const;
    await unwrap(api.POST('/v1/auth/email/verify', { body: { token } }));
    return 'verified' as const;
  }, [token]);

  if (result.error && !result.loading) {
    const invalid = result.error.status === 400;
    return (
      <Page title="Email not verified" narrow>
        <div class="card stack">
          <Alert tone="error">
            {invalid ? 'This verification link is invalid, has expired or was already used.' : result.error.detail}
          </Alert>
          {!invalid ? (
            <p>
              <button type="button" class="secondary" onClick={result.reload}>
                Try again
              </button>
            </p>
          ) : null}
          <p>If your address is not verified yet, ask for a new link:</p>
          <Resend />
        </div>
      </Page>
    );
  }

  return (
    <AsyncState state={result} loadingLabel="Verifying your email address…">
      {(r) =>
        r === 'no_token' ? (
          <Page title="Verify your email" narrow>
            <div class="card stack">
              <p>Open the link in the email we sent you when you applied. If it has expired, ask for a new one:</p>
              <Resend />
            </div>
          </Page>
        ) : (
          <Page title="Email verified" narrow>
            <div class="card stack" role="status">
              <p>Thank you: your email address is confirmed.</p>
              <p>
                {s.status === 'signed_in' ? (
                  <Link class="button" href="/app">
                    Continue to the portal
                  </Link>
                ) : (
                  <Link class="button" href="/login">
                    Sign in
                  </Link>
                )}
              </p>
            </div>
          </Page>
        )
      }
    </AsyncState>
  );
}
