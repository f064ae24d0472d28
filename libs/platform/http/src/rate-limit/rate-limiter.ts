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
  ) {}

  /** Counts one hit of `key` and tells whether it is within `rule`. */
  hit(limiter: string, key: string, rule: RateLimitRule): Promise<RateLimitOutcome> {
    return this.run(limiter, HIT_SCRIPT, key, rule, 0);
  }

  /** Tells whether `key` is already over `rule` without counting (the hit is counted elsewhere). */
  peek(limiter: string, key: string, rule: RateLimitRule): Promise<RateLimitOutcome> {
    return this.run(limiter, PEEK_SCRIPT, key, rule, 1);
  }

  private async run(
    limiter: string,
    script: string,
    key: string,
    rule: RateLimitRule,
    headroom: number,
  ): Promise<RateLimitOutcome> {
    const windowMs = rule.windowSeconds * 1000;
    try {
      const reply = await withTimeout(
        this.redis.eval(script, 1, `ratelimit:${limiter}:${key}`, windowMs),
        this.timeoutMs,
        'redis',
      );
      const [count, ttl] = reply as [number, number];
      const resetSeconds = Math.max(1, Math.ceil((ttl > 0 ? ttl : windowMs) / 1000));
      return {
        kind: 'counted',
        allowed: count + headroom <= rule.limit,
        limit: rule.limit,
        remaining: Math.max(0, rule.limit - count - headroom),
        resetSeconds,
      };
    } catch (error) {
      this.reportFailOpen(limiter, error);
      return { kind: 'unavailable' };
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
