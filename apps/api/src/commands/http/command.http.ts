// The HTTP side of a command: its headers in (Idempotency-Key, If-Match,
// Prefer) and its answer out (status, ETag, X-Consistency-Token, Location,
// Retry-After, Idempotent-Replayed), the same for every command endpoint.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProblemException, problems } from '@tasklog/platform/http';
import type { CommandOptions } from '../command.dispatcher.js';
import { rejectionProblem, type DispatchedReply } from '../command-reply.js';

export const COMMAND_HEADERS = {
  consistencyToken: 'x-consistency-token',
  commandId: 'x-command-id',
  replayed: 'idempotent-replayed',
} as const;

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const IF_MATCH = /^\s*(?:"(\d{1,9})"|(\d{1,9})|(\*))\s*$/;

/** Reads the command headers; an invalid one is a 400 naming the header. */
export function commandOptions(request: FastifyRequest, options: { ifMatch: boolean }): CommandOptions {
  const key = single(request.headers['idempotency-key']);
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
    throw problems.validation([{ field: 'Idempotency-Key', messages: ['must be 1–255 visible ASCII characters'] }]);
  }
  const prefer = preferences(single(request.headers['prefer']));
  const waitSeconds = Number(prefer.get('wait'));
  return {
    ...(key === undefined ? {} : { idempotencyKey: key }),
    respondAsync: prefer.has('respond-async'),
    ...(Number.isFinite(waitSeconds) && waitSeconds >= 0 ? { waitMs: waitSeconds * 1000 } : {}),
    ...(options.ifMatch ? expectedVersion(single(request.headers['if-match'])) : {}),
  };
}

function expectedVersion(ifMatch: string | undefined): { expectedVersion?: number } {
  if (ifMatch === undefined) return {};
  const match = IF_MATCH.exec(ifMatch);
  if (!match) {
    throw problems.validation([{ field: 'If-Match', messages: ['must be one ETag of this API, e.g. "3", or *'] }]);
  }
  const version = match[1] ?? match[2];
  // `*`: any current version (the task must exist, which every command but create checks anyway).
  return version === undefined ? {} : { expectedVersion: Number(version) };
}

// RFC 7240: `Prefer: respond-async, wait=10`; parameters after `;` are ignored.
function preferences(header: string | undefined): Map<string, string> {
  const found = new Map<string, string>();
  if (!header) return found;
  for (const part of header.split(',')) {
    const [token = ''] = part.split(';');
    const [name = '', value = ''] = token.split('=').map((s) => s.trim());
    if (name) found.set(name.toLowerCase(), value.replace(/^"|"$/g, ''));
  }
  return found;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export type SuccessStyle = 'created' | 'ok' | 'no-content';

export interface ReplyOptions {
  readonly style: SuccessStyle;
  readonly respondAsync: boolean;
  readonly pendingRetryAfterSeconds: number;
}

/** Sends a dispatched command's answer; a rejection is thrown as its problem (after the headers are set). */
export function sendCommandReply(
  reply: FastifyReply,
  { reply: answer, replayed }: DispatchedReply,
  options: ReplyOptions,
) {
  void reply.header(COMMAND_HEADERS.commandId, answer.commandId);
  if (replayed) void reply.header(COMMAND_HEADERS.replayed, 'true');
  if (answer.kind === 'rejected') throw rejectionProblem(answer.rejection);
  if (answer.kind === 'pending') {
    const statusUrl = `/api/v1/commands/${answer.commandId}`;
    if (options.respondAsync) void reply.header('preference-applied', 'respond-async');
    return reply
      .status(202)
      .header('location', statusUrl)
      .header('retry-after', String(options.pendingRetryAfterSeconds))
      .send({ commandId: answer.commandId, taskId: answer.taskId, status: 'pending', statusUrl });
  }
  void reply.header('etag', `"${answer.version}"`);
  if (answer.consistencyToken) void reply.header(COMMAND_HEADERS.consistencyToken, answer.consistencyToken);
  if (options.style === 'no-content') return reply.status(204).send();
  const body = answer.task ?? { taskId: answer.taskId, version: answer.version };
  if (options.style === 'created') void reply.status(201).header('location', `/api/v1/tasks/${answer.taskId}`);
  else void reply.status(200);
  return reply.send(body);
}

/** A 503 carries Retry-After (the problem filter only adds it to 429s). */
export async function answerCommand(
  reply: FastifyReply,
  dispatch: () => Promise<DispatchedReply>,
  options: ReplyOptions,
): Promise<void> {
  try {
    await sendCommandReply(reply, await dispatch(), options);
  } catch (error) {
    if (error instanceof ProblemException && error.code === 'SERVICE.UNAVAILABLE') {
      void reply.header('retry-after', String(error.extensions['retryAfter'] ?? 1));
    }
    throw error;
  }
}
