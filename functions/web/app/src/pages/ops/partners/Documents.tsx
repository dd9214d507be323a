import { useState } from 'preact/hooks';
import { ApiProblem, api, can, toProblem, unwrap, useMe, type Schemas } from '../../../api';
import {
  type Column,
  ConfirmDialog,
  EmptyState,
  Field,
  Form,
  formatBytes,
  formatDate,
  PagedTable,
  poll,
  ProgressBar,
  putFile,
  RadioGroupField,
  StatusBadge,
  SubmitButton,
  TextField,
  toast,
  useCursorPages,
  useForm,
  useStaff,
} from '../../../ui';
import { actorName } from './shared';

type Doc = Schemas['InternalDocument'];
type FileType = Schemas['InternalFileDeclaration']['content_type'];

const FILE_TYPES: Record<FileType, string> = {
  'application/pdf': 'PDF',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'Word',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'Excel',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'PowerPoint',
  'image/png': 'PNG',
  'image/jpeg': 'JPEG',
};
const MAX_SIZE = 26_214_400;

async function findDocument(partnerId: string, id: string): Promise<Doc | undefined> {
  const page = await unwrap(
    api.GET('/v1/admin/partners/{partner_id}/documents', { params: { path: { partner_id: partnerId }, query: { limit: 100 } } }),
  );
  return page.items.find((d) => d.id === id);
}

