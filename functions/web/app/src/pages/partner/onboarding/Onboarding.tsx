import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiProblem, api, can, loadMe, toProblem, unwrap, useMe, type Me, type Schemas } from '../../../api';
import {
  Alert,
  AsyncState,
  ConfirmDialog,
  DataTable,
  ErrorState,
  formatBytes,
  formatDate,
  formatDateTime,
  humanize,
  Link,
  Page,
  Pager,
  ProgressBar,
  StatusBadge,
  toast,
  uploadKycDocument,
  useAsync,
  useCursorPages,
  useUpload,
} from '../../../ui';
import { docLabel, loadAllDocuments, openDownload, requiredTypes, type DocumentType, type KycDocument } from './kyc';
import './onboarding.css';

type Partner = Schemas['Partner'];
type FieldOptions = {
  document_types: Schemas['Options'];
  document_content_types: string[];
  max_document_bytes: number;
};

/** A rejected or suspended partner may read only its profile: its application is closed. */
function isClosed(status: Partner['status'] | undefined): boolean {
  return status === 'rejected' || status === 'suspended';
}

/** The partner's profile (when the user may read it) and the option lists the wizard needs. */
async function loadSetup(me: Me | null): Promise<{ partner: Partner | null; options: FieldOptions | null }> {
  const [partner, options] = await Promise.all([
    can(me, 'GET /v1/partner') ? unwrap(api.GET('/v1/partner')) : Promise.resolve(null),
    unwrap(api.GET('/v1/partner/field-options')).then(
      (o) => o,
      (e: unknown) => toProblem(e),
    ),
  ]);
  if (isClosed(partner?.status ?? me?.partner?.status)) return { partner, options: null };
  if (options instanceof ApiProblem) throw options;
  return { partner, options };
}

/* ------------------------------------------------------------------ steps */

const STEPS = ['Profile check', 'Documents', 'Submit', 'Review status'] as const;

function Steps({ current, done }: { current: number; done: boolean[] }) {
  return (
    <nav aria-label="Application progress">
      <ol class="ob-steps">
        {STEPS.map((name, i) => {
          const n = i + 1;
          const isDone = done[i];
          return (
            <li key={name} class={isDone ? 'ob-done' : undefined} aria-current={n === current ? 'step' : undefined}>
              <span class="ob-step-num" aria-hidden="true">
                {isDone ? '✓' : `${n}.`}
              </span>
              <span class="visually-hidden">Step {n}: </span>
              {name}
              <span class="visually-hidden">{isDone ? ' (done)' : n === current ? ' (current step)' : ''}</span>
            </li>
          );
        })}
      </ol>
      <p class="visually-hidden">
        Step {current} of {STEPS.length}
      </p>
    </nav>
  );
}

/* ------------------------------------------------------------------ profile */

function profileGaps(p: Partner): string[] {
  const gaps: string[] = [];
  if (!p.business_name) gaps.push('Business name');
  if (!p.contact_person) gaps.push('Contact person');
  if (!p.email) gaps.push('Email');
  if (!p.phone) gaps.push('Phone');
  if (!p.address?.street_address || !p.address.city || !p.address.province || !p.address.postal_code) gaps.push('Address');
  return gaps;
}

