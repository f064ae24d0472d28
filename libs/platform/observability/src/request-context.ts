import { AsyncLocalStorage } from 'node:async_hooks';
import { context, propagation } from '@opentelemetry/api';
import type { Logger } from 'pino';

/** What a unit of work (an HTTP request, a consumed record) carries along. */
export interface RequestContext {
  readonly requestId: string;
  readonly logger: Logger;
}

// Async-local so that code far from the request (a Kafka producer, a
// repository) can tag its work with the request id without it being threaded
// through every signature.
const storage = new AsyncLocalStorage<RequestContext>();

export function runWithRequestContext<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

/**
 * Headers to put on a Kafka record produced on behalf of the current request:
 * the request id as `correlation-id` (DESIGN.md §3) and the W3C trace context.
 */
export function correlationHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const ctx = storage.getStore();
  if (ctx) headers['correlation-id'] = ctx.requestId;
  propagation.inject(context.active(), headers);
  return headers;
}
