import { useEffect, useState } from 'preact/hooks';
import { api, can, unwrap, useMe, type ApiProblem } from '../../../api';
import { Alert, Link, Page, SubmitButton, TextField, navigate, toast, useForm, type FormApi } from '../../../ui';
import {
  CONTACT_ALIASES,
  ContactFields,
  EMPTY_CONTACT,
  fromLocalInput,
  moneyInput,
  validateContact,
  type ContactValues,
  type Lead,
} from './shared';
import './leads.css';

interface NewLeadValues extends ContactValues {
  stage: string;
  next_follow_up_at: string;
}

const blankToNull = (s: string) => (s.trim() ? s.trim() : null);

/**
 * The form-level alert of the create form: the problem's detail, errors for fields the
 * form does not show, and for a duplicate of one of the partner's own leads a link to it
 * (when the user may open it).
 */
function CreateAlert({ form }: { form: FormApi<NewLeadValues> }) {
  const me = useMe();
  const p: ApiProblem | null = form.problem;
  const existingId = p && typeof p.body.existing_id === 'string' ? p.body.existing_id : null;
  const [existing, setExisting] = useState<{ id: string; lead: Lead | null } | null>(null);
  useEffect(() => {
    setExisting(null);
    if (!existingId || !can(me, 'GET /v1/leads/{lead_id}')) return;
    let live = true;
    unwrap(api.GET('/v1/leads/{lead_id}', { params: { path: { lead_id: existingId } } })).then(
      (lead) => live && setExisting({ id: existingId, lead }),
      () => live && setExisting({ id: existingId, lead: null }),
    );
    return () => {
      live = false;
    };
  }, [existingId]);
  if (!p) return null;
  const hasFieldErrors = Object.keys(form.errors).length > 0;
  const title = hasFieldErrors && p.code === 'validation_failed' ? 'Please correct the highlighted fields.' : p.title;
  return (
    <div id={`${form.id}-alert`} class="alert alert-error" role="alert" tabIndex={-1}>
      <p>
        <strong>{title}</strong>
      </p>
      {p.detail && p.detail !== title ? <p>{p.detail}</p> : null}
      {form.unmatched.length ? (
        <ul>
          {form.unmatched.map((u) => (
            <li key={u.field}>
              {u.field ? <code>{u.field}</code> : null} {u.message}
            </li>
          ))}
        </ul>
      ) : null}
      {existing?.lead ? (
        <p>
          <Link href={`/app/leads/${encodeURIComponent(existing.id)}`}>
            Open the existing lead: {existing.lead.first_name} {existing.lead.last_name}
            {existing.lead.company ? ` (${existing.lead.company})` : ''}
          </Link>
        </p>
      ) : null}
      {p.requestId && p.status >= 500 ? <p class="muted small">Reference: {p.requestId}</p> : null}
    </div>
  );
}

export default function NewLead() {
  const me = useMe();
  const form = useForm<NewLeadValues>({
    initial: { ...EMPTY_CONTACT, stage: '', next_follow_up_at: '' },
    validate: (v) => validateContact(v),
    fieldAliases: CONTACT_ALIASES,
    onSubmit: async (v) => {
      const lead = await unwrap(
        api.POST('/v1/leads', {
          body: {
            first_name: v.first_name.trim(),
            last_name: v.last_name.trim(),
            email: blankToNull(v.email),
            phone: blankToNull(v.phone),
            company: blankToNull(v.company),
            website: blankToNull(v.website),
            address: blankToNull(v.address),
            service_interest: blankToNull(v.service_interest),
            estimated_value: moneyInput(v),
            notes: blankToNull(v.notes),
            stage: blankToNull(v.stage),
            next_follow_up_at: v.next_follow_up_at ? fromLocalInput(v.next_follow_up_at) : null,
          },
        }),
      );
      toast.success(`${lead.first_name} ${lead.last_name} is registered.`);
      navigate(`/app/leads/${encodeURIComponent(lead.id)}`);
    },
  });
  const notApproved = me?.partner && me.partner.status !== 'approved';
  return (
    <Page title="New lead" lead="Register a contact you are working with. The lead is protected for you once registered." narrow>
      <p>
        <Link href="/app/leads">
          <span aria-hidden="true">← </span>Back to leads
        </Link>
      </p>
      {notApproved ? (
        <Alert tone="warning" title="Your partner account is not approved yet">
          <p>Leads can be registered once your application is approved.</p>
        </Alert>
      ) : null}
      <form class="card stack" noValidate onSubmit={(e) => void form.submit(e)} aria-busy={form.busy ? 'true' : undefined} aria-label="New lead">
        <CreateAlert form={form} />
        <ContactFields form={form} />
        <fieldset class="group">
          <legend>Pipeline</legend>
          <div class="grid-2">
            <TextField form={form} name="stage" label="Stage" maxLength={50} optional hint="Your own pipeline label." />
            <TextField form={form} name="next_follow_up_at" label="Next follow-up" type="datetime-local" optional />
          </div>
        </fieldset>
        <div class="button-row">
          <SubmitButton form={form} busyLabel="Registering…">
            Register lead
          </SubmitButton>
          <Link class="button secondary" href="/app/leads">
            Cancel
          </Link>
        </div>
      </form>
    </Page>
  );
}
