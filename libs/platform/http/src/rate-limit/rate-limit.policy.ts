import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimitConfig } from '../http.config.js';
import { problems } from '../problems/problem.exception.js';
import { rateLimitKey, type Principal } from '../auth/principal.js';
import { RateLimiter, type CountedOutcome, type RateLimitRule } from './rate-limiter.js';

/** Addresses remembered as blocked (per instance): refused before authentication is even tried. */
const MAX_REMEMBERED_BLOCKS = 10_000;

/**
 * The edge's two limits (DESIGN.md §7, after the seeds): requests per
 * principal, and authentication failures per client address. Sets the
 * RateLimit-* headers (draft-ietf-httpapi-ratelimit-headers) and answers 429
 * with Retry-After; an unavailable Redis lets the request through. An
 * authenticated request costs one Redis round trip (its address's block and
 * its principal's count in one script, ADR 0031); an address this instance
 * has seen blocked is refused from memory until its window ends.
 */
export class RateLimitPolicy {
  private readonly api: RateLimitRule;
  private readonly auth: RateLimitRule;
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    private readonly limiter: RateLimiter,
    private readonly config: RateLimitConfig,
  ) {
    this.api = { limit: config.apiLimit, windowSeconds: config.apiWindowSeconds };
    this.auth = { limit: config.authFailureLimit, windowSeconds: config.authFailureWindowSeconds };
  }

  /**
   * Counts an authenticated request against its principal's limit (429 past
   * it), unless its address is blocked for authentication failures (429).
   */
  async admit(principal: Principal, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (!this.config.enabled) return;
    const outcome = await this.limiter.admit(
      { limiter: 'api', key: rateLimitKey(principal), rule: this.api },
      { limiter: 'auth', key: request.ip, rule: this.auth },
    );
    if (outcome.kind === 'unavailable') return;
    if (outcome.kind === 'blocked') throw this.block(request.ip, outcome.address, reply);
    setHeaders(reply, outcome.principal, this.api);
    if (!outcome.principal.allowed) {
      throw refusal(reply, outcome.principal.resetSeconds, 'Request limit reached for these credentials');
    }
  }

  /** Refuses, before authentication, a client address this instance has seen use up its authentication failures. */
  refuseBlockedAddress(request: FastifyRequest, reply: FastifyReply): void {
    if (!this.config.enabled || this.blockedUntil.size === 0) return;
    const until = this.blockedUntil.get(request.ip);
    if (until === undefined) return;
    const left = until - Date.now();
    if (left <= 0) this.blockedUntil.delete(request.ip);
    else throw refusal(reply, Math.ceil(left / 1000), tooManyFailures);
  }

  /** Counts a failed authentication; throws 429 instead of 401 once the address is over its limit. */
  async countAuthFailure(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (!this.config.enabled) return;
    const outcome = await this.limiter.hit('auth', request.ip, this.auth);
    if (outcome.kind === 'counted' && !outcome.allowed) throw this.block(request.ip, outcome, reply);
  }

  private block(address: string, outcome: CountedOutcome, reply: FastifyReply) {
    if (this.blockedUntil.size >= MAX_REMEMBERED_BLOCKS)
      this.blockedUntil.delete(this.blockedUntil.keys().next().value!);
    this.blockedUntil.set(address, Date.now() + outcome.resetSeconds * 1000);
    return refusal(reply, outcome.resetSeconds, tooManyFailures);
  }
}

const tooManyFailures = 'Too many failed authentication attempts from this address';

function setHeaders(reply: FastifyReply, outcome: CountedOutcome, rule: RateLimitRule): void {
  void reply.headers({
    'ratelimit-limit': String(outcome.limit),
    'ratelimit-remaining': String(outcome.remaining),
    'ratelimit-reset': String(outcome.resetSeconds),
    'ratelimit-policy': `${rule.limit};w=${rule.windowSeconds}`,
  });
}

function refusal(reply: FastifyReply, retryAfterSeconds: number, detail: string) {
  reply.header('retry-after', String(retryAfterSeconds));
  return problems.rateLimited(retryAfterSeconds, detail);
}
