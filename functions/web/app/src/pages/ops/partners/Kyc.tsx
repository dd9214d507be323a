import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiProblem, api, can, toProblem, unwrap, useMe, type Schemas } from '../../../api';
import {
  EmptyState,
  ErrorState,
  Form,
  Loading,
  StatusBadge,
  TextAreaField,
  formatBytes,
  formatDate,
  formatDateTime,
  toast,
  useForm,
} from '../../../ui';
import { DOCUMENT_TYPE_LABELS } from './shared';
import type { PartnerRecord } from './Overview';

type KycDocument = Schemas['KycDocument'];

interface Preview {
  id: string;
  url: string;
  type: string;
  name: string;
}

const STATUS_LABELS: Record<KycDocument['verification_status'], string> = {
  uploading: 'Uploading',
  pending: 'Waiting for review',
  approved: 'Approved',
  rejected: 'Rejected',
};

/** Downloads a KYC file through its short-lived link into memory: the preview shows a `blob:` URL, never the link. */
async function fetchDocument(partnerId: string, doc: KycDocument): Promise<Preview> {
  const link = await unwrap(
    api.GET('/v1/admin/kyc/documents/{document_id}/download', {
      params: { path: { document_id: doc.id }, query: { partner_id: partnerId } },
    }),
  );
  let res: Response;
  try {
    res = await fetch(link.url, { credentials: 'omit', cache: 'no-store' });
  } catch {
    throw new ApiProblem({ status: 0, code: 'download_failed', title: 'The file could not be downloaded.', detail: 'Check your connection, then open it again.' });
  }
  if (!res.ok) {
    throw new ApiProblem({
      status: res.status,
      code: 'download_failed',
      title: 'The file could not be downloaded.',
      detail: res.status === 403 ? 'The download link has expired. Open the document again.' : 'The storage did not return the file. Open it again in a moment.',
    });
  }
  const blob = await res.blob();
  const type = doc.content_type || blob.type;
  return { id: doc.id, url: URL.createObjectURL(new Blob([blob], { type })), type, name: doc.file_name };
}

function PreviewPanel({ preview, onClose }: { preview: Preview; onClose: () => void }) {
  const label = `Preview of ${preview.name}`;
  return (
    <section class="ops-preview" aria-label={label}>
      {preview.type === 'application/pdf' ? (
        <iframe src={preview.url} title={label} />
      ) : preview.type.startsWith('image/') ? (
        <img src={preview.url} alt={label} />
      ) : (
        <p>
          This file type cannot be shown here.{' '}
          <a href={preview.url} download={preview.name}>
            Save {preview.name}
          </a>
        </p>
      )}
      <div class="button-row">
        <a class="button secondary" href={preview.url} download={preview.name}>
          Save a copy
        </a>
        <button type="button" class="secondary" onClick={onClose}>
          Close preview
        </button>
      </div>
    </section>
  );
}

function ReviewForm({
  partnerId,
  doc,
  opened,
  onReviewed,
}: {
  partnerId: string;
  doc: KycDocument;
  opened: boolean;
  onReviewed: (d: KycDocument) => void;
}) {
  const decision = useRef<'approve' | 'reject'>('approve');
  const [clicked, setClicked] = useState<'approve' | 'reject' | null>(null);
  const hintId = `kyc-hint-${doc.id}`;
  const form = useForm({
    initial: { reason: '' },
    validate: (v) => ({
      reason: decision.current === 'reject' && !v.reason.trim() ? 'Give a reason: the partner sees it and uploads a new file.' : undefined,
    }),
    onSubmit: async (v) => {
      if (decision.current === 'approve' && !opened) {
        throw new ApiProblem({ status: 400, code: 'not_opened', title: 'Open the document before you approve it.' });
      }
      const d = await unwrap(
        api.POST('/v1/admin/kyc/documents/{document_id}/review', {
          params: { path: { document_id: doc.id } },
          body: { partner_id: partnerId, decision: decision.current, reason: v.reason.trim() || null },
        }),
      );
      toast.success(`${DOCUMENT_TYPE_LABELS[d.document_type]} ${d.verification_status === 'approved' ? 'approved' : 'rejected'}.`);
      onReviewed(d);
    },
  });
  const run = (d: 'approve' | 'reject') => {
    decision.current = d;
    setClicked(d);
    void form.submit();
  };
  const busy = (d: 'approve' | 'reject') => form.busy && clicked === d;
  return (
    <Form form={form} class="stack" aria-label={`Review ${doc.file_name}`}>
      <TextAreaField form={form} name="reason" label="Reason" rows={2} maxLength={500} hint="Required to reject; the partner sees it." />
      <div class="button-row">
        <button
          type="button"
          disabled={!opened || form.busy}
          aria-describedby={opened ? undefined : hintId}
          aria-busy={busy('approve') ? 'true' : undefined}
          onClick={() => run('approve')}
        >
          {busy('approve') ? <span class="spinner spinner-inline" aria-hidden="true" /> : null}
          Approve
        </button>
        <button type="button" class="danger" disabled={form.busy} aria-busy={busy('reject') ? 'true' : undefined} onClick={() => run('reject')}>
          {busy('reject') ? <span class="spinner spinner-inline" aria-hidden="true" /> : null}
          Reject
        </button>
      </div>
      {!opened ? (
        <p id={hintId} class="hint">
          Approve becomes available once you have opened the document here: look at the file before you decide.
        </p>
      ) : null}
    </Form>
  );
}

