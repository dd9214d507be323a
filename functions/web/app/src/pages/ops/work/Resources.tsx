import { useEffect, useRef, useState } from 'preact/hooks';
import { api, can, unwrap, useMe, ApiProblem, toProblem, type Schemas } from '../../../api';
import {
  CheckboxField,
  type Column,
  EmptyState,
  Field,
  FilterBar,
  Form,
  type FormApi,
  formatBytes,
  formatDate,
  formatNumber,
  humanize,
  ifMatch,
  Page,
  PagedTable,
  ProgressBar,
  putFile,
  RadioGroupField,
  SelectField,
  StatusBadge,
  SubmitButton,
  TextAreaField,
  TextField,
  toast,
  useCursorPages,
  useForm,
  useQuery,
} from '../../../ui';
import { ActionProblem, ItemDialog, enumOptions, q, useRowAction } from './shared';

type Resource = Schemas['AdminResource'];
type ResourceType = Schemas['ResourceType'];
type Tier = Schemas['Tier'];
type ContentType = Extract<Schemas['ResourceFileDeclaration'], { size: number; content_type: string }>['content_type'];

const TYPES: ResourceType[] = ['brochure', 'presentation', 'price_list', 'product_sheet', 'case_study', 'training_video', 'template', 'other'];
const TIERS: Tier[] = ['registered', 'silver', 'gold', 'platinum'];
const STATUSES: Schemas['ResourceStatus'][] = ['draft', 'published', 'archived'];

