import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import type { Logger } from '@tasklog/platform/observability';
import type { Orm } from '@tasklog/platform/postgres';
import type { Redis } from '@tasklog/platform/redis';
import type { RateLimitConfig } from './http.config.js';
import { ApiKeyStore, type ApiKeyCacheOptions } from './auth/api-key.store.js';
import { AuthGuard } from './auth/auth.guard.js';
import { JwtVerifier } from './auth/jwt.verifier.js';
import { OwnershipGuard, OwnershipRegistry } from './auth/ownership.guard.js';
import { HealthHttpController, READINESS_CHECKS } from './health/health.http.controller.js';
import type { ReadinessCheck } from './health/readiness.checks.js';
import { MetricsHttpController } from './metrics/metrics.http.controller.js';
import { RateLimiter } from './rate-limit/rate-limiter.js';
import { RateLimitPolicy } from './rate-limit/rate-limit.policy.js';

/** What an HTTP app hands the edge: its clients, opened by the app, closed by the edge at shutdown. */
export interface HttpEdgeOptions {
  readonly logger: Logger;
  readonly orm: Orm;
  readonly redis: Redis;
  /** The rate limiter's client (one script call per request; e.g. auto-pipelined, ADR 0031); `redis` when absent. */
  readonly rateLimitRedis?: Redis;
  readonly jwt: JwtVerifier;
  readonly rateLimits: RateLimitConfig;
  /** Authenticated API keys served from memory for a short while (ADR 0030); off when absent. */
  readonly apiKeyCache?: ApiKeyCacheOptions;
  readonly readiness: readonly ReadinessCheck[];
  /** Run in order when the app closes (after the readiness checks' own close). */
  readonly onShutdown?: ReadonlyArray<() => Promise<void>>;
}

const EDGE_OPTIONS = Symbol('HTTP_EDGE_OPTIONS');

class HttpEdgeLifecycle implements OnApplicationShutdown {
  constructor(@Inject(EDGE_OPTIONS) private readonly options: HttpEdgeOptions) {}

  async onApplicationShutdown(): Promise<void> {
    for (const check of this.options.readiness) await check.close?.();
    for (const close of this.options.onShutdown ?? []) {
      await close().catch((error: unknown) => this.options.logger.warn({ err: error }, 'error while closing a client'));
    }
  }
}

/**
 * The shared HTTP edge (global): authentication (JWT, API keys) with scope
 * checks, per-principal and auth-failure rate limits, the ownership guard,
 * health and metrics endpoints. Guards run in this order: AuthGuard (401,
 * 429, 403), then OwnershipGuard (404).
 */
@Module({})
export class HttpEdgeModule {
  static forRoot(options: HttpEdgeOptions): DynamicModule {
    return {
      module: HttpEdgeModule,
      global: true,
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [HealthHttpController, MetricsHttpController],
      providers: [
        { provide: EDGE_OPTIONS, useValue: options },
        { provide: JwtVerifier, useValue: options.jwt },
        { provide: ApiKeyStore, useValue: new ApiKeyStore(options.orm, options.logger, options.apiKeyCache) },
        {
          provide: RateLimitPolicy,
          useValue: new RateLimitPolicy(
            new RateLimiter(options.rateLimitRedis ?? options.redis, options.logger),
            options.rateLimits,
          ),
        },
        { provide: READINESS_CHECKS, useValue: options.readiness },
        OwnershipRegistry,
        HttpEdgeLifecycle,
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_GUARD, useClass: OwnershipGuard },
      ],
      exports: [JwtVerifier, ApiKeyStore, OwnershipRegistry, RateLimitPolicy],
    };
  }
}