function NewDocumentForm({ partnerId, onCreated }: { partnerId: string; onCreated: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [phase, setPhase] = useState<'idle' | 'uploading' | 'verifying'>('idle');
  const [progress, setProgress] = useState(0);
  const [fileKey, setFileKey] = useState(0);
  const form = useForm({
    initial: { title: '', document_type: '', tags: '', kind: 'url', url: '', file: '' },
    fieldAliases: { 'file.content_type': 'file', 'file.size': 'file' },
    validate: (v) => ({
      title: v.title.trim() ? undefined : 'Enter a title.',
      document_type: v.document_type.trim() ? undefined : 'Enter the kind of document, for example contract.',
      url: v.kind === 'url' && !/^https:\/\/\S+$/.test(v.url.trim()) ? 'Enter an https:// link.' : undefined,
      file:
        v.kind !== 'file'
          ? undefined
          : !file
            ? 'Choose a file.'
            : !(file.type in FILE_TYPES)
              ? 'Choose a PDF, Word, Excel, PowerPoint, PNG or JPEG file.'
              : file.size > MAX_SIZE
                ? 'The file is larger than 25 MB.'
                : file.size === 0
                  ? 'The file is empty.'
                  : undefined,
    }),
    onSubmit: async (v) => {
      const tags = v.tags
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      const base = { title: v.title.trim(), document_type: v.document_type.trim(), tags };
      const body =
        v.kind === 'file' && file
          ? { ...base, file: { content_type: file.type as FileType, size: file.size }, url: null }
          : { ...base, url: v.url.trim(), file: null };
      try {
        const created = await unwrap(
          api.POST('/v1/admin/partners/{partner_id}/documents', {
            params: { path: { partner_id: partnerId } },
            // The generated type of this oneOf body (exactly one of file and url) cannot be met literally.
            body: body as never,
          }),
        );
        if (created.upload && file) {
          setPhase('uploading');
          setProgress(0);
          await putFile(created.upload, file, { onProgress: (p) => setProgress(p.total ? p.loaded / p.total : 0) });
          setPhase('verifying');
          try {
            const checked = await poll(
              () => findDocument(partnerId, created.id),
              (d) => !d || d.file?.status !== 'uploading',
              { timeoutMs: 60_000 },
            );
            if (checked?.file?.status === 'rejected') {
              throw new ApiProblem({
                status: 422,
                code: 'file_rejected',
                title: 'The file was refused.',
                detail: checked.file.rejection_reason ?? 'It did not match its declared type or size.',
              });
            }
          } catch (e) {
            const p = toProblem(e);
            if (p.code !== 'timeout') throw p;
            toast.info('The file is uploaded and still being checked; it appears as verified shortly.');
          }
        }
        toast.success('Document added.');
        form.reset();
        setFile(null);
        setFileKey((k) => k + 1);
        onCreated();
      } finally {
        setPhase('idle');
      }
    },
  });
  form.register('file');
  const fileError = form.error('file');
  return (
    <Form form={form} class="card stack" aria-label="New document">
      <h3>New document</h3>
      <div class="grid-2">
        <TextField form={form} name="title" label="Title" required maxLength={200} />
        <TextField form={form} name="document_type" label="Document type" required maxLength={50} hint="For example contract, agreement, notes." />
        <TextField form={form} name="tags" label="Tags" optional hint="Separated by commas." class="span-2" />
      </div>
      <RadioGroupField
        form={form}
        name="kind"
        label="Source"
        inline
        options={[
          { value: 'url', label: 'Link' },
          { value: 'file', label: 'File' },
        ]}
      />
      {form.values.kind === 'url' ? (
        <TextField form={form} name="url" label="URL" type="url" inputMode="url" placeholder="https://" required />
      ) : (
        <Field label="File" name="file" id={form.controlId('file')} error={fileError} hint="PDF, Word, Excel, PowerPoint, PNG or JPEG; at most 25 MB." required>
          {(a) => (
            <input
              key={fileKey}
              {...a}
              type="file"
              accept={Object.keys(FILE_TYPES).join(',')}
              onChange={(e) => {
                setFile(e.currentTarget.files?.[0] ?? null);
                form.set('file', e.currentTarget.files?.[0]?.name ?? '');
              }}
            />
          )}
        </Field>
      )}
      {phase === 'uploading' ? <ProgressBar value={progress} label={`Uploading ${file?.name ?? 'the file'}…`} /> : null}
      {phase === 'verifying' ? <ProgressBar label="Checking the file…" /> : null}
      <div class="button-row">
        <SubmitButton form={form} busyLabel={phase === 'verifying' ? 'Checking…' : phase === 'uploading' ? 'Uploading…' : 'Adding…'}>
          Add document
        </SubmitButton>
      </div>
    </Form>
  );
}

export function DocumentsTab({ partnerId }: { partnerId: string }) {
  const me = useMe();
  const staff = useStaff();
  const canCreate = can(me, 'POST /v1/admin/partners/{partner_id}/documents');
  const canDelete = can(me, 'DELETE /v1/admin/documents/{document_id}');
  const [deleting, setDeleting] = useState<Doc | null>(null);
  const [busy, setBusy] = useState(false);
  const [deleteError, setDeleteError] = useState<unknown>(null);
  const pages = useCursorPages(
    (cursor) =>
      unwrap(api.GET('/v1/admin/partners/{partner_id}/documents', { params: { path: { partner_id: partnerId }, query: { cursor, limit: 25 } } })),
    [partnerId],
  );
  const remove = async () => {
    if (!deleting || busy) return;
    setBusy(true);
    setDeleteError(null);
    try {
      await unwrap(api.DELETE('/v1/admin/documents/{document_id}', { params: { path: { document_id: deleting.id } } }));
      toast.success(`Deleted: ${deleting.title}`);
      setDeleting(null);
      pages.reload();
    } catch (e) {
      setDeleteError(e);
    } finally {
      setBusy(false);
    }
  };
  const columns: Column<Doc>[] = [
    {
      key: 'title',
      header: 'Title',
      primary: true,
      render: (d) =>
        d.url ? (
          <a href={d.url} target="_blank" rel="noopener noreferrer">
            {d.title}
            <span class="visually-hidden"> (opens in a new tab)</span>
          </a>
        ) : d.download_url ? (
          <a href={d.download_url} rel="noopener noreferrer">
            {d.title}
            <span class="visually-hidden"> (download)</span>
          </a>
        ) : (
          d.title
        ),
    },
    { key: 'document_type', header: 'Type', render: (d) => d.document_type },
    { key: 'tags', header: 'Tags', hideNarrow: true, render: (d) => d.tags.join(', ') || '—' },
    {
      key: 'file',
      header: 'Kind',
      render: (d) =>
        d.file ? (
          <>
            {FILE_TYPES[d.file.content_type as FileType] ?? 'File'}, {formatBytes(d.file.size)}{' '}
            <StatusBadge status={d.file.status} />
            {d.file.rejection_reason ? <span class="small ops-sub">{d.file.rejection_reason}</span> : null}
          </>
        ) : (
          'Link'
        ),
    },
    { key: 'created_at', header: 'Added', render: (d) => `${formatDate(d.created_at)} · ${actorName(d.created_by, staff)}` },
    ...(canDelete
      ? [
          {
            key: 'actions',
            header: 'Actions',
            render: (d: Doc) => (
              <button
                type="button"
                class="danger"
                aria-label={`Delete ${d.title}`}
                onClick={() => {
                  setDeleteError(null);
                  setDeleting(d);
                }}
              >
                Delete
              </button>
            ),
          },
        ]
      : []),
  ];
  return (
    <div class="stack">
      <h2>Documents</h2>
      <p class="muted small">Internal documents about this partner: never shown to the partner. Download links are valid for a few minutes; reload the list if one has expired.</p>
      {canCreate ? (
        <NewDocumentForm
          partnerId={partnerId}
          onCreated={() => {
            pages.first();
            pages.reload();
          }}
        />
      ) : null}
      <PagedTable
        pages={pages}
        caption="Internal documents"
        columns={columns}
        rowKey={(d) => d.id}
        empty={<EmptyState title="No documents yet" />}
        loadingLabel="Loading documents…"
        pagerLabel="Document pages"
      />
      <ConfirmDialog
        open={deleting !== null}
        title="Delete document"
        confirmLabel="Delete document"
        busyLabel="Deleting…"
        danger
        busy={busy}
        error={deleteError}
        errorTitle="The document was not deleted"
        onConfirm={() => void remove()}
        onClose={() => setDeleting(null)}
      >
        <p>Delete “{deleting?.title}”{deleting?.file ? ' and its file' : ''}? This cannot be undone.</p>
      </ConfirmDialog>
    </div>
  );
}