export function KycTab({
  record,
  reload,
  opened,
  onOpened,
}: {
  record: PartnerRecord;
  reload: () => void;
  /** Documents opened on this page (kept while switching tabs). */
  opened: ReadonlySet<string>;
  onOpened: (id: string) => void;
}) {
  const me = useMe();
  const partnerId = record.partner.id;
  const canOpen = can(me, 'GET /v1/admin/kyc/documents/{document_id}/download');
  const canReview = can(me, 'POST /v1/admin/kyc/documents/{document_id}/review');
  const [docs, setDocs] = useState<KycDocument[]>(record.documents);
  useEffect(() => setDocs(record.documents), [record]);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [opening, setOpening] = useState<string | null>(null);
  const [openError, setOpenError] = useState<{ id: string; error: ApiProblem } | null>(null);
  // Free the previous file's memory whenever the preview changes or the tab closes.
  useEffect(
    () => () => {
      if (preview) URL.revokeObjectURL(preview.url);
    },
    [preview],
  );

  const open = async (doc: KycDocument) => {
    if (opening) return;
    setOpening(doc.id);
    setOpenError(null);
    try {
      const p = await fetchDocument(partnerId, doc);
      setPreview(p);
      onOpened(doc.id);
    } catch (e) {
      setOpenError({ id: doc.id, error: toProblem(e) });
    } finally {
      setOpening(null);
    }
  };

  const sorted = [...docs].sort((a, b) => b.created_at.localeCompare(a.created_at));
  return (
    <div class="stack">
      <h2>KYC documents</h2>
      <p>
        KYC status: <StatusBadge status={record.partner.kyc_status} />
      </p>
      {canReview ? <p class="muted small">Open a document to look at it; you can approve it only after opening it on this page.</p> : null}
      {sorted.length === 0 ? (
        <EmptyState title="No KYC documents yet">
          <p>The partner has not uploaded any documents.</p>
        </EmptyState>
      ) : (
        <ul class="ops-list">
          {sorted.map((doc) => {
            const downloadable = doc.verification_status === 'pending' || doc.verification_status === 'approved';
            return (
              <li key={doc.id} class="stack">
                <div>
                  <h3>{DOCUMENT_TYPE_LABELS[doc.document_type]}</h3>
                  <p>
                    <StatusBadge status={doc.verification_status} label={STATUS_LABELS[doc.verification_status]} />{' '}
                    {opened.has(doc.id) ? <StatusBadge status="done" label="Opened" tone="info" /> : null}
                  </p>
                  <p class="small">
                    {doc.file_name} · {formatBytes(doc.size)} · uploaded {formatDateTime(doc.created_at)}
                    {doc.expires_on ? ` · valid until ${formatDate(doc.expires_on)}` : ''}
                  </p>
                  {doc.rejection_reason ? (
                    <p class="small">
                      <span class="muted">Reason:</span> {doc.rejection_reason}
                    </p>
                  ) : null}
                </div>
                {canOpen ? (
                  <div class="button-row">
                    <button
                      type="button"
                      class="secondary"
                      disabled={!downloadable || opening !== null}
                      aria-busy={opening === doc.id ? 'true' : undefined}
                      aria-describedby={`kyc-file-${doc.id}`}
                      onClick={() => void open(doc)}
                    >
                      {opening === doc.id ? <span class="spinner spinner-inline" aria-hidden="true" /> : null}
                      {opening === doc.id ? 'Opening…' : 'Open'}
                    </button>
                    <span id={`kyc-file-${doc.id}`} class="visually-hidden">
                      {doc.file_name}
                    </span>
                  </div>
                ) : null}
                {!downloadable ? (
                  <p class="hint">{doc.verification_status === 'uploading' ? 'The file is still being uploaded and checked.' : 'A rejected file can no longer be opened.'}</p>
                ) : null}
                {opening === doc.id ? <Loading label={`Downloading ${doc.file_name}…`} /> : null}
                {openError?.id === doc.id ? <ErrorState error={openError.error} title="The document could not be opened" onRetry={() => void open(doc)} /> : null}
                {preview?.id === doc.id ? <PreviewPanel preview={preview} onClose={() => setPreview(null)} /> : null}
                {canReview && doc.verification_status === 'pending' ? (
                  <ReviewForm
                    partnerId={partnerId}
                    doc={doc}
                    opened={opened.has(doc.id)}
                    onReviewed={(d) => {
                      setDocs((all) => all.map((x) => (x.id === d.id ? d : x)));
                      reload();
                    }}
                  />
                ) : null}
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
