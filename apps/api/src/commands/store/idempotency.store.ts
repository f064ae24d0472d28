// Idempotency-Key records in Redis (ADR 0011): scoped to the user, kept 24 h,
// claimed with SET NX together with a fingerprint of the request, completed
// with the request's final answer. When Redis does not answer, the caller
// goes on unprotected by this store: the command and task ids derived from
// the key still let the processor recognise the retry.
import { createHash } from 'node:crypto';
import type { Logger } from '@tasklog/platform/observability';
import type { Redis } from '@tasklog/platform/redis';
import type { CommandReply } from '../command-reply.js';

export interface IdempotencyRecord {
  readonly fingerprint: string;
  readonly commandId: string;
  readonly taskId: string;
  /** The final answer (accepted or rejected), once known. */
  readonly reply?: CommandReply;
}

export type IdempotencyClaim =
  | { readonly kind: 'first' }
  /** Same key and request, answered before: answer the same again. */
  | { readonly kind: 'replay'; readonly reply: CommandReply }
  /** Same key and request, not answered yet (in flight, or answered 202/503). */
  | { readonly kind: 'repeat' }
  /** Same key, another request. */
  | { readonly kind: 'mismatch' }
  | { readonly kind: 'unavailable' };

export class IdempotencyStore {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
    private readonly logger: Logger,
  ) {}

  async claim(userId: string, key: string, record: IdempotencyRecord): Promise<IdempotencyClaim> {
    const redisKey = keyOf(userId, key);
    try {
      const created = await this.redis.set(redisKey, JSON.stringify(record), 'EX', this.ttlSeconds, 'NX');
      if (created === 'OK') return { kind: 'first' };
      const stored = await this.redis.get(redisKey);
      // Expired between the two calls: nobody holds it any more.
      if (stored === null) return { kind: 'first' };
      const earlier = JSON.parse(stored) as IdempotencyRecord;
      if (earlier.fingerprint !== record.fingerprint) return { kind: 'mismatch' };
      return earlier.reply ? { kind: 'replay', reply: earlier.reply } : { kind: 'repeat' };
    } catch (error) {
      this.logger.warn({ err: String(error) }, 'idempotency store unavailable: relying on the derived command id');
      return { kind: 'unavailable' };
    }
  }

  /** Stores the final answer; the record keeps the expiry its first request set. */
  async complete(userId: string, key: string, record: IdempotencyRecord): Promise<void> {
    try {
      await this.redis.call('SET', keyOf(userId, key), JSON.stringify(record), 'XX', 'KEEPTTL');
    } catch (error) {
      this.logger.warn({ err: String(error) }, 'idempotent answer not stored');
    }
  }
}

// Hashed: keys are client text of any shape, and the user id is part of the scope.
export function keyOf(userId: string, key: string): string {
  return `commands:idempotency:${createHash('sha256')
    .update(JSON.stringify([userId, key]))
    .digest('base64url')}`;
}

/** Fingerprint of a request: the operation, its target and its canonical body. */
export function fingerprintOf(operation: string, target: unknown, input: unknown): string {
  return createHash('sha256')
    .update(canonicalJson([operation, target ?? null, input ?? null]))
    .digest('base64url');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
