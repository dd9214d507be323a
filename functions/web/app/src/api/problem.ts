import type { components } from './schema';

/** The RFC 9457 problem body the API answers with (application/problem+json). */
export type ProblemBody = components['schemas']['Problem'];

/** One invalid field: `field` is a JSON pointer into the request body (`/email`) or a query parameter's name. */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * A failed API call, as every page handles it: `status` (0 for a network failure),
 * `code` (stable machine-readable code, e.g. `invalid_credentials`), a human `title`
 * and `detail`, and field errors keyed by form field name (see {@link fieldKey}).
 */
export class ApiProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly type: string;
  readonly requestId: string | undefined;
  readonly errors: FieldError[];
  /** Field errors by form field name (`email`, `estimated_value.amount_minor`). */
  readonly fieldErrors: Record<string, string>;
  /** Extension members (`existing_id`, `missing`, `allowed`, ...) and anything else sent. */
  readonly body: Record<string, unknown>;

  constructor(init: {
    status: number;
    code?: string;
    title?: string;
    detail?: string;
    type?: string;
    requestId?: string;
    errors?: FieldError[];
    body?: Record<string, unknown>;
  }) {
    const title = init.title || defaultTitle(init.status);
    super(init.detail || title);
    this.name = 'ApiProblem';
    this.status = init.status;
    this.code = init.code ?? (init.status === 0 ? 'network_error' : 'unknown');
    this.title = title;
    this.detail = init.detail || title;
    this.type = init.type ?? 'about:blank';
    this.requestId = init.requestId;
    this.errors = init.errors ?? [];
    this.body = init.body ?? {};
    const fieldErrors: Record<string, string> = {};
    for (const e of this.errors) {
      const key = fieldKey(e.field);
      // Keep the first message per field: it is usually the most fundamental.
      if (!(key in fieldErrors)) fieldErrors[key] = e.message;
    }
    this.fieldErrors = fieldErrors;
  }

  /** True when the request never got an answer (offline, DNS, CORS, aborted). */
  get isNetworkError(): boolean {
    return this.status === 0;
  }
}

/** JSON pointer (`/address/city`, `/items/0`) → form field name (`address.city`, `items.0`). */
export function fieldKey(pointer: string): string {
  if (!pointer.startsWith('/')) return pointer;
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

function defaultTitle(status: number): string {
  if (status === 0) return 'Could not reach the server. Check your connection and try again.';
  if (status === 401) return 'Please sign in again.';
  if (status === 403) return 'You do not have access to this.';
  if (status === 404) return 'Not found.';
  if (status === 409) return 'This conflicts with the current state.';
  if (status === 412) return 'Someone else changed this in the meantime. Reload and try again.';
  if (status === 429) return 'Too many attempts. Please wait a moment and try again.';
  if (status >= 500) return 'Something went wrong on our side. Please try again.';
  return 'The request could not be completed.';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Turns whatever a failed call produced (a parsed problem body, text, an exception)
 * into an {@link ApiProblem}. `response` supplies the status when the body lacks it.
 */
export function toProblem(error: unknown, response?: Response): ApiProblem {
  if (error instanceof ApiProblem) return error;
  const status = response?.status ?? 0;
  if (isRecord(error)) {
    const errors = Array.isArray(error.errors)
      ? error.errors
          .filter(isRecord)
          .map((e) => ({ field: String(e.field ?? ''), message: String(e.message ?? '') }))
      : [];
    return new ApiProblem({
      status: typeof error.status === 'number' ? error.status : status,
      code: typeof error.code === 'string' ? error.code : undefined,
      title: typeof error.title === 'string' ? error.title : undefined,
      detail: typeof error.detail === 'string' ? error.detail : undefined,
      type: typeof error.type === 'string' ? error.type : undefined,
      requestId:
        typeof error.request_id === 'string'
          ? error.request_id
          : (response?.headers.get('x-request-id') ?? undefined),
      errors,
      body: error,
    });
  }
  if (error instanceof DOMException && error.name === 'AbortError') {
    return new ApiProblem({ status: 0, code: 'aborted', title: 'The request was cancelled.' });
  }
  if (error instanceof Error && !response) {
    return new ApiProblem({ status: 0 });
  }
  return new ApiProblem({ status });
}
