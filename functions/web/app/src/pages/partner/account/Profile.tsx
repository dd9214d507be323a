import { Fragment, type ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api, can, toProblem, unwrap, unwrapResponse, useMe, type Schemas, type paths } from '../../../api';
import {
  Alert,
  AsyncState,
  CheckboxField,
  ErrorState,
  Form,
  Loading,
  Page,
  ProgressBar,
  SelectField,
  StatusBadge,
  SubmitButton,
  TextAreaField,
  TextField,
  formatBytes,
  formatDateTime,
  humanize,
  poll,
  toast,
  uploadFile,
  useAsync,
  useForm,
  useUpload,
  type FormApi,
  type Option,
} from '../../../ui';
import './account.css';

type Partner = Schemas['Partner'];
type Options = Schemas['Options'];
type FieldOptions = { provinces: Options; service_areas: Options; bank_account_types: Options; business_types: Options };
type PatchBody = paths['/v1/partner']['patch']['requestBody']['content']['application/json'];
type Loaded = { partner: Partner; etag: string | null };

const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;
type LogoType = (typeof LOGO_TYPES)[number];
const LOGO_MAX_BYTES = 2 * 1024 * 1024;

const FALLBACK_ACCOUNT_TYPES: Option[] = [
  { value: 'cheque', label: 'Cheque' },
  { value: 'savings', label: 'Savings' },
  { value: 'transmission', label: 'Transmission' },
];

function labelOf(options: Options | undefined, value: string | null | undefined): string {
  if (!value) return '—';
  return options?.find((o) => o.value === value)?.label ?? humanize(value);
}

function Details({ items }: { items: [string, ComponentChildren][] }) {
  return (
    <dl class="account-details">
      {items.map(([k, v]) => (
        <Fragment key={k}>
          <dt>{k}</dt>
          <dd>{v === null || v === undefined || v === '' ? '—' : v}</dd>
        </Fragment>
      ))}
    </dl>
  );
}

/* ---------------------------------------------------------------- logo */

