import { useRef, useState } from 'preact/hooks';
import type { components } from '../api/schema';
import { api, unwrap } from '../api/client';
import { ApiProblem, toProblem } from '../api/problem';

/**
 * Uploads go straight to storage with a presigned PUT:
 *   1. ask the API for an upload (`POST /v1/kyc/documents`, `/v1/partner/logo`,
 *      `/v1/leads/{id}/attachments`, ...) → `{ ..., upload: { url, method: 'PUT', headers, expires_at } }`;
 *   2. PUT the bytes to `upload.url` with exactly `upload.headers` (XMLHttpRequest, for progress);
 *   3. the server verifies the object itself (bucket event: size, type, magic bytes); the
 *      client does not confirm anything, it polls the object's status until it leaves `uploading`.
 */

export type PresignedUpload = components['schemas']['PresignedUpload'];
export type KycDocument = components['schemas']['KycDocument'];
export type DocumentType = components['schemas']['DocumentType'];

export interface Progress {
  loaded: number;
  total: number;
}

/** PUTs a file to a presigned URL, reporting progress. Rejects with an ApiProblem. */
export function putFile(
  upload: PresignedUpload,
  file: Blob,
  opts: { onProgress?: (p: Progress) => void; signal?: AbortSignal } = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(upload.method || 'PUT', upload.url);
    for (const [k, v] of Object.entries(upload.headers ?? {})) {
      // The browser sets these itself; setting them throws.
      if (/^(content-length|host)$/i.test(k)) continue;
      xhr.setRequestHeader(k, v);
    }
    xhr.upload.onprogress = (e) => opts.onProgress?.({ loaded: e.loaded, total: e.lengthComputable ? e.total : file.size });
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        opts.onProgress?.({ loaded: file.size, total: file.size });
        resolve();
      } else {
        reject(
          new ApiProblem({
            status: xhr.status,
            code: 'upload_failed',
            title: 'The upload failed.',
            detail: xhr.status === 403 ? 'The upload link has expired. Please try again.' : 'The file could not be stored. Please try again.',
          }),
        );
      }
    };
    xhr.onerror = () => reject(new ApiProblem({ status: 0, code: 'upload_failed', title: 'The upload failed: no connection.' }));
    xhr.onabort = () => reject(new ApiProblem({ status: 0, code: 'aborted', title: 'The upload was cancelled.' }));
    opts.signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

/**
 * Requests a presigned upload with `request`, then PUTs `file`; resolves with the API's
 * answer to the request (e.g. `{ document, upload }`).
 */
export async function uploadFile<R extends { upload: PresignedUpload }>(opts: {
  file: File;
  request: () => Promise<R>;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}): Promise<R> {
  const answer = await opts.request();
  await putFile(answer.upload, opts.file, { onProgress: opts.onProgress, signal: opts.signal });
  return answer;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(new ApiProblem({ status: 0, code: 'aborted', title: 'Cancelled.' }));
      },
      { once: true },
    );
  });
}

/**
 * Calls `load` until `done(result)` (backing off from `intervalMs` up to 10 s); rejects
 * after `timeoutMs`, with the last result available on the problem's body as `last`.
 */
export async function poll<T>(
  load: () => Promise<T>,
  done: (value: T) => boolean,
  opts: { intervalMs?: number; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let interval = opts.intervalMs ?? 1500;
  for (;;) {
    const value = await load();
    if (done(value)) return value;
    if (Date.now() + interval > deadline) {
      throw new ApiProblem({
        status: 0,
        code: 'timeout',
        title: 'This is taking longer than expected.',
        detail: 'The file is still being checked. Refresh the page in a minute to see its status.',
        body: { last: value },
      });
    }
    await sleep(interval, opts.signal);
    interval = Math.min(10_000, Math.round(interval * 1.5));
  }
}

/** Finds one KYC document by id (the list is the only read the API offers). */
export async function findKycDocument(id: string): Promise<KycDocument | undefined> {
  let cursor: string | undefined;
  for (let page = 0; page < 10; page++) {
    const res = await unwrap(api.GET('/v1/kyc/documents', { params: { query: { limit: 100, cursor } } }));
    const doc = res.items.find((d) => d.id === id);
    if (doc || !res.next_cursor) return doc;
    cursor = res.next_cursor;
  }
  return undefined;
}

/**
 * The whole KYC upload: record the document, PUT the file, then wait until the server's
 * verifier has looked at it. Resolves with the document (`pending` review, or `rejected`
 * with `rejection_reason` when the file did not match its declared type).
 */
export async function uploadKycDocument(opts: {
  file: File;
  documentType: DocumentType;
  expiresOn?: string | null;
  onProgress?: (p: Progress) => void;
  onVerifying?: () => void;
  signal?: AbortSignal;
}): Promise<KycDocument> {
  const { document } = await uploadFile({
    file: opts.file,
    onProgress: opts.onProgress,
    signal: opts.signal,
    request: () =>
      unwrap(
        api.POST('/v1/kyc/documents', {
          body: {
            document_type: opts.documentType,
            file_name: opts.file.name,
            content_type: opts.file.type as 'application/pdf' | 'image/jpeg' | 'image/png',
            size: opts.file.size,
            expires_on: opts.expiresOn || null,
          },
        }),
      ),
  });
  opts.onVerifying?.();
  const checked = await poll(
    () => findKycDocument(document.id),
    (d) => !d || d.verification_status !== 'uploading',
    { signal: opts.signal },
  );
  return checked ?? document;
}

export type UploadPhase = 'idle' | 'uploading' | 'verifying' | 'done' | 'error';

/**
 * State for an upload control: phase, progress (0–1) and error, plus `run` and `cancel`.
 *
 *   const up = useUpload();
 *   await up.run((h) => uploadKycDocument({ file, documentType, ...h }));
 *   {up.phase === 'uploading' && <ProgressBar label="Uploading…" value={up.progress} />}
 */
export function useUpload() {
  const [phase, setPhase] = useState<UploadPhase>('idle');
  const [progress, setProgress] = useState(0);
  const [error, setError] = useState<ApiProblem | undefined>();
  const ctrl = useRef<AbortController | null>(null);
  async function run<T>(
    task: (hooks: { onProgress: (p: Progress) => void; onVerifying: () => void; signal: AbortSignal }) => Promise<T>,
  ): Promise<T | undefined> {
    ctrl.current?.abort();
    const c = new AbortController();
    ctrl.current = c;
    setPhase('uploading');
    setProgress(0);
    setError(undefined);
    try {
      const result = await task({
        onProgress: (p) => setProgress(p.total ? p.loaded / p.total : 0),
        onVerifying: () => setPhase('verifying'),
        signal: c.signal,
      });
      setPhase('done');
      return result;
    } catch (e) {
      setError(toProblem(e));
      setPhase('error');
      return undefined;
    }
  }
  return { phase, progress, error, run, cancel: () => ctrl.current?.abort() };
}