function ProfileCheck({ partner, me }: { partner: Partner | null; me: Me }) {
  if (!partner) {
    return (
      <section class="card stack" aria-labelledby="ob-profile-h">
        <h2 id="ob-profile-h">1. Profile check</h2>
        <p>{me.partner?.business_name}</p>
      </section>
    );
  }
  const gaps = profileGaps(partner);
  const a = partner.address;
  return (
    <section class="card stack" aria-labelledby="ob-profile-h">
      <h2 id="ob-profile-h">1. Profile check</h2>
      {gaps.length ? (
        <Alert tone="warning" title="Your profile is incomplete">
          <p>Missing: {gaps.join(', ')}.</p>
        </Alert>
      ) : (
        <p>
          <StatusBadge status="done" label="Profile complete" />
        </p>
      )}
      <dl class="ob-profile">
        <dt>Business name</dt>
        <dd>{partner.business_name}</dd>
        <dt>Business type</dt>
        <dd>{humanize(partner.business_type)}</dd>
        <dt>Contact person</dt>
        <dd>{partner.contact_person}</dd>
        <dt>Email</dt>
        <dd>{partner.email}</dd>
        <dt>Phone</dt>
        <dd>{partner.phone}</dd>
        <dt>Address</dt>
        <dd>{[a.street_address, a.suburb, a.city, a.province, a.postal_code, a.country].filter(Boolean).join(', ')}</dd>
      </dl>
      {can(me, 'PATCH /v1/partner') ? (
        <p>
          <Link href="/app/profile">Edit your profile</Link>
        </p>
      ) : null}
    </section>
  );
}

/* ------------------------------------------------------------------ one document type */