const MiB = 1024 * 1024;
/** Accepted file types: by MIME type and extension, with their size limits. */
const FILE_TYPES: { type: ContentType; ext: string[]; max: number }[] = [
  { type: 'application/pdf', ext: ['pdf'], max: 25 * MiB },
  { type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', ext: ['docx'], max: 25 * MiB },
  { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', ext: ['xlsx'], max: 25 * MiB },
  { type: 'application/vnd.openxmlformats-officedocument.presentationml.presentation', ext: ['pptx'], max: 50 * MiB },
  { type: 'image/png', ext: ['png'], max: 10 * MiB },
  { type: 'image/jpeg', ext: ['jpg', 'jpeg'], max: 10 * MiB },
  { type: 'video/mp4', ext: ['mp4'], max: 500 * MiB },
];
const ACCEPT = FILE_TYPES.flatMap((t) => [t.type, ...t.ext.map((e) => `.${e}`)]).join(',');

/** The declaration of a chosen file, or a message why it cannot be uploaded. */
function declare(file: File): { decl: { content_type: ContentType; size: number } } | { error: string } {
  const ext = file.name.split('.').pop()?.toLowerCase() ?? '';
  const t = FILE_TYPES.find((x) => x.type === file.type) ?? FILE_TYPES.find((x) => x.ext.includes(ext));
  if (!t) return { error: 'Choose a PDF, DOCX, XLSX, PPTX, PNG, JPEG or MP4 file.' };
  if (file.size === 0) return { error: 'This file is empty.' };
  if (file.size > t.max) return { error: `This file is ${formatBytes(file.size)}; the limit for this type is ${formatBytes(t.max)}.` };
  return { decl: { content_type: t.type, size: file.size } };
}

function splitTags(text: string): string[] {
  return [...new Set(text.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean))];
}

/** A file input bound to state, labelled "File". */
function FileInput(props: { label: string; file: File | null; onFile: (f: File | null) => void; error?: string; hint?: string; disabled?: boolean; id: string }) {
  return (
    <Field label={props.label} name="file" id={props.id} error={props.error} hint={props.hint ?? 'PDF, DOCX or XLSX up to 25 MB; PPTX up to 50 MB; PNG or JPEG up to 10 MB; MP4 up to 500 MB.'}>
      {(a) => <input {...a} type="file" accept={ACCEPT} disabled={props.disabled} onChange={(e) => props.onFile(e.currentTarget.files?.[0] ?? null)} />}
    </Field>
  );
}

/** Uploads `file` to the presigned URL of an answer, reporting progress (0–1). */
async function upload(answer: Resource, file: File, onProgress: (v: number) => void): Promise<void> {
  if (!answer.upload_url) return;
  onProgress(0);
  await putFile(answer.upload_url, file, { onProgress: (p) => onProgress(p.total ? p.loaded / p.total : 0) });
}

/* ------------------------------------------------------------ metadata fields */

type Meta = {
  title: string;
  description: string;
  type: ResourceType;
  category: string;
  tags: string;
  min_tier: Tier;
  training: boolean;
};

function MetaFields<V extends Meta & Record<string, unknown>>({ form }: { form: FormApi<V> }) {
  return (
    <>
      <TextField form={form} name="title" label="Title" required maxLength={200} />
      <TextAreaField form={form} name="description" label="Description" optional rows={3} maxLength={2000} />
      <div class="grid-2">
        <SelectField form={form} name="type" label="Type" options={enumOptions(TYPES)} />
        <TextField form={form} name="category" label="Category" required maxLength={50} />
      </div>
      <TextField form={form} name="tags" label="Tags" optional hint="Separated by commas (at most 20)." />
      <SelectField form={form} name="min_tier" label="Minimum tier" options={enumOptions(TIERS)} hint="The lowest partner tier that sees it." />
      <CheckboxField form={form} name="training" label="Training material (partners can mark it complete)" />
    </>
  );
}

const metaValidate = (v: Meta) => ({
  title: v.title.trim() ? undefined : 'Enter a title.',
  category: v.category.trim() ? undefined : 'Enter a category.',
  tags: splitTags(v.tags).length > 20 ? 'Use at most 20 tags.' : undefined,
});

/* ------------------------------------------------------------ create */

function NewResourceForm({ onDone, onCancel }: { onDone: () => void; onCancel: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  // A resource created by an earlier attempt whose upload failed: a retry uploads to it.
  const created = useRef<Resource | null>(null);
  const form = useForm({
    initial: {
      title: '',
      description: '',
      type: 'brochure' as ResourceType,
      category: '',
      tags: '',
      min_tier: 'registered' as Tier,
      training: false,
      source: 'file' as 'file' | 'url',
      url: '',
    },
    validate: (v) => {
      const fileCheck = v.source === 'file' ? (file ? declare(file) : { error: 'Choose the file to upload.' }) : null;
      return {
        ...metaValidate(v),
        file: fileCheck && 'error' in fileCheck ? fileCheck.error : undefined,
        url: v.source === 'url' && !/^https:\/\/\S+$/i.test(v.url.trim()) ? 'Enter an https link, such as https://example.com/brochure.' : undefined,
      };
    },
    onSubmit: async (v) => {
      const decl = v.source === 'file' && file ? declare(file) : null;
      const fileDecl = decl && 'decl' in decl ? decl.decl : null;
      let answer: Resource;
      if (created.current && fileDecl) {
        answer = await unwrap(
          api.PATCH('/v1/admin/resources/{resource_id}', {
            params: { path: { resource_id: created.current.id }, header: { 'If-Match': ifMatch(created.current.version) } },
            body: { file: fileDecl },
          }),
        );
      } else {
        const base = {
          title: v.title.trim(),
          description: v.description.trim() || null,
          type: v.type,
          category: v.category.trim(),
          tags: splitTags(v.tags),
          min_tier: v.min_tier,
          training: v.training,
        };
        const body = fileDecl ? { ...base, file: fileDecl, url: null } : { ...base, url: v.url.trim(), file: null };
        answer = await unwrap(
          api.POST('/v1/admin/resources', {
            // The generated type of this body (oneOf branches over the file's limits) admits no literal object; the schema is checked by the API.
            body: body as never,
          }),
        );
      }
      created.current = answer;
      if (file && fileDecl) {
        try {
          await upload(answer, file, setProgress);
        } catch (e) {
          const p = toProblem(e);
          throw new ApiProblem({
            status: p.status,
            code: p.code,
            title: 'The resource was saved as a draft, but its file did not upload.',
            detail: `${p.detail} Submit again to retry the upload.`,
          });
        } finally {
          setProgress(null);
        }
        toast.success(`“${answer.title}” was uploaded as a draft; the file is being checked. Publish it when it is verified.`);
      } else {
        toast.success(`“${answer.title}” was saved as a draft. Publish it to show it to partners.`);
      }
      onDone();
    },
  });
  form.register('file');
  useEffect(() => {
    if (form.values.type === 'training_video') form.set('training', true);
  }, [form.values.type]);
  return (
    <Form form={form} class="stack">
      <MetaFields form={form} />
      <RadioGroupField
        form={form}
        name="source"
        label="Content"
        inline
        options={[
          { value: 'file', label: 'Upload a file' },
          { value: 'url', label: 'External link' },
        ]}
      />
      {form.values.source === 'file' ? (
        <FileInput label="File" id={form.controlId('file')} file={file} onFile={setFile} error={form.error('file')} disabled={form.busy} />
      ) : (
        <TextField form={form} name="url" label="Link" type="url" required placeholder="https://" hint="A public https address." />
      )}
      {progress !== null ? <ProgressBar label={`Uploading ${file?.name ?? 'file'}…`} value={progress} /> : null}
      <div class="button-row">
        <SubmitButton form={form} busyLabel={progress !== null ? 'Uploading…' : 'Saving…'}>
          {created.current ? 'Retry upload' : 'Create resource'}
        </SubmitButton>
        <button type="button" class="secondary" onClick={onCancel}>
          Close
        </button>
      </div>
    </Form>
  );
}

/* ------------------------------------------------------------ edit */

function EditResourceForm({ resource, onDone, onCancel }: { resource: Resource; onDone: () => void; onCancel: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const form = useForm({
    initial: {
      title: resource.title,
      description: resource.description ?? '',
      type: resource.type,
      category: resource.category,
      tags: resource.tags.join(', '),
      min_tier: resource.min_tier,
      training: resource.training,
      status: resource.status,
      url: resource.url ?? '',
    },
    validate: (v) => {
      const fileCheck = file ? declare(file) : null;
      return {
        ...metaValidate(v),
        file: fileCheck && 'error' in fileCheck ? fileCheck.error : undefined,
        url: v.url.trim() && !/^https:\/\/\S+$/i.test(v.url.trim()) ? 'Enter an https link.' : undefined,
      };
    },
    onSubmit: async (v) => {
      const decl = file ? declare(file) : null;
      const fileDecl = decl && 'decl' in decl ? decl.decl : null;
      const newUrl = !fileDecl && v.url.trim() && v.url.trim() !== (resource.url ?? '') ? v.url.trim() : undefined;
      const answer = await unwrap(
        api.PATCH('/v1/admin/resources/{resource_id}', {
          params: { path: { resource_id: resource.id }, header: { 'If-Match': ifMatch(resource.version) } },
          body: {
            title: v.title.trim(),
            description: v.description.trim() || null,
            type: v.type,
            category: v.category.trim(),
            tags: splitTags(v.tags),
            min_tier: v.min_tier,
            training: v.training,
            status: v.status,
            ...(fileDecl ? { file: fileDecl } : {}),
            ...(newUrl ? { url: newUrl } : {}),
          },
        }),
      );
      if (file && fileDecl) {
        try {
          await upload(answer, file, setProgress);
        } finally {
          setProgress(null);
        }
        toast.success('Saved; the new file is being checked. Partners keep the current file until it is verified.');
      } else {
        toast.success('Saved.');
      }
      onDone();
    },
  });
  form.register('file');
  return (
    <Form form={form} class="stack">
      <MetaFields form={form} />
      <SelectField form={form} name="status" label="Status" options={enumOptions(STATUSES)} hint="Publishing needs a verified file or a link; archiving hides it from partners." />
      <FileInput label="Replace file" id={form.controlId('file')} file={file} onFile={setFile} error={form.error('file')} disabled={form.busy} />
      {resource.url || !resource.file ? (
        <TextField form={form} name="url" label="Link" type="url" optional hint="An https link instead of a file." />
      ) : null}
      {progress !== null ? <ProgressBar label={`Uploading ${file?.name ?? 'file'}…`} value={progress} /> : null}
      <div class="button-row">
        <SubmitButton form={form} busyLabel={progress !== null ? 'Uploading…' : 'Saving…'}>
          Save
        </SubmitButton>
        <button type="button" class="secondary" onClick={onCancel}>
          Close
        </button>
      </div>
    </Form>
  );
}

/* ------------------------------------------------------------ page */

function Content({ r }: { r: Resource }) {
  return (
    <>
      {r.url ? (
        <a href={r.url} target="_blank" rel="noopener noreferrer" class="break">
          External link<span class="visually-hidden"> (opens in a new tab)</span>
        </a>
      ) : r.file ? (
        <span>
          File v{r.file.version}, {formatBytes(r.file.size)}
        </span>
      ) : (
        <span class="muted">No file yet</span>
      )}
      {r.upload ? (
        <div class="small">
          <StatusBadge status={r.upload.status} label={r.upload.status === 'uploading' ? 'New file being checked' : 'Upload rejected'} />
          {r.upload.rejection_reason ? <div class="muted">{r.upload.rejection_reason}</div> : null}
        </div>
      ) : null}
    </>
  );
}

export default function Resources() {
  const me = useMe();
  const query = useQuery();
  const mayCreate = can(me, 'POST /v1/admin/resources');
  const mayEdit = can(me, 'PATCH /v1/admin/resources/{resource_id}');
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<Resource | null>(null);
  const action = useRowAction();
  const status = q(query, 'status') as Schemas['ResourceStatus'] | undefined;
  const list = useCursorPages(
    (cursor) => unwrap(api.GET('/v1/admin/resources', { params: { query: { status, cursor, limit: 25 } } })),
    [status],
  );

  const setStatus = (r: Resource, next: 'published' | 'archived') =>
    action
      .run(
        `${r.id}:${next}`,
        () =>
          unwrap(
            api.PATCH('/v1/admin/resources/{resource_id}', {
              params: { path: { resource_id: r.id }, header: { 'If-Match': ifMatch(r.version) } },
              body: { status: next },
            }),
          ),
        next === 'published' ? `“${r.title}” is published.` : `“${r.title}” is archived.`,
      )
      .then((ok) => ok && list.reload());

  const columns: Column<Resource>[] = [
    {
      key: 'title',
      header: 'Title',
      primary: true,
      render: (r) => (
        <>
          {r.title}
          <div class="muted small">
            {humanize(r.type)} · {r.category}
            {r.training ? ' · Training' : ''}
            {r.source ? ' · Managed in the CMS' : ''}
          </div>
        </>
      ),
    },
    { key: 'status', header: 'Status', render: (r) => <StatusBadge status={r.status} /> },
    { key: 'min_tier', header: 'Minimum tier', render: (r) => humanize(r.min_tier) },
    { key: 'content', header: 'Content', render: (r) => <Content r={r} /> },
    {
      key: 'downloads',
      header: 'Downloads',
      align: 'end',
      render: (r) => (
        <span title={`${r.unique_partners} partners`}>
          {formatNumber(r.download_count)}
          <span class="muted small"> ({formatNumber(r.unique_partners)} partners)</span>
        </span>
      ),
    },
    { key: 'updated', header: 'Updated', hideNarrow: true, render: (r) => formatDate(r.updated_at) },
  ];
  if (mayEdit) {
    columns.push({
      key: 'actions',
      header: 'Actions',
      render: (r) => {
        if (r.source) return <span class="muted small">Edited in the CMS</span>;
        const next = r.status === 'published' ? 'archived' : 'published';
        const busyKey = `${r.id}:${next}`;
        return (
          <div class="row-actions">
            <button type="button" class="secondary" onClick={() => setEditing(r)} aria-label={`Edit ${r.title}`}>
              Edit
            </button>
            <button
              type="button"
              class="secondary"
              disabled={!!action.busy}
              aria-busy={action.busy === busyKey ? 'true' : undefined}
              aria-label={`${next === 'published' ? 'Publish' : 'Archive'} ${r.title}`}
              onClick={() => void setStatus(r, next)}
            >
              {action.busy === busyKey ? <span class="spinner spinner-inline" aria-hidden="true" /> : null}
              {next === 'published' ? 'Publish' : 'Archive'}
            </button>
          </div>
        );
      },
    });
  }

  return (
    <Page
      title="Resources"
      lead="Sales material partners download, with its download counts."
      actions={
        mayCreate ? (
          <button type="button" onClick={() => setCreating(true)}>
            New resource
          </button>
        ) : null
      }
    >
      <FilterBar label="Filter resources" filters={[{ name: 'status', label: 'Status', type: 'select', options: enumOptions(STATUSES) }]} />
      <ActionProblem problem={action.problem} onDismiss={action.clear} />
      <PagedTable
        pages={list}
        caption="Resources"
        rowKey={(r) => r.id}
        columns={columns}
        empty={<EmptyState title="No resources yet" />}
        loadingLabel="Loading resources…"
        pagerLabel="Resource pages"
      />
      <ItemDialog item={creating || null} title={() => 'New resource'} onClose={() => setCreating(false)}>
        {() => (
          <NewResourceForm
            onCancel={() => setCreating(false)}
            onDone={() => {
              setCreating(false);
              list.reload();
            }}
          />
        )}
      </ItemDialog>
      <ItemDialog item={editing} title={(r) => `Edit ${r.title}`} onClose={() => setEditing(null)}>
        {(r) => (
          <EditResourceForm
            resource={r}
            onCancel={() => setEditing(null)}
            onDone={() => {
              setEditing(null);
              list.reload();
            }}
          />
        )}
      </ItemDialog>
    </Page>
  );
}
