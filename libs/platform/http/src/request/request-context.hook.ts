import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest, RawRequestDefaultExpression } from 'fastify';
import { runWithRequestContext, type Logger } from '@tasklog/platform/observability';

export const REQUEST_ID_HEADER = 'x-request-id';

// A caller's id is kept only when it is short and plain: it goes into log
// lines and Kafka headers.
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify's genReqId: the caller's X-Request-Id when acceptable, else a new UUID. */
export function requestIdOf(raw: RawRequestDefaultExpression): string {
  const given = raw.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && ACCEPTABLE_ID.test(given) ? given : randomUUID();
}

/**
 * Echoes the request id and makes the request's context (its id and its
 * child logger, which puts `requestId` on every line) async-local for the
 * rest of the request. The context is entered again after body parsing,
 * which runs on stream events outside the onRequest continuation.
 */
export function registerRequestContext(instance: FastifyInstance): void {
  // request.log is a pino child of the app's logger (createHttpApp hands
  // Fastify that logger), typed by Fastify as its narrower interface.
  const enter = (request: FastifyRequest, done: () => void) =>
    runWithRequestContext({ requestId: request.id, logger: request.log as unknown as Logger }, done);
  instance.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    enter(request, done);
  });
  instance.addHook('preValidation', (request, _reply, done) => enter(request, done));
  instance.addHook('preHandler', (request, _reply, done) => enter(request, done));
}
