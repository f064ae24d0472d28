import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { counter } from '@tasklog/platform/observability';
import { problems } from '../problems/problem.exception.js';
import { RateLimitPolicy } from '../rate-limit/rate-limit.policy.js';
import { ApiKeyStore } from './api-key.store.js';
import { PUBLIC_ROUTE, REQUIRED_SCOPES, type EdgeRequest } from './auth.decorators.js';
import { JwtVerifier, TokenRejectedError } from './jwt.verifier.js';
import { hasScopes, type Principal, type Scope } from './principal.js';

const authFailures = counter({
  name: 'http_auth_failures_total',
  help: 'Requests refused for missing or invalid credentials',
  labelNames: ['reason'],
});

/**
 * The first global guard: establishes the principal from `Authorization:
 * Bearer` (JWT) or `X-API-Key`, refuses anything else with 401, counts the
 * failure per client address (brute-force limit: 429 once exceeded), counts
 * the principal's request against its rate limit unless its address is
 * blocked (429, one Redis round trip for both), and then checks the route's
 * scopes (403). One guard, so the order of these steps is explicit.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly jwt: JwtVerifier,
    private readonly apiKeys: ApiKeyStore,
    private readonly limits: RateLimitPolicy,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.metadata<boolean>(PUBLIC_ROUTE, context)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & EdgeRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    this.limits.refuseBlockedAddress(request, reply);
    const principal = await this.authenticate(request);
    if (!principal.ok) {
      authFailures.inc({ reason: principal.reason });
      request.log.info({ reason: principal.reason }, 'authentication failed');
      await this.limits.countAuthFailure(request, reply);
      throw problems.unauthenticated(principal.detail);
    }
    request.principal = principal.value;
    await this.limits.admit(principal.value, request, reply);
    const required = this.metadata<Scope[]>(REQUIRED_SCOPES, context) ?? [];
    if (!hasScopes(principal.value, required))
      throw problems.forbidden(`This operation needs the scope ${required.join(' and ')}`);
    return true;
  }

  private metadata<T>(key: string, context: ExecutionContext): T | undefined {
    return this.reflector.getAllAndOverride<T>(key, [context.getHandler(), context.getClass()]);
  }

  private async authenticate(request: FastifyRequest): Promise<Attempt> {
    const authorization = request.headers.authorization;
    const apiKey = request.headers['x-api-key'];
    if (authorization !== undefined) {
      const [scheme, token] = authorization.split(' ');
      if (scheme?.toLowerCase() !== 'bearer' || !token) return failed('malformed', 'Use the Bearer scheme');
      try {
        return { ok: true, value: await this.jwt.verify(token) };
      } catch (error) {
        if (error instanceof TokenRejectedError) return failed(error.reason, 'The bearer token is not valid');
        throw error;
      }
    }
    if (typeof apiKey === 'string' && apiKey.length > 0) {
      const principal = await this.apiKeys.authenticate(apiKey);
      return principal ? { ok: true, value: principal } : failed('api_key', 'The API key is unknown or revoked');
    }
    return failed('missing', 'Send a bearer token (Authorization) or an API key (X-API-Key)');
  }
}

type Attempt = { ok: true; value: Principal } | { ok: false; reason: string; detail: string };

const failed = (reason: string, detail: string): Attempt => ({ ok: false, reason, detail });