function LogoSection({ partner, canUpload, onReloaded }: { partner: Partner; canUpload: boolean; onReloaded: (l: Loaded) => void }) {
  const up = useUpload();
  const [file, setFile] = useState<File | null>(null);
  const [fileError, setFileError] = useState<string | undefined>();
  const [result, setResult] = useState<Partner['logo_upload'] | undefined>();
  const busy = up.phase === 'uploading' || up.phase === 'verifying';

  const start = async (e: Event) => {
    e.preventDefault();
    const formEl = e.currentTarget as HTMLFormElement;
    if (busy) return;
    if (!file) return setFileError('Choose an image file.');
    if (!LOGO_TYPES.includes(file.type as LogoType)) return setFileError('The logo must be a PNG, JPEG or WebP image.');
    if (file.size > LOGO_MAX_BYTES) return setFileError(`The logo may be at most ${formatBytes(LOGO_MAX_BYTES)}.`);
    setFileError(undefined);
    setResult(undefined);
    const loaded = await up.run(async (h) => {
      await uploadFile({
        file,
        onProgress: h.onProgress,
        signal: h.signal,
        request: () => unwrap(api.POST('/v1/partner/logo', { body: { content_type: file.type as LogoType, size: file.size } })),
      });
      h.onVerifying();
      return poll(
        () => unwrapResponse(api.GET('/v1/partner')),
        (r) => r.data.logo_upload?.status !== 'uploading',
        { signal: h.signal },
      );
    });
    if (!loaded) return;
    onReloaded({ partner: loaded.data, etag: loaded.etag });
    setResult(loaded.data.logo_upload);
    if (loaded.data.logo_upload?.status === 'rejected') toast.error('The logo was refused.');
    else toast.success('Your logo is updated.');
    setFile(null);
    formEl.reset();
  };

  const pending = partner.logo_upload;
  return (
    <section class="card stack" aria-labelledby="logo-h">
      <h2 id="logo-h">Logo</h2>
      <div class="account-head">
        {partner.logo_url ? (
          <img class="account-logo" src={partner.logo_url} alt={`${partner.business_name} logo`} />
        ) : (
          <div class="account-logo account-logo-empty">No logo yet</div>
        )}
        {pending?.status === 'uploading' && !busy ? <p class="muted">A new logo is being checked.</p> : null}
      </div>
      {(result ?? pending)?.status === 'rejected' ? (
        <Alert tone="error" title="The last logo was refused" live={!!result}>
          <p>{(result ?? pending)?.rejection_reason ?? 'The file is not a usable image.'}</p>
        </Alert>
      ) : null}
      {canUpload ? (
        <form class="stack" onSubmit={start} aria-label="Upload a logo" aria-busy={busy ? 'true' : undefined}>
          <div class={`field${fileError ? ' field-invalid' : ''}`}>
            <label for="logo-file">Logo file</label>
            <p id="logo-file-hint" class="hint">
              PNG, JPEG or WebP, at most {formatBytes(LOGO_MAX_BYTES)}, between 16 and 4096 pixels a side.
            </p>
            <input
              id="logo-file"
              type="file"
              accept={LOGO_TYPES.join(',')}
              disabled={busy}
              aria-invalid={fileError ? 'true' : undefined}
              aria-describedby={`logo-file-hint${fileError ? ' logo-file-error' : ''}`}
              onChange={(e) => {
                setFile(e.currentTarget.files?.[0] ?? null);
                setFileError(undefined);
              }}
            />
            {fileError ? (
              <p id="logo-file-error" class="field-error">
                <span aria-hidden="true">⚠ </span>
                {fileError}
              </p>
            ) : null}
          </div>
          {up.phase === 'uploading' ? <ProgressBar label="Uploading the logo…" value={up.progress} /> : null}
          {up.phase === 'verifying' ? <ProgressBar label="Checking the image…" /> : null}
          {up.phase === 'error' && up.error ? <ErrorState error={up.error} title="The logo could not be uploaded" /> : null}
          <div class="button-row">
            <button type="submit" aria-busy={busy ? 'true' : undefined} aria-disabled={busy ? 'true' : undefined}>
              {busy ? <span class="spinner spinner-inline" aria-hidden="true" /> : null}
              {busy ? 'Uploading…' : 'Upload logo'}
            </button>
            {busy ? (
              <button type="button" class="secondary" onClick={up.cancel}>
                Cancel upload
              </button>
            ) : null}
          </div>
        </form>
      ) : null}
    </section>
  );
}

/* ---------------------------------------------------------------- profile form */

interface Values {
  [key: string]: unknown;
  contact_person: string;
  email: string;
  phone: string;
  website: string;
  description: string;
  street_address: string;
  suburb: string;
  city: string;
  province: string;
  postal_code: string;
  country: string;
  service_areas: string[];
  regions: string[];
  change_banking: boolean;
  bank_name: string;
  account_holder: string;
  account_number: string;
  account_type: string;
  branch_code: string;
}

const TEXT_FIELDS = [
  'contact_person',
  'email',
  'phone',
  'website',
  'description',
  'street_address',
  'suburb',
  'city',
  'province',
  'postal_code',
  'country',
] as const;

