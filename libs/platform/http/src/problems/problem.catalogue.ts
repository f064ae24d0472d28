// The one catalogue of error codes the HTTP edge answers with (RFC 9457
// problem details). Codes are stable: clients branch on `code`, so a code
// never changes meaning; new failures get new codes. Documented in
// docs/errors.md, which a unit spec keeps in step with this file.

export const PROBLEM_TYPE_BASE = 'https://tasklog.dev/problems/';

interface CatalogueEntry {
  readonly status: number;
  readonly title: string;
  /** Last segment of the `type` URI. */
  readonly slug: string;
}

export const PROBLEM_CATALOGUE = {
  'AUTH.UNAUTHENTICATED': { status: 401, title: 'Authentication required', slug: 'unauthenticated' },
  'AUTH.FORBIDDEN': { status: 403, title: 'Not allowed', slug: 'forbidden' },
  RATE_LIMITED: { status: 429, title: 'Too many requests', slug: 'rate-limited' },
  'REQUEST.VALIDATION': { status: 400, title: 'Invalid request', slug: 'validation' },
  'REQUEST.MALFORMED': { status: 400, title: 'Malformed request', slug: 'malformed-request' },
  'REQUEST.NOT_FOUND': { status: 404, title: 'No such endpoint', slug: 'endpoint-not-found' },
  'REQUEST.TOO_LARGE': { status: 413, title: 'Request body too large', slug: 'request-too-large' },
  'REQUEST.UNSUPPORTED_MEDIA_TYPE': { status: 415, title: 'Unsupported media type', slug: 'unsupported-media-type' },
  'API_KEY.NOT_FOUND': { status: 404, title: 'API key not found', slug: 'api-key-not-found' },
  'TASK.NOT_FOUND': { status: 404, title: 'Task not found', slug: 'task-not-found' },
  'TASK.VERSION_CONFLICT': { status: 412, title: 'Task version does not match', slug: 'task-version-conflict' },
  'TASK.INVALID_TRANSITION': { status: 409, title: 'Status change not allowed', slug: 'task-invalid-transition' },
  'TASK.ALREADY_EXISTS': { status: 409, title: 'Task already exists', slug: 'task-already-exists' },
  'TASK.DELETED': { status: 409, title: 'Task is deleted', slug: 'task-deleted' },
  'TASK.VALIDATION': { status: 400, title: 'Invalid task', slug: 'task-validation' },
  'COMMAND.NOT_FOUND': { status: 404, title: 'Command not found', slug: 'command-not-found' },
  'IDEMPOTENCY.KEY_REUSED': {
    status: 422,
    title: 'Idempotency key reused with another request',
    slug: 'idempotency-key-reused',
  },
  'PROJECTION.NOT_FOUND': { status: 404, title: 'Projection not found', slug: 'projection-not-found' },
  'PROJECTION.REBUILD_IN_PROGRESS': {
    status: 409,
    title: 'A rebuild of this projection is already running',
    slug: 'projection-rebuild-in-progress',
  },
  'SERVICE.UNAVAILABLE': { status: 503, title: 'Service unavailable', slug: 'service-unavailable' },
  INTERNAL: { status: 500, title: 'Internal error', slug: 'internal' },
} as const satisfies Record<string, CatalogueEntry>;

export type ProblemCode = keyof typeof PROBLEM_CATALOGUE;

export function isProblemCode(value: unknown): value is ProblemCode {
  return typeof value === 'string' && Object.hasOwn(PROBLEM_CATALOGUE, value);
}

export function problemType(code: ProblemCode): string {
  return PROBLEM_TYPE_BASE + PROBLEM_CATALOGUE[code].slug;
}

/** The code a bare HTTP status maps to when no code was given (framework errors). */
export function codeForStatus(status: number): ProblemCode {
  const byStatus: Record<number, ProblemCode> = {
    400: 'REQUEST.MALFORMED',
    401: 'AUTH.UNAUTHENTICATED',
    403: 'AUTH.FORBIDDEN',
    404: 'REQUEST.NOT_FOUND',
    413: 'REQUEST.TOO_LARGE',
    415: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
    429: 'RATE_LIMITED',
    503: 'SERVICE.UNAVAILABLE',
  };
  return byStatus[status] ?? (status >= 500 ? 'INTERNAL' : 'REQUEST.MALFORMED');
}
