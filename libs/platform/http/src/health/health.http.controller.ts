import { Controller, Get, Inject, ServiceUnavailableException, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { Public } from '../auth/auth.decorators.js';
import { problems } from '../problems/problem.exception.js';
import type { ReadinessCheck } from './readiness.checks.js';
import { withTimeout } from '../with-timeout.js';

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');
const PROBE_TIMEOUT_MS = 2000;

/**
 * Liveness says the process serves requests (no dependency is consulted, so
 * an outage elsewhere never restarts it); readiness probes each dependency
 * within 2 s and answers 503 (a problem listing the checks) when a critical
 * one is down.
 */
@ApiTags('health')
@Public()
@Controller({ path: 'health', version: VERSION_NEUTRAL })
export class HealthHttpController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(READINESS_CHECKS) private readonly checks: readonly ReadinessCheck[],
  ) {}

  @Get('live')
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  async ready() {
    try {
      return await this.health.check(this.checks.map((check) => () => this.run(check)));
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const result = error.getResponse() as { details?: unknown };
      throw problems.unavailable('A dependency the app needs is not reachable', { checks: result.details });
    }
  }

  private async run(check: ReadinessCheck): Promise<HealthIndicatorResult> {
    const session = this.indicators.check(check.name);
    try {
      await withTimeout(check.probe(), PROBE_TIMEOUT_MS, check.name);
      return session.up();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return check.critical ? session.down({ message }) : session.degraded({ message });
    }
  }
}
