import { HttpException } from '@nestjs/common';
import { PROBLEM_CATALOGUE, problemType, type ProblemCode } from './problem.catalogue.js';

/** One invalid field of a request body, query or path. */
export interface FieldProblem {
  readonly field: string;
  readonly messages: readonly string[];
}

/** The RFC 9457 members plus Tasklog's stable `code` and any extension members. */
export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  readonly code: ProblemCode;
  readonly [extension: string]: unknown;
}

/**
 * An error that answers as a problem. Built by the small factories below (or
 * `problem(code, …)`), never with a free-form status, so every answer has a
 * catalogued code. Extension members must not reuse the standard names.
 */
export class ProblemException extends HttpException {
  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly extensions: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(detail, PROBLEM_CATALOGUE[code].status, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProblemException';
  }

  toBody(instance: string | undefined): ProblemBody {
    const entry = PROBLEM_CATALOGUE[this.code];
    return {
      ...this.extensions,
      type: problemType(this.code),
      title: entry.title,
      status: entry.status,
      detail: this.detail,
      ...(instance === undefined ? {} : { instance }),
      code: this.code,
    };
  }
}

export function problem(code: ProblemCode, detail: string, extensions?: Record<string, unknown>): ProblemException {
  return new ProblemException(code, detail, extensions);
}

export const problems = {
  unauthenticated: (detail = 'Send a valid bearer token or API key') => problem('AUTH.UNAUTHENTICATED', detail),
  forbidden: (detail = 'The credentials lack the scope this operation needs') => problem('AUTH.FORBIDDEN', detail),
  rateLimited: (retryAfterSeconds: number, detail = 'Too many requests; retry later') =>
    problem('RATE_LIMITED', detail, { retryAfter: retryAfterSeconds }),
  validation: (errors: readonly FieldProblem[]) =>
    problem('REQUEST.VALIDATION', `Invalid ${errors.map((e) => e.field).join(', ')}`, { errors }),
  taskNotFound: (taskId: string) => problem('TASK.NOT_FOUND', `Task ${taskId} does not exist`),
  apiKeyNotFound: (id: string) => problem('API_KEY.NOT_FOUND', `API key ${id} does not exist`),
  unavailable: (detail: string, extensions?: Record<string, unknown>) =>
    problem('SERVICE.UNAVAILABLE', detail, extensions),
};
