import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimitConfig } from '../http.config.js';
import { problems } from '../problems/problem.exception.js';
import { rateLimitKey, type Principal } from '../auth/principal.js';
import { RateLimiter, type CountedOutcome, type RateLimitRule } from './rate-limiter.js';

/** Addresses remembered as blocked (per instance): refused before authentication is even tried. */
const MAX_REMEMBERED_BLOCKS = 10_000;

/** What the limits say of one call: let it through, or refuse it for `retryAfterSeconds`. */
export type Admission =
  | { readonly allowed: true; readonly count?: CountedOutcome }
  | {
      readonly allowed: false;
      readonly retryAfterSeconds: number;
      readonly detail: string;
      readonly count?: CountedOutcome;
    };

/** A refused call: for how long, and why. */
export type Refusal = Extract<Admission, { allowed: false }>;

const ALLOWED: Admission = { allowed: true };

/**
 * The edge's two limits (DESIGN.md §7, after the seeds): requests per
 * principal, and authentication failures per client address, whatever the
 * transport (REST and gRPC count against the same windows). An unavailable
 * Redis lets the call through. An authenticated call costs one Redis round
 * trip (its address's block and its principal's count in one script, ADR
 * 0031); an address this instance has seen blocked is refused from memory
 * until its window ends. The Fastify methods add the RateLimit-* headers
 * (draft-ietf-httpapi-ratelimit-headers) and Retry-After; gRPC gets the
 * same refusals as RESOURCE_EXHAUSTED (ADR 0039).
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
   * Counts an authenticated call against its principal's limit (refused past
   * it), unless its address is blocked for authentication failures (refused).
   */
  async decide(principal: Principal, address: string): Promise<Admission> {
    if (!this.config.enabled) return ALLOWED;
    const outcome = await this.limiter.admit(
      { limiter: 'api', key: rateLimitKey(principal), rule: this.api },
      { limiter: 'auth', key: address, rule: this.auth },
    );
    if (outcome.kind === 'unavailable') return ALLOWED;
    if (outcome.kind === 'blocked') return this.block(address, outcome.address);
    if (outcome.principal.allowed) return { allowed: true, count: outcome.principal };
    const detail = 'Request limit reached for these credentials';
    return { allowed: false, retryAfterSeconds: outcome.principal.resetSeconds, detail, count: outcome.principal };
  }

  /** The refusal of an address this instance has seen use up its authentication failures, if it is still blocked. */
  blocked(address: string): Refusal | undefined {
    if (!this.config.enabled || this.blockedUntil.size === 0) return undefined;
    const until = this.blockedUntil.get(address);
    if (until === undefined) return undefined;
    const left = until - Date.now();
    if (left > 0) return { allowed: false, retryAfterSeconds: Math.ceil(left / 1000), detail: tooManyFailures };
    this.blockedUntil.delete(address);
    return undefined;
  }

  /** Counts a failed authentication from `address`; refused once the address is over its limit. */
  async failure(address: string): Promise<Admission> {
    if (!this.config.enabled) return ALLOWED;
    const outcome = await this.limiter.hit('auth', address, this.auth);
    return outcome.kind === 'counted' && !outcome.allowed ? this.block(address, outcome) : ALLOWED;
  }

  /** HTTP: `decide`, with the RateLimit-* headers; 429 when refused. */
  async admit(principal: Principal, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const admission = await this.decide(principal, request.ip);
    if (admission.count) setHeaders(reply, admission.count, this.api);
    if (!admission.allowed) throw refusal(reply, admission.retryAfterSeconds, admission.detail);
  }

  /** HTTP: refuses (429), before authentication, a client address this instance has seen blocked. */
  refuseBlockedAddress(request: FastifyRequest, reply: FastifyReply): void {
    const refused = this.blocked(request.ip);
    if (refused) throw refusal(reply, refused.retryAfterSeconds, refused.detail);
  }

  /** HTTP: `failure`; throws 429 instead of the 401 to come once the address is over its limit. */
  async countAuthFailure(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const admission = await this.failure(request.ip);
    if (!admission.allowed) throw refusal(reply, admission.retryAfterSeconds, admission.detail);
  }

  private block(address: string, outcome: CountedOutcome): Admission {
    if (this.blockedUntil.size >= MAX_REMEMBERED_BLOCKS)
      this.blockedUntil.delete(this.blockedUntil.keys().next().value!);
    this.blockedUntil.set(address, Date.now() + outcome.resetSeconds * 1000);
    return { allowed: false, retryAfterSeconds: outcome.resetSeconds, detail: tooManyFailures };
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
