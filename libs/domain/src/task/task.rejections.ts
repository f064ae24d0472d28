// Business rejections with stable codes: the HTTP layer maps them to problem
// details (404, 409, 412, 422...), so the codes never change meaning.

export const REJECTION_CODES = [
  'TASK.NOT_FOUND',
  'TASK.ALREADY_EXISTS',
  'TASK.VERSION_CONFLICT',
  'TASK.INVALID_TRANSITION',
  'TASK.DELETED',
  'TASK.VALIDATION',
] as const;

export type RejectionCode = (typeof REJECTION_CODES)[number];

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export interface Rejection {
  readonly code: RejectionCode;
  readonly message: string;
  /** The task's version when the command was judged (0 when it does not exist). */
  readonly currentVersion: number;
  readonly fieldErrors?: readonly FieldError[];
}

export function isRejectionCode(value: unknown): value is RejectionCode {
  return typeof value === 'string' && (REJECTION_CODES as readonly string[]).includes(value);
}

export const rejections = {
  notFound: (taskId: string): Rejection => ({
    code: 'TASK.NOT_FOUND',
    message: `Task ${taskId} does not exist`,
    currentVersion: 0,
  }),
  alreadyExists: (taskId: string, currentVersion: number): Rejection => ({
    code: 'TASK.ALREADY_EXISTS',
    message: `Task ${taskId} already exists`,
    currentVersion,
  }),
  versionConflict: (expected: number, currentVersion: number): Rejection => ({
    code: 'TASK.VERSION_CONFLICT',
    message: `Expected version ${expected} but the task is at version ${currentVersion}`,
    currentVersion,
  }),
  invalidTransition: (from: string, to: string, currentVersion: number): Rejection => ({
    code: 'TASK.INVALID_TRANSITION',
    message: `A task cannot go from ${from} to ${to}`,
    currentVersion,
  }),
  deleted: (taskId: string, currentVersion: number): Rejection => ({
    code: 'TASK.DELETED',
    message: `Task ${taskId} is deleted; only restoring it is allowed`,
    currentVersion,
  }),
  validation: (fieldErrors: readonly FieldError[], currentVersion: number): Rejection => ({
    code: 'TASK.VALIDATION',
    message: `Invalid command: ${fieldErrors.map((error) => `${error.field} ${error.message}`).join('; ')}`,
    currentVersion,
    fieldErrors,
  }),
};