function valuesOf(p: Partner): Values {
  return {
    contact_person: p.contact_person ?? '',
    email: p.email ?? '',
    phone: p.phone ?? '',
    website: p.website ?? '',
    description: p.description ?? '',
    street_address: p.address?.street_address ?? '',
    suburb: p.address?.suburb ?? '',
    city: p.address?.city ?? '',
    province: p.address?.province ?? '',
    postal_code: p.address?.postal_code ?? '',
    country: p.address?.country ?? '',
    service_areas: [...(p.service_areas ?? [])],
    regions: [...(p.regions ?? [])],
    change_banking: false,
    bank_name: '',
    account_holder: '',
    account_number: '',
    account_type: '',
    branch_code: '',
  };
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/** A group of checkboxes bound to a string-array form field. */
function CheckGroup({ form, name, legend, options }: { form: FormApi<Values>; name: 'service_areas' | 'regions'; legend: string; options: Options }) {
  form.register(name);
  const value = form.values[name];
  const error = form.error(name);
  const base = form.controlId(name);
  // Values the profile holds that the option list does not name still show (and can be unticked).
  const all = [...options, ...value.filter((v) => !options.some((o) => o.value === v)).map((v) => ({ value: v, label: humanize(v) }))];
  return (
    <fieldset class={`group${error ? ' field-invalid' : ''}`} aria-describedby={error ? `${base}-error` : undefined}>
      <legend>{legend}</legend>
      <div class="account-checks">
        {all.map((o, i) => (
          <label key={o.value}>
            <input
              type="checkbox"
              id={i === 0 ? base : `${base}-${i}`}
              checked={value.includes(o.value)}
              onChange={(e) => {
                const on = e.currentTarget.checked;
                form.set(name, on ? [...value, o.value] : value.filter((v) => v !== o.value));
              }}
            />
            {o.label}
          </label>
        ))}
      </div>
      {error ? (
        <p id={`${base}-error`} class="field-error">
          <span aria-hidden="true">⚠ </span>
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}

function ProfileForm({
  loaded,
  options,
  isOwner,
  onSaved,
  onReload,
}: {
  loaded: Loaded;
  options: FieldOptions | undefined;
  isOwner: boolean;
  onSaved: (l: Loaded) => void;
  onReload: () => void | Promise<void>;
}) {
  const { partner } = loaded;
  const form = useForm<Values>({
    initial: valuesOf(partner),
    fieldAliases: {
      'address.street_address': 'street_address',
      'address.suburb': 'suburb',
      'address.city': 'city',
      'address.province': 'province',
      'address.postal_code': 'postal_code',
      'address.country': 'country',
      'banking.bank_name': 'bank_name',
      'banking.account_holder': 'account_holder',
      'banking.account_number': 'account_number',
      'banking.account_type': 'account_type',
      'banking.branch_code': 'branch_code',
      banking: 'bank_name',
    },
    validate: (v) => {
      const e: Record<string, string | undefined> = {};
      if (!v.contact_person.trim()) e.contact_person = 'Enter the contact person.';
      if (!v.email.trim()) e.email = 'Enter an email address.';
      if (!v.phone.trim()) e.phone = 'Enter a phone number.';
      if (v.website.trim() && !/^https?:\/\/\S+$/i.test(v.website.trim())) e.website = 'Enter a web address starting with https://.';
      if (v.change_banking) {
        if (!v.bank_name.trim()) e.bank_name = 'Enter the bank name.';
        if (!v.account_holder.trim()) e.account_holder = 'Enter the account holder.';
        if (!v.account_number.trim()) e.account_number = 'Enter the account number.';
        if (!v.account_type) e.account_type = 'Choose the account type.';
        if (!v.branch_code.trim()) e.branch_code = 'Enter the branch code.';
      }
      return e;
    },
    onSubmit: async (v) => {
      const before = valuesOf(partner);
      const body: Record<string, unknown> = {};
      for (const k of TEXT_FIELDS) {
        const now = v[k].trim();
        if (now !== (before[k] as string).trim()) body[k] = now;
      }
      if (!sameSet(v.service_areas, before.service_areas)) body.service_areas = v.service_areas;
      if (!sameSet(v.regions, before.regions)) body.regions = v.regions;
      if (isOwner && v.change_banking) {
        body.banking = {
          bank_name: v.bank_name.trim(),
          account_holder: v.account_holder.trim(),
          account_number: v.account_number.replace(/\s+/g, ''),
          account_type: v.account_type,
          branch_code: v.branch_code.trim(),
        };
      }
      if (Object.keys(body).length === 0) {
        toast.info('Nothing to save: no changes.');
        return;
      }
      const res = await unwrapResponse(
        api.PATCH('/v1/partner', { params: { header: { 'If-Match': loaded.etag ?? '*' } }, body: body as PatchBody }),
      );
      const next = { partner: res.data, etag: res.etag ?? loaded.etag };
      form.reset(valuesOf(res.data));
      onSaved(next);
      toast.success('Your profile is saved.');
    },
  });
  const v = form.values;
  const provinces: Option[] = options?.provinces ?? [];
  return (
    <Form form={form} class="card stack" aria-label="Profile details">
      {form.problem?.status === 412 ? (
        <p>
          <button type="button" class="secondary" onClick={onReload}>
            Reload the profile
          </button>
        </p>
      ) : null}
      <fieldset class="group">
        <legend>Contact</legend>
        <div class="grid-2">
          <TextField form={form} name="contact_person" label="Contact person" autoComplete="name" required />
          <TextField form={form} name="email" label="Email" type="email" autoComplete="email" inputMode="email" required />
          <TextField form={form} name="phone" label="Phone" type="tel" autoComplete="tel" inputMode="tel" required />
          <TextField form={form} name="website" label="Website" type="url" autoComplete="url" inputMode="url" optional placeholder="https://" />
        </div>
        <TextAreaField form={form} name="description" label="Description" optional rows={4} hint="What your business does, shown to our team." />
      </fieldset>
      <fieldset class="group">
        <legend>Address</legend>
        <div class="grid-2">
          <TextField form={form} name="street_address" label="Street address" autoComplete="street-address" class="span-2" required />
          <TextField form={form} name="suburb" label="Suburb" optional />
          <TextField form={form} name="city" label="City" autoComplete="address-level2" required />
          {provinces.length ? (
            <SelectField
              form={form}
              name="province"
              label="Province"
              options={
                v.province && !provinces.some((o) => o.value === v.province)
                  ? [...provinces, { value: v.province, label: humanize(v.province) }]
                  : provinces
              }
              placeholder="Choose a province"
              required
            />
          ) : (
            <TextField form={form} name="province" label="Province" autoComplete="address-level1" required />
          )}
          <TextField form={form} name="postal_code" label="Postal code" autoComplete="postal-code" required />
          <TextField form={form} name="country" label="Country" autoComplete="country-name" required />
        </div>
      </fieldset>
      <CheckGroup form={form} name="service_areas" legend="Service areas" options={options?.service_areas ?? []} />
      <CheckGroup form={form} name="regions" legend="Regions you serve" options={provinces} />
      <fieldset class="group">
        <legend>Banking details</legend>
        {partner.banking ? (
          <Details
            items={[
              ['Bank', partner.banking.bank_name],
              ['Account holder', partner.banking.account_holder],
              ['Account number', partner.banking.account_number],
              ['Account type', labelOf(options?.bank_account_types, partner.banking.account_type)],
              ['Branch code', partner.banking.branch_code],
            ]}
          />
        ) : (
          <p class="muted">No banking details yet.</p>
        )}
        <p class="muted small">Banking details are stored encrypted and only ever shown masked.</p>
        {isOwner ? (
          <>
            <CheckboxField
              form={form}
              name="change_banking"
              label={partner.banking ? 'Replace the banking details' : 'Add banking details'}
            />
            {v.change_banking ? (
              <div class="grid-2">
                <TextField form={form} name="bank_name" label="Bank name" autoComplete="off" required />
                <TextField form={form} name="account_holder" label="Account holder" autoComplete="off" required />
                <TextField form={form} name="account_number" label="Account number" inputMode="numeric" autoComplete="off" required />
                <SelectField
                  form={form}
                  name="account_type"
                  label="Account type"
                  options={options?.bank_account_types?.length ? options.bank_account_types : FALLBACK_ACCOUNT_TYPES}
                  placeholder="Choose the account type"
                  required
                />
                <TextField form={form} name="branch_code" label="Branch code" inputMode="numeric" autoComplete="off" required />
              </div>
            ) : null}
          </>
        ) : (
          <p class="muted small">Only the account owner can change banking details.</p>
        )}
      </fieldset>
      <SubmitButton form={form} busyLabel="Saving…">
        Save
      </SubmitButton>
    </Form>
  );
}

/* ---------------------------------------------------------------- page */

function ReadOnlyProfile({ partner, options }: { partner: Partner; options: FieldOptions | undefined }) {
  const a = partner.address;
  return (
    <section class="card stack" aria-labelledby="contact-h">
      <h2 id="contact-h">Contact and address</h2>
      <Details
        items={[
          ['Contact person', partner.contact_person],
          ['Email', partner.email],
          ['Phone', partner.phone],
          ['Website', partner.website],
          ['Description', partner.description],
          ['Address', [a.street_address, a.suburb, a.city, labelOf(options?.provinces, a.province), a.postal_code, a.country].filter(Boolean).join(', ')],
          ['Service areas', partner.service_areas.map((s) => labelOf(options?.service_areas, s)).join(', ')],
          ['Regions', partner.regions.map((s) => labelOf(options?.provinces, s)).join(', ')],
        ]}
      />
      <p class="muted small">Only the owner or a manager can change the profile.</p>
    </section>
  );
}

export default function Profile() {
  const me = useMe();
  const state = useAsync<Loaded>(async () => {
    const r = await unwrapResponse(api.GET('/v1/partner'));
    return { partner: r.data, etag: r.etag };
  }, []);
  const options = useAsync(
    () => (can(me, 'GET /v1/partner/field-options') ? unwrap(api.GET('/v1/partner/field-options')) : Promise.resolve(undefined)),
    [],
  );
  const canEdit = can(me, 'PATCH /v1/partner');
  const isOwner = me?.role === 'owner';
  // The form is keyed by the loaded profile's version: a reload after a conflict starts it afresh.
  const [formKey, setFormKey] = useState(0);
  return (
    <Page title="Profile" lead="Your business as our team and your customers see it.">
      <AsyncState state={state} loadingLabel="Loading your profile…">
        {(l) => {
          const p = l.partner;
          return (
            <div class="stack">
              <section class="card" aria-labelledby="business-h">
                <h2 id="business-h">{p.business_name}</h2>
                <div class="account-badges">
                  <StatusBadge status={p.status} />
                  <StatusBadge status={p.kyc_status} label={`KYC: ${humanize(p.kyc_status)}`} />
                  <StatusBadge status={p.tier} label={`Tier: ${humanize(p.tier)}`} tone="info" />
                </div>
                {p.status_reason ? <p>{p.status_reason}</p> : null}
                <Details
                  items={[
                    ['Business type', labelOf(options.data?.business_types, p.business_type)],
                    ['Registration number', p.registration_number],
                    ['VAT number', p.vat_number],
                    ['Public form address', p.slug],
                    ['CRM sync', `${humanize(p.crm_sync.state)}${p.crm_sync.synced_at ? ` (${formatDateTime(p.crm_sync.synced_at)})` : ''}`],
                  ]}
                />
              </section>
              <LogoSection partner={p} canUpload={can(me, 'POST /v1/partner/logo')} onReloaded={state.setData} />
              {options.error ? <ErrorState error={options.error} onRetry={options.reload} title="Option lists could not be loaded" /> : null}
              {canEdit ? (
                options.loading && !options.data ? (
                  <Loading label="Loading the profile form…" />
                ) : (
                  <ProfileForm
                    key={formKey}
                    loaded={l}
                    options={options.data}
                    isOwner={isOwner}
                    onSaved={state.setData}
                    onReload={async () => {
                      try {
                        const r = await unwrapResponse(api.GET('/v1/partner'));
                        state.setData({ partner: r.data, etag: r.etag });
                        setFormKey((k) => k + 1);
                      } catch (e) {
                        toast.error(toProblem(e).detail);
                      }
                    }}
                  />
                )
              ) : (
                <ReadOnlyProfile partner={p} options={options.data} />
              )}
            </div>
          );
        }}
      </AsyncState>
    </Page>
  );
}
