// OpenAPI decorators shared by the command endpoints: request headers,
// success responses with their headers, and the problems each can answer.
import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiHeader, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { CommandPendingResponse, CommandProblemResponse } from './task-command.responses.js';

const header = (description: string, example?: string) => ({
  description,
  schema: { type: 'string', ...(example ? { example } : {}) },
});

export const SUCCESS_HEADERS = {
  ETag: header('The task version, quoted: send it back as If-Match', '"2"'),
  'X-Consistency-Token': header(
    "partition:offset of the task's last event; send it to the query endpoints to read your own write",
    '2:1841',
  ),
  'X-Command-Id': header('The command id (GET /api/v1/commands/{id})'),
  'Idempotent-Replayed': header('true when this is the stored answer of an earlier request with the same key', 'true'),
};

const PROBLEM_EXAMPLES: Record<number, { code: string; detail: string; description: string }> = {
  400: {
    code: 'REQUEST.VALIDATION',
    detail: 'Invalid taskTitle',
    description: 'Invalid body or header (errors names each field), or TASK.VALIDATION from the domain',
  },
  401: {
    code: 'AUTH.UNAUTHENTICATED',
    detail: 'Send a valid bearer token or API key',
    description: 'No or invalid credentials',
  },
  403: {
    code: 'AUTH.FORBIDDEN',
    detail: 'The credentials lack the scope this operation needs',
    description: 'Missing scope, or userId of another user without the admin scope',
  },
  404: {
    code: 'TASK.NOT_FOUND',
    detail: 'Task 0193… does not exist',
    description: "No such task, or another user's task",
  },
  409: {
    code: 'TASK.INVALID_TRANSITION',
    detail: 'A task cannot go from COMPLETED to BLOCKED',
    description: 'TASK.INVALID_TRANSITION, TASK.DELETED or TASK.ALREADY_EXISTS',
  },
  412: {
    code: 'TASK.VERSION_CONFLICT',
    detail: 'Expected version 2 but the task is at version 3',
    description: 'If-Match names another version; currentVersion tells the current one',
  },
  422: {
    code: 'IDEMPOTENCY.KEY_REUSED',
    detail: 'This Idempotency-Key was used with another request',
    description: 'The Idempotency-Key was used with a different request',
  },
  429: {
    code: 'RATE_LIMITED',
    detail: 'Too many requests; retry later',
    description: 'Rate limit exceeded (Retry-After)',
  },
  503: {
    code: 'SERVICE.UNAVAILABLE',
    detail: 'The command log did not confirm the command',
    description:
      'Kafka did not acknowledge in time: the command is not confirmed. Retry-After; resend with the same Idempotency-Key',
  },
};

/** Problem responses (application/problem+json) for the given statuses. */
export function ApiProblems(...statuses: number[]) {
  return applyDecorators(
    ApiExtraModels(CommandProblemResponse),
    ...statuses.map((status) => {
      const example = PROBLEM_EXAMPLES[status]!;
      return ApiResponse({
        status,
        description: example.description,
        ...(status === 503 ? { headers: { 'Retry-After': header('Seconds to wait before resending', '5') } } : {}),
        content: {
          'application/problem+json': {
            schema: { $ref: getSchemaPath(CommandProblemResponse) },
            example: { type: 'https://tasklog.dev/problems/…', status, code: example.code, detail: example.detail },
          },
        },
      });
    }),
  );
}

/** Idempotency-Key, Prefer and (for commands on an existing task) If-Match, plus the 202 fallback. */
export function ApiCommandHeaders(options: { ifMatch: boolean }) {
  return applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description:
        'Makes the command safe to retry for 24 h: the same key and request replay the first answer ' +
        '(Idempotent-Replayed: true); the same key with another request is 422. Scoped to the user.',
      example: '3b1f6d2e-order-42',
    }),
    ApiHeader({
      name: 'Prefer',
      required: false,
      description:
        '`respond-async`: answer 202 as soon as the command is stored. `wait=<seconds>`: wait at most that long for the outcome',
      example: 'respond-async',
    }),
    ...(options.ifMatch
      ? [
          ApiHeader({
            name: 'If-Match',
            required: false,
            description: 'The version the task must be at ("<version>" from ETag); otherwise 412',
            example: '"2"',
          }),
        ]
      : []),
    ApiResponse({
      status: 202,
      type: CommandPendingResponse,
      description:
        'Stored on the command log, outcome not known yet (Prefer: respond-async, or the wait timed out). ' +
        'The command will be processed; poll the Location',
      headers: {
        Location: header('The command status URL', '/api/v1/commands/5f0c2a8e-…'),
        'Retry-After': header('Seconds before polling', '1'),
        'X-Command-Id': SUCCESS_HEADERS['X-Command-Id'],
      },
    }),
  );
}
