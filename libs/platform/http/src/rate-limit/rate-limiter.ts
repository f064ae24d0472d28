import type { Redis } from '@tasklog/platform/redis';
import { counter, type Logger } from '@tasklog/platform/observability';
import { withTimeout } from '../with-timeout.js';

export interface RateLimitRule {
  readonly limit: number;
  readonly windowSeconds: number;
}

export type RateLimitOutcome =
  | {
      readonly kind: 'counted';
      readonly allowed: boolean;
      readonly limit: number;
      readonly remaining: number;
      readonly resetSeconds: number;
    }
  | { readonly kind: 'unavailable' };

// One round trip: count the hit and start the window on the first one. The
// TTL check repairs a key that lost its expiry, so no counter lives forever.
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}`;

const PEEK_SCRIPT = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
local ttl = redis.call('PTTL', KEYS[1])
return {count, ttl}`;

// An authenticated request in one round trip: is its address blocked
// (KEYS[1], at ARGV[1] failures or more)? If so, nothing is counted;
// otherwise count the principal's hit (KEYS[2], window ARGV[2] ms).
const ADMIT_SCRIPT = `
local failures = tonumber(redis.call('GET', KEYS[1]) or '0')
if failures >= tonumber(ARGV[1]) then
  return {1, failures, redis.call('PTTL', KEYS[1])}
end
local count = redis.call('INCR', KEYS[2])
local ttl = redis.call('PTTL', KEYS[2])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {0, count, ttl}`;

// Sent by SHA (EVALSHA) once Redis knows them; ioredis loads a script again after NOSCRIPT.
const SCRIPTS = {
  tasklogRateHit: { numberOfKeys: 1, lua: HIT_SCRIPT },
  tasklogRatePeek: { numberOfKeys: 1, lua: PEEK_SCRIPT },
  tasklogRateAdmit: { numberOfKeys: 2, lua: ADMIT_SCRIPT },
} as const;
type ScriptName = keyof typeof SCRIPTS;
type ScriptCall = (...keysAndArgs: (string | number)[]) => Promise<unknown>;

export type CountedOutcome = Extract<RateLimitOutcome, { kind: 'counted' }>;

/** Of an authenticated request: its address's block, if any, or its principal's count. */
export type AdmitOutcome =
  | { readonly kind: 'blocked'; readonly address: CountedOutcome }
  | { readonly kind: 'admitted'; readonly principal: CountedOutcome }
  | { readonly kind: 'unavailable' };

const failOpen = counter({
  name: 'rate_limiter_fail_open_total',
  help: 'Requests let through without a rate-limit decision because Redis did not answer',
  labelNames: ['limiter'],
});

/**
 * Fixed-window counters in Redis (ADR 0006). Redis trouble never blocks or
 * slows a request beyond the client's command timeout: the limiter answers
 * `unavailable`, counts it in a metric and logs it (at most every 10 s), and
 * the caller lets the request through.
 */
export class RateLimiter {
  private lastWarnAt = 0;

  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
    private readonly timeoutMs = 500,
  ) {
    for (const [name, definition] of Object.entries(SCRIPTS)) redis.defineCommand(name, definition);
  }

  /** Counts one hit of `key` and tells whether it is within `rule`. */
  async hit(limiter: string, key: string, rule: RateLimitRule): Promise<RateLimitOutcome> {
    const reply = await this.run(limiter, 'tasklogRateHit', [`ratelimit:${limiter}:${key}`, rule.windowSeconds * 1000]);
    return reply ? counted(reply as [number, number], rule, 0) : UNAVAILABLE;
  }

  /** Tells whether `key` is already over `rule` without counting (the hit is counted elsewhere). */
  async peek(limiter: string, key: string, rule: RateLimitRule): Promise<RateLimitOutcome> {
    const reply = await this.run(limiter, 'tasklogRatePeek', [`ratelimit:${limiter}:${key}`]);
    return reply ? counted(reply as [number, number], rule, 1) : UNAVAILABLE;
  }

  /**
   * One round trip for an authenticated request: refused when `blocker` (e.g.
   * the address's authentication failures) is already at its limit, counted
   * under `counter` otherwise. Fails open like the rest (`unavailable`).
   */
  async admit(
    counter: { readonly limiter: string; readonly key: string; readonly rule: RateLimitRule },
    blocker: { readonly limiter: string; readonly key: string; readonly rule: RateLimitRule },
  ): Promise<AdmitOutcome> {
    const reply = await this.run(counter.limiter, 'tasklogRateAdmit', [
      `ratelimit:${blocker.limiter}:${blocker.key}`,
      `ratelimit:${counter.limiter}:${counter.key}`,
      blocker.rule.limit,
      counter.rule.windowSeconds * 1000,
    ]);
    if (!reply) return UNAVAILABLE;
    const [blocked, count, ttl] = reply as [number, number, number];
    return blocked === 1
      ? { kind: 'blocked', address: counted([count, ttl], blocker.rule, 1) }
      : { kind: 'admitted', principal: counted([count, ttl], counter.rule, 0) };
  }

  private async run(limiter: string, script: ScriptName, keysAndArgs: (string | number)[]): Promise<unknown> {
    try {
      const call = (this.redis as unknown as Record<ScriptName, ScriptCall>)[script].bind(this.redis);
      return await withTimeout(call(...keysAndArgs), this.timeoutMs, 'redis');
    } catch (error) {
      this.reportFailOpen(limiter, error);
      return undefined;
    }
  }

  private reportFailOpen(limiter: string, error: unknown): void {
    failOpen.inc({ limiter });
    const now = Date.now();
    if (now - this.lastWarnAt < 10_000) return;
    this.lastWarnAt = now;
    this.logger.warn(
      { err: error instanceof Error ? error.message : String(error), limiter },
      'rate limiter unavailable: failing open',
    );
  }
}

const UNAVAILABLE: RateLimitOutcome & AdmitOutcome = { kind: 'unavailable' };

function counted([count, ttl]: [number, number], rule: RateLimitRule, headroom: number): CountedOutcome {
  const windowMs = rule.windowSeconds * 1000;
  return {
    kind: 'counted',
    allowed: count + headroom <= rule.limit,
    limit: rule.limit,
    remaining: Math.max(0, rule.limit - count - headroom),
    resetSeconds: Math.max(1, Math.ceil((ttl > 0 ? ttl : windowMs) / 1000)),
  };
}
