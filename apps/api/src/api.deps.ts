// What api.app.ts opens once and hands to the API's modules.
import type { KafkaClient } from '@tasklog/platform/kafka';
import type { Logger } from '@tasklog/platform/observability';
import type { Orm } from '@tasklog/platform/postgres';
import type { Redis } from '@tasklog/platform/redis';
import type { ApiConfig } from './api.config.js';

export interface ApiDeps {
  readonly config: ApiConfig;
  readonly kafka: KafkaClient;
  readonly orm: Orm;
  readonly redis: Redis;
  /**
   * A second connection, auto-pipelined (ADR 0031), for the per-command
   * writes (command status, Idempotency-Key records) and the rate limiter:
   * the commands issued in one event-loop turn share one write.
   */
  readonly hotRedis: Redis;
  readonly logger: Logger;
  /** Registers a close hook run at shutdown (consumers, producers). */
  readonly onShutdown: (hook: () => Promise<void>) => void;
}