function DocumentRow(props: {
  type: DocumentType;
  label: string;
  required: boolean;
  doc: KycDocument | undefined;
  me: Me;
  editable: boolean;
  accept: string[];
  maxBytes: number;
  onChanged: () => void;
}) {
  const { type, label, required, doc, me, editable, accept, maxBytes } = props;
  const id = useId();
  const up = useUpload();
  const [fileError, setFileError] = useState<string | undefined>();
  const [expiresOn, setExpiresOn] = useState('');
  const [confirmRemove, setConfirmRemove] = useState(false);
  const [removing, setRemoving] = useState(false);
  const [removeError, setRemoveError] = useState<ApiProblem | undefined>();
  const [downloading, setDownloading] = useState(false);
  const [downloadError, setDownloadError] = useState<ApiProblem | undefined>();

  const mayUpload = editable && can(me, 'POST /v1/kyc/documents');
  const mayDelete = can(me, 'DELETE /v1/kyc/documents/{document_id}');
  const mayDownload = can(me, 'GET /v1/kyc/documents/{document_id}/download');
  const busy = up.phase === 'uploading' || up.phase === 'verifying' || removing;
  const status = doc?.verification_status;

  const apiFieldErrors = up.error?.fieldErrors ?? {};
  const dateError = apiFieldErrors['expires_on'];
  const uploadError = fileError ?? (up.error && !dateError && up.error.code !== 'aborted' ? up.error.detail : undefined);

  const fileId = `${id}-file`;
  const dateId = `${id}-expires`;
  const statusId = `${id}-status`;

  async function onFile(e: Event) {
    const input = e.currentTarget as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    setFileError(undefined);
    if (accept.length && !accept.includes(file.type)) {
      setFileError('Choose a PDF, JPEG or PNG file.');
      input.value = '';
      return;
    }
    if (file.size > maxBytes) {
      setFileError(`The file is ${formatBytes(file.size)}; the largest accepted is ${formatBytes(maxBytes)}.`);
      input.value = '';
      return;
    }
    if (file.size === 0) {
      setFileError('The file is empty.');
      input.value = '';
      return;
    }
    const replacing = doc && doc.verification_status !== 'approved' && mayDelete ? doc : undefined;
    const result = await up.run(async (hooks) => {
      // A document that is not approved yet is replaced: remove it first, then upload the new file.
      if (replacing) {
        await unwrap(api.DELETE('/v1/kyc/documents/{document_id}', { params: { path: { document_id: replacing.id } } }));
      }
      return uploadKycDocument({ file, documentType: type, expiresOn: expiresOn || null, ...hooks });
    });
    input.value = '';
    props.onChanged();
    if (result) {
      if (result.verification_status === 'rejected') {
        toast.error(`${label}: the file was not accepted. ${result.rejection_reason ?? ''}`.trim());
      } else {
        toast.success(`${label} uploaded. It will be reviewed with your application.`);
        setExpiresOn('');
      }
    }
  }

  async function remove() {
    if (!doc) return;
    setRemoving(true);
    setRemoveError(undefined);
    try {
      await unwrap(api.DELETE('/v1/kyc/documents/{document_id}', { params: { path: { document_id: doc.id } } }));
      setConfirmRemove(false);
      toast.success(`${label} removed.`);
      props.onChanged();
    } catch (err) {
      setRemoveError(toProblem(err));
    } finally {
      setRemoving(false);
    }
  }

  async function download() {
    if (!doc) return;
    setDownloading(true);
    setDownloadError(undefined);
    try {
      await openDownload(doc.id);
    } catch (err) {
      setDownloadError(toProblem(err));
    } finally {
      setDownloading(false);
    }
  }

  return (
    <li class="ob-doc">
      <div>
        <h3>
          {label}
          {required ? <span class="muted small"> (required)</span> : <span class="muted small"> (optional)</span>}
        </h3>
        <p id={statusId} class="ob-doc-meta">
          {doc ? <StatusBadge status={doc.verification_status} label={statusLabel(doc.verification_status)} /> : <StatusBadge status="todo" label="Not uploaded" />}
        </p>
        {doc ? (
          <p class="muted small ob-doc-meta">
            {doc.file_name} · {formatBytes(doc.size)} · {formatDateTime(doc.created_at)}
            {doc.expires_on ? ` · valid until ${formatDate(doc.expires_on)}` : ''}
          </p>
        ) : null}
        {status === 'rejected' ? (
          <Alert tone="error" title="Not accepted">
            <p>{doc?.rejection_reason || 'No reason was given.'}</p>
            {mayUpload ? <p>Upload a new file to replace it.</p> : null}
          </Alert>
        ) : null}
        {status === 'uploading' && up.phase !== 'uploading' && up.phase !== 'verifying' ? (
          <p role="status" class="small">
            <span class="spinner spinner-inline" aria-hidden="true" /> Checking the file…
          </p>
        ) : null}
        {doc && (status === 'pending' || status === 'approved') && mayDownload ? (
          <p class="button-row">
            <button type="button" class="link-button" onClick={download} aria-busy={downloading ? 'true' : undefined} disabled={downloading}>
              {downloading ? 'Preparing download…' : `Download ${label}`}
            </button>
          </p>
        ) : null}
        {downloadError ? <ErrorState error={downloadError} title="The download link could not be created" /> : null}
      </div>
      <div class="stack">
        {mayUpload ? (
          <>
            <div class={`field${uploadError ? ' field-invalid' : ''}`}>
              <label for={fileId}>Upload {label}</label>
              <p id={`${fileId}-hint`} class="hint">
                PDF, JPEG or PNG, up to {formatBytes(maxBytes)}.
                {doc && status !== 'approved' ? ' A new file replaces the current one.' : ''}
              </p>
              <input
                type="file"
                id={fileId}
                name={`file-${type}`}
                accept={accept.join(',')}
                disabled={busy}
                aria-invalid={uploadError ? 'true' : undefined}
                aria-describedby={[uploadError ? `${fileId}-error` : '', `${fileId}-hint`, statusId].filter(Boolean).join(' ')}
                onChange={onFile}
              />
              {uploadError ? (
                <p id={`${fileId}-error`} class="field-error" role="alert">
                  <span aria-hidden="true">⚠ </span>
                  {uploadError}
                </p>
              ) : null}
            </div>
            <div class={`field${dateError ? ' field-invalid' : ''}`}>
              <label for={dateId}>
                Valid until<span class="visually-hidden"> ({label})</span>
                <span class="optional"> (optional)</span>
              </label>
              <input
                type="date"
                id={dateId}
                value={expiresOn}
                disabled={busy}
                onInput={(e) => setExpiresOn(e.currentTarget.value)}
                aria-invalid={dateError ? 'true' : undefined}
                aria-describedby={dateError ? `${dateId}-error` : undefined}
              />
              {dateError ? (
                <p id={`${dateId}-error`} class="field-error">
                  <span aria-hidden="true">⚠ </span>
                  {dateError}
                </p>
              ) : null}
            </div>
          </>
        ) : null}
        {up.phase === 'uploading' ? <ProgressBar label={`Uploading ${label}…`} value={up.progress} /> : null}
        {up.phase === 'verifying' ? <ProgressBar label="Checking the file…" /> : null}
        {busy && up.phase !== 'idle' ? (
          <p>
            <button type="button" class="secondary" onClick={up.cancel}>
              Cancel upload
            </button>
          </p>
        ) : null}
        {doc && status !== 'approved' && mayDelete && editable && !busy ? (
          <p>
            <button type="button" class="secondary" onClick={() => setConfirmRemove(true)} aria-label={`Remove ${label}`}>
              Remove
            </button>
          </p>
        ) : null}
        {!mayUpload && !doc ? <p class="muted small">The account owner uploads this document.</p> : null}
      </div>
      <ConfirmDialog
        open={confirmRemove}
        title={`Remove ${label}?`}
        confirmLabel="Remove"
        busyLabel="Removing…"
        danger
        busy={removing}
        error={removeError}
        errorTitle="The document could not be removed"
        onConfirm={() => void remove()}
        onClose={() => setConfirmRemove(false)}
      >
        <p>
          {doc?.file_name} will be deleted. {required ? 'This document is required: upload another one before you submit.' : ''}
        </p>
      </ConfirmDialog>
    </li>
  );
}

