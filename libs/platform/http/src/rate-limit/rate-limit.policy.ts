import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimitConfig } from '../http.config.js';
import { problems } from '../problems/problem.exception.js';
import { rateLimitKey, type Principal } from '../auth/principal.js';
import { RateLimiter, type RateLimitOutcome, type RateLimitRule } from './rate-limiter.js';

/**
 * The edge's two limits (DESIGN.md §7, after the seeds): requests per
 * principal, and authentication failures per client address. Sets the
 * RateLimit-* headers (draft-ietf-httpapi-ratelimit-headers) and answers 429
 * with Retry-After; an unavailable Redis lets the request through.
 */
export class RateLimitPolicy {
  private readonly api: RateLimitRule;
  private readonly auth: RateLimitRule;

  constructor(
    private readonly limiter: RateLimiter,
    private readonly config: RateLimitConfig,
  ) {
    this.api = { limit: config.apiLimit, windowSeconds: config.apiWindowSeconds };
    this.auth = { limit: config.authFailureLimit, windowSeconds: config.authFailureWindowSeconds };
  }

  async limitPrincipal(principal: Principal, reply: FastifyReply): Promise<void> {
    if (!this.config.enabled) return;
    const outcome = await this.limiter.hit('api', rateLimitKey(principal), this.api);
    if (outcome.kind === 'unavailable') return;
    setHeaders(reply, outcome, this.api);
    if (!outcome.allowed) throw refusal(reply, outcome.resetSeconds, 'Request limit reached for these credentials');
  }

  /** Refuses a client address that has used up its authentication failures. */
  async refuseBlockedAddress(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (!this.config.enabled) return;
    const outcome = await this.limiter.peek('auth', request.ip, this.auth);
    if (outcome.kind === 'counted' && !outcome.allowed) throw refusal(reply, outcome.resetSeconds, tooManyFailures);
  }

  /** Counts a failed authentication; throws 429 instead of 401 once the address is over its limit. */
  async countAuthFailure(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (!this.config.enabled) return;
    const outcome = await this.limiter.hit('auth', request.ip, this.auth);
    if (outcome.kind === 'counted' && !outcome.allowed) throw refusal(reply, outcome.resetSeconds, tooManyFailures);
  }
}

const tooManyFailures = 'Too many failed authentication attempts from this address';

function setHeaders(
  reply: FastifyReply,
  outcome: Extract<RateLimitOutcome, { kind: 'counted' }>,
  rule: RateLimitRule,
): void {
  reply.header('ratelimit-limit', String(outcome.limit));
  reply.header('ratelimit-remaining', String(outcome.remaining));
  reply.header('ratelimit-reset', String(outcome.resetSeconds));
  reply.header('ratelimit-policy', `${rule.limit};w=${rule.windowSeconds}`);
}

function refusal(reply: FastifyReply, retryAfterSeconds: number, detail: string) {
  reply.header('retry-after', String(retryAfterSeconds));
  return problems.rateLimited(retryAfterSeconds, detail);
}
