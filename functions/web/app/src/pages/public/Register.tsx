import type { components } from '../../api';
import { api, unwrap } from '../../api';
import { Form, Link, Page, SelectField, SubmitButton, TextField, useForm } from '../../ui';
import { BUSINESS_TYPES, EMAIL_RE, PASSWORD_MIN, PROVINCES, passwordErrors } from './options';

type RegisterRequest = components['schemas']['RegisterRequest'];

const initial = {
  business_name: '',
  business_type: '',
  registration_number: '',
  vat_number: '',
  contact_person: '',
  email: '',
  phone: '',
  street_address: '',
  suburb: '',
  city: '',
  province: '',
  postal_code: '',
  country: 'South Africa',
  password: '',
  confirm: '',
};
type Values = typeof initial;

function validate(v: Values): Record<string, string> {
  const e: Record<string, string> = {};
  const required: [keyof Values, string][] = [
    ['business_name', 'Enter the business name.'],
    ['business_type', 'Choose the type of business.'],
    ['contact_person', 'Enter the name of the contact person.'],
    ['email', 'Enter an email address.'],
    ['phone', 'Enter a phone number.'],
    ['street_address', 'Enter the street address.'],
    ['city', 'Enter the city.'],
    ['province', 'Enter the province.'],
    ['postal_code', 'Enter the postal code.'],
    ['country', 'Enter the country.'],
  ];
  for (const [k, msg] of required) if (!v[k].trim()) e[k] = msg;
  if (!e.email && !EMAIL_RE.test(v.email.trim())) e.email = 'Enter an email address like name@example.com.';
  if ((v.business_type === 'company' || v.business_type === 'partnership') && !v.registration_number.trim())
    e.registration_number = 'Companies and partnerships need a registration number.';
  return { ...e, ...passwordErrors(v.password, v.confirm) };
}

const orNull = (s: string) => (s.trim() ? s.trim() : null);

export default function Register() {
  const form = useForm({
    initial,
    validate,
    onSubmit: async (v) => {
      const body: RegisterRequest = {
        business_name: v.business_name.trim(),
        business_type: v.business_type as 'sole_proprietor' | 'company' | 'partnership',
        registration_number: orNull(v.registration_number),
        vat_number: orNull(v.vat_number),
        contact_person: v.contact_person.trim(),
        email: v.email.trim(),
        phone: v.phone.trim(),
        street_address: v.street_address.trim(),
        suburb: orNull(v.suburb),
        city: v.city.trim(),
        province: v.province.trim(),
        postal_code: v.postal_code.trim(),
        country: v.country.trim(),
        password: v.password,
      };
      await unwrap(api.POST('/v1/auth/register', { body }));
    },
  });

  if (form.succeeded) {
    return (
      <Page title="Check your email" narrow>
        <div class="card stack" role="status">
          <p>
            Thank you for applying. We have sent a link to <strong>{form.values.email.trim()}</strong>: open it to
            confirm your email address.
          </p>
          <p>
            Then sign in to complete your profile and upload your documents (KYC). We review applications once they are
            complete.
          </p>
          <p class="muted">No email after a few minutes? Check your spam folder, or sign in and ask for a new link.</p>
          <p>
            <Link class="button" href="/login">
              Go to sign in
            </Link>
          </p>
        </div>
      </Page>
    );
  }

  const southAfrica = /^(south africa|za|rsa)$/i.test(form.values.country.trim());
  const needsRegistration = form.values.business_type === 'company' || form.values.business_type === 'partnership';

  return (
    <Page title="Become a partner" lead="Apply for a partner account. It takes about five minutes; we review every application.">
      <Form form={form} class="card stack form-wide">
        <fieldset class="group">
          <legend>Business</legend>
          <div class="grid-2">
            <TextField form={form} name="business_name" label="Business name" autoComplete="organization" required class="span-2" />
            <SelectField form={form} name="business_type" label="Type of business" options={BUSINESS_TYPES} placeholder="Choose…" required />
            <TextField
              form={form}
              name="registration_number"
              label="Registration number"
              optional={!needsRegistration}
              required={needsRegistration}
              hint={needsRegistration ? 'Required for companies and partnerships.' : undefined}
            />
            <TextField form={form} name="vat_number" label="VAT number" optional />
          </div>
        </fieldset>
        <fieldset class="group">
          <legend>Contact</legend>
          <div class="grid-2">
            <TextField form={form} name="contact_person" label="Contact person" autoComplete="name" required class="span-2" />
            <TextField form={form} name="email" label="Email" type="email" autoComplete="email" inputMode="email" required />
            <TextField form={form} name="phone" label="Phone" type="tel" autoComplete="tel" required hint="For example 082 123 4567 or +27 82 123 4567." />
          </div>
        </fieldset>
        <fieldset class="group">
          <legend>Address</legend>
          <div class="grid-2">
            <TextField form={form} name="street_address" label="Street address" autoComplete="address-line1" required class="span-2" />
            <TextField form={form} name="suburb" label="Suburb" autoComplete="address-line2" optional />
            <TextField form={form} name="city" label="City" autoComplete="address-level2" required />
            {southAfrica ? (
              <SelectField form={form} name="province" label="Province" options={PROVINCES} placeholder="Choose…" required />
            ) : (
              <TextField form={form} name="province" label="Province or state" autoComplete="address-level1" required />
            )}
            <TextField form={form} name="postal_code" label="Postal code" autoComplete="postal-code" required />
            <TextField form={form} name="country" label="Country" autoComplete="country-name" required />
          </div>
        </fieldset>
        <fieldset class="group">
          <legend>Password</legend>
          <div class="grid-2">
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
          </div>
        </fieldset>
        <SubmitButton form={form} busyLabel="Sending your application…">
          Apply
        </SubmitButton>
      </Form>
      <p class="center">
        Already a partner? <Link href="/login">Sign in</Link>
      </p>
    </Page>
  );
}
