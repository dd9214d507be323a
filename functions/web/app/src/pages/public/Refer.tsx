import { useState } from 'preact/hooks';
import { api, unwrap } from '../../api';
import { Alert, CheckboxField, Form, Page, SelectField, SubmitButton, TextAreaField, TextField, useForm, type RouteProps } from '../../ui';
import { EMAIL_RE, SERVICE_AREAS } from './options';

const initial = {
  first_name: '',
  last_name: '',
  email: '',
  phone: '',
  company: '',
  website: '',
  address: '',
  service_interest: '',
  notes: '',
  consent: false,
  website_url: '',
};
type Values = typeof initial;

function validate(v: Values): Record<string, string> {
  const e: Record<string, string> = {};
  if (!v.first_name.trim()) e.first_name = 'Enter your first name.';
  if (!v.last_name.trim()) e.last_name = 'Enter your last name.';
  if (!v.email.trim() && !v.phone.trim()) {
    e.email = 'Enter an email address or a phone number.';
    e.phone = 'Enter a phone number or an email address.';
  } else if (v.email.trim() && !EMAIL_RE.test(v.email.trim())) e.email = 'Enter an email address like name@example.com.';
  if (!v.consent) e.consent = 'Please agree so that we may contact you.';
  return e;
}

const orNull = (s: string) => (s.trim() ? s.trim() : null);

/** The partner's public lead form (`/refer/:slug`). */
export default function Refer({ params }: RouteProps) {
  const slug = params.slug ?? '';
  const [detail, setDetail] = useState('');
  const form = useForm({
    initial,
    validate,
    onSubmit: async (v) => {
      const res = await unwrap(
        api.POST('/v1/public/partners/{slug}/leads', {
          params: { path: { slug } },
          body: {
            first_name: v.first_name.trim(),
            last_name: v.last_name.trim(),
            email: orNull(v.email),
            phone: orNull(v.phone),
            company: orNull(v.company),
            website: orNull(v.website),
            address: orNull(v.address),
            service_interest: orNull(v.service_interest),
            notes: orNull(v.notes),
            consent: true,
            website_url: v.website_url || null,
          },
        }),
      );
      setDetail(res.detail);
    },
  });

  if (form.succeeded) {
    return (
      <Page title="Thank you" narrow>
        <div class="card stack" role="status">
          <p>We have received your details and will be in touch soon.</p>
          {detail ? <p class="muted">{detail}</p> : null}
        </div>
      </Page>
    );
  }
  if (form.problem?.status === 404) {
    return (
      <Page title="Form not found" narrow>
        <Alert tone="error">This form link is not valid. Please check the address you were given.</Alert>
      </Page>
    );
  }
  return (
    <Page title="Get in touch" narrow lead="Tell us how to reach you and what you are interested in; a specialist will contact you.">
      <Form form={form} class="card stack">
        <div class="grid-2">
          <TextField form={form} name="first_name" label="First name" autoComplete="given-name" required />
          <TextField form={form} name="last_name" label="Last name" autoComplete="family-name" required />
          <TextField form={form} name="email" label="Email" type="email" autoComplete="email" inputMode="email" hint="Email or phone is required." />
          <TextField form={form} name="phone" label="Phone" type="tel" autoComplete="tel" />
          <TextField form={form} name="company" label="Company" autoComplete="organization" optional />
          <TextField form={form} name="website" label="Company website" type="url" autoComplete="url" optional />
        </div>
        <TextField form={form} name="address" label="Address" autoComplete="street-address" optional />
        <SelectField form={form} name="service_interest" label="Interested in" options={SERVICE_AREAS} placeholder="Choose…" optional />
        <TextAreaField form={form} name="notes" label="Anything else we should know?" optional maxLength={5000} />
        <div class="honeypot" aria-hidden="true">
          <label>
            Leave this empty
            <input
              type="text"
              name="website_url"
              tabIndex={-1}
              autoComplete="off"
              value={form.values.website_url}
              onInput={(e) => form.set('website_url', e.currentTarget.value)}
            />
          </label>
        </div>
        <CheckboxField form={form} name="consent" label="I agree to be contacted about my enquiry and to my details being stored for that purpose." required />
        <SubmitButton form={form} busyLabel="Sending…">
          Send
        </SubmitButton>
      </Form>
    </Page>
  );
}