function statusLabel(s: KycDocument['verification_status']): string {
  switch (s) {
    case 'uploading':
      return 'Checking the file';
    case 'pending':
      return 'Uploaded, awaiting review';
    case 'approved':
      return 'Approved';
    case 'rejected':
      return 'Rejected';
  }
}

/* ------------------------------------------------------------------ submit */

function SubmitSection(props: {
  me: Me;
  missing: { type: DocumentType; label: string }[];
  checking: boolean;
  labels: Map<string, string>;
  onSubmitted: (p: Partner) => void;
}) {
  const { me, missing, checking, labels } = props;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiProblem | undefined>();
  const maySubmit = can(me, 'POST /v1/kyc/submit');
  const ready = missing.length === 0 && !checking;

  async function submit() {
    if (!ready || busy) return;
    setBusy(true);
    setError(undefined);
    try {
      const partner = await unwrap(api.POST('/v1/kyc/submit'));
      props.onSubmitted(partner);
      toast.success('Your application was submitted for review.');
    } catch (err) {
      setError(toProblem(err));
    } finally {
      setBusy(false);
    }
  }

  const serverMissing = Array.isArray(error?.body['missing']) ? (error?.body['missing'] as string[]) : [];

  return (
    <section class="card stack" aria-labelledby="ob-submit-h">
      <h2 id="ob-submit-h">3. Submit</h2>
      {missing.length ? (
        <div>
          <p>Upload these documents before you submit:</p>
          <ul>
            {missing.map((m) => (
              <li key={m.type}>{m.label}</li>
            ))}
          </ul>
        </div>
      ) : checking ? (
        <p>Wait until every file has been checked.</p>
      ) : (
        <p>Every required document is uploaded. Submit your application to have it reviewed.</p>
      )}
      {error ? (
        <div class="alert alert-error" role="alert">
          <p>
            <strong>{error.title}</strong>
          </p>
          {error.detail !== error.title ? <p>{error.detail}</p> : null}
          {serverMissing.length ? (
            <ul>
              {serverMissing.map((t) => (
                <li key={t}>{docLabel(labels, t)}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
      {maySubmit ? (
        <p>
          <button
            type="button"
            onClick={submit}
            disabled={!ready}
            aria-disabled={busy ? 'true' : undefined}
            aria-busy={busy ? 'true' : undefined}
          >
            {busy ? <span class="spinner spinner-inline" aria-hidden="true" /> : null}
            {busy ? 'Submitting…' : 'Submit application'}
          </button>
        </p>
      ) : (
        <p class="muted">The account owner submits the application.</p>
      )}
    </section>
  );
}

/* ------------------------------------------------------------------ review status */

function ReviewStatus({ status, kycStatus, reason }: { status: Partner['status']; kycStatus: Partner['kyc_status']; reason: string | null }) {
  return (
    <section class="card stack" aria-labelledby="ob-review-h">
      <h2 id="ob-review-h">4. Review status</h2>
      <p class="button-row">
        <span>Application:</span> <StatusBadge status={status} />
        <span>Documents:</span> <StatusBadge status={kycStatus} />
      </p>
      {status === 'pending' ? <p>Your application has not been submitted yet.</p> : null}
      {status === 'under_review' ? (
        <Alert tone="info" title="Your application is under review">
          <p>We check your documents and will email you the decision. You can still look at your documents here.</p>
        </Alert>
      ) : null}
      {status === 'approved' ? (
        <Alert tone="success" title="Your partner account is approved">
          <p>
            <Link href="/app">Go to your dashboard</Link>
          </p>
        </Alert>
      ) : null}
      {status === 'rejected' ? (
        <Alert tone="error" title="Your application was not approved">
          <p>{reason || 'No reason was given.'}</p>
          <p>If you have questions about this decision, contact the partner team.</p>
        </Alert>
      ) : null}
      {status === 'suspended' ? (
        <Alert tone="error" title="Your partner account is suspended">
          <p>{reason || 'No reason was given.'}</p>
          <p>Contact your account manager to resolve it.</p>
        </Alert>
      ) : null}
    </section>
  );
}

/* ------------------------------------------------------------------ every upload */

function UploadHistory({ labels, version }: { labels: Map<string, string>; version: number }) {
  const pages = useCursorPages(
    (cursor) => unwrap(api.GET('/v1/kyc/documents', { params: { query: { cursor, limit: 10 } } })),
    [version],
  );
  return (
    <section class="card stack" aria-labelledby="ob-history-h">
      <h2 id="ob-history-h">All uploaded files</h2>
      {pages.error ? <ErrorState error={pages.error} onRetry={pages.reload} /> : null}
      {pages.loading && pages.items.length === 0 ? (
        <p role="status" class="muted">
          Loading files…
        </p>
      ) : (
        <DataTable
          caption="All uploaded files"
          rows={pages.items}
          rowKey={(d) => d.id}
          busy={pages.loading}
          empty={<p class="muted">No files uploaded yet.</p>}
          columns={[
            { key: 'file_name', header: 'File', primary: true },
            { key: 'document_type', header: 'Document type', render: (d) => docLabel(labels, d.document_type) },
            { key: 'verification_status', header: 'Status', render: (d) => <StatusBadge status={d.verification_status} /> },
            { key: 'size', header: 'Size', align: 'end', hideNarrow: true, render: (d) => formatBytes(d.size) },
            { key: 'created_at', header: 'Uploaded', render: (d) => formatDateTime(d.created_at) },
          ]}
        />
      )}
      <Pager pages={pages} label="Uploaded files pages" />
    </section>
  );
}

/* ------------------------------------------------------------------ the page */

function Wizard({ me, partner: initialPartner, options }: { me: Me; partner: Partner | null; options: FieldOptions }) {
  const [partner, setPartner] = useState(initialPartner);
  const [version, setVersion] = useState(0);
  const docs = useAsync(() => loadAllDocuments(), [version]);
  const refresh = () => setVersion((v) => v + 1);

  const status: Partner['status'] = partner?.status ?? me.partner?.status ?? 'pending';
  const kycStatus: Partner['kyc_status'] = partner?.kyc_status ?? me.partner?.kyc_status ?? 'incomplete';
  const reason = partner?.status_reason ?? null;
  const labels = new Map(options.document_types.map((o) => [o.value, o.label]));
  const required = requiredTypes(partner?.business_type);

  // A file left mid-check (e.g. after a reload): look again until the verifier has answered.
  const checking = (docs.data ?? []).some((d) => d.verification_status === 'uploading');
  const polls = useRef(0);
  useEffect(() => {
    if (!checking) polls.current = 0;
    if (!checking || docs.loading || polls.current >= 40) return;
    const t = setTimeout(() => {
      polls.current += 1;
      docs.reload();
    }, 3000);
    return () => clearTimeout(t);
  }, [checking, docs.loading, docs.data]);

  const latest = new Map<string, KycDocument>();
  for (const d of docs.data ?? []) {
    const cur = latest.get(d.document_type);
    if (!cur || d.created_at > cur.created_at) latest.set(d.document_type, d);
  }
  const missing = required
    .filter((t) => {
      const d = latest.get(t);
      return !d || !(d.verification_status === 'pending' || d.verification_status === 'approved');
    })
    .map((t) => ({ type: t, label: docLabel(labels, t) }));

  const profileOk = partner ? profileGaps(partner).length === 0 : true;
  const submitted = status === 'under_review' || status === 'approved' || status === 'suspended';
  const current = !profileOk ? 1 : submitted ? 4 : missing.length ? 2 : 3;
  const done = [profileOk, missing.length === 0 && docs.data !== undefined, submitted, status === 'approved'];
  const editable = status !== 'suspended';
  const canSubmit = status === 'pending' || status === 'rejected';

  async function onSubmitted(p: Partner) {
    setPartner(p);
    try {
      await loadMe();
    } catch {
      // The page already shows the new status; the session refreshes on the next load.
    }
  }

  return (
    <>
      <Steps current={current} done={done} />
      {status === 'rejected' || status === 'suspended' ? (
        <Alert tone="error" title={status === 'rejected' ? 'Your application was not approved' : 'Your partner account is suspended'}>
          <p>Reason: {reason || 'No reason was given.'}</p>
        </Alert>
      ) : null}
      <div class="stack">
        <ProfileCheck partner={partner} me={me} />
        <section class="card stack" aria-labelledby="ob-docs-h">
          <h2 id="ob-docs-h">2. Documents</h2>
          <p class="muted">
            Upload a clear scan or photo of each document. Each file is checked automatically, then reviewed by our team.
          </p>
          <AsyncState state={docs} loadingLabel="Loading your documents…">
            {() => (
              <ul class="ob-docs">
                {options.document_types.map((o) => (
                  <DocumentRow
                    key={o.value}
                    type={o.value as DocumentType}
                    label={o.label}
                    required={required.includes(o.value as DocumentType)}
                    doc={latest.get(o.value)}
                    me={me}
                    editable={editable}
                    accept={options.document_content_types}
                    maxBytes={options.max_document_bytes}
                    onChanged={refresh}
                  />
                ))}
              </ul>
            )}
          </AsyncState>
        </section>
        {canSubmit ? (
          <SubmitSection me={me} missing={missing} checking={checking} labels={labels} onSubmitted={onSubmitted} />
        ) : null}
        <ReviewStatus status={status} kycStatus={kycStatus} reason={reason} />
        <UploadHistory labels={labels} version={version} />
      </div>
    </>
  );
}

/** A rejected or suspended partner: the decision and its reason, nothing to upload. */
function Closed({ me, partner }: { me: Me; partner: Partner | null }) {
  const status = partner?.status ?? me.partner?.status ?? 'rejected';
  const kycStatus = partner?.kyc_status ?? me.partner?.kyc_status ?? 'incomplete';
  return (
    <>
      <Steps current={4} done={[true, true, true, false]} />
      <div class="stack">
        <ReviewStatus status={status} kycStatus={kycStatus} reason={partner?.status_reason ?? null} />
      </div>
    </>
  );
}

export default function Onboarding() {
  const me = useMe();
  const setup = useAsync(() => loadSetup(me), [me?.user.id]);
  return (
    <Page title="Onboarding" lead="Complete your application: check your profile, upload your documents and submit them for review.">
      {me ? (
        <AsyncState state={setup} loadingLabel="Loading your application…">
          {(s) => (s.options ? <Wizard me={me} partner={s.partner} options={s.options} /> : <Closed me={me} partner={s.partner} />)}
        </AsyncState>
      ) : null}
    </Page>
  );
}
