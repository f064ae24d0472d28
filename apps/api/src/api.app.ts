import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createKafka } from '@tasklog/platform/kafka';
import { createLogger, type Logger } from '@tasklog/platform/observability';
import { createOrm, migrate } from '@tasklog/platform/postgres';
import { createRedis } from '@tasklog/platform/redis';
import { JwtVerifier, createHttpApp, kafkaCheck, postgresCheck, redisCheck } from '@tasklog/platform/http';
import type { ApiConfig } from './api.config.js';
import { ApiModule } from './api.module.js';
import type { ApiDeps } from './api.deps.js';
import { CommandsModule } from './commands/commands.module.js';
import { QueriesModule } from './queries/queries.module.js';
import { ProjectionsAdminModule } from './admin/projections.http.controller.js';

/**
 * Builds the API app (not listening yet): opens its clients, migrates its
 * schema (idempotent), and composes the edge. main.ts and the e2e tests both
 * start the API through here; `app.close()` closes every client.
 */
export async function createApiApp(
  config: ApiConfig,
  logger: Logger = createLogger('api', config.http.logLevel),
): Promise<NestFastifyApplication> {
  const jwt = await JwtVerifier.create(config.auth);
  const orm = await createOrm(config.postgres, logger);
  const redis = createRedis(config.redis, logger);
  const hotRedis = createRedis(config.redis, logger, { autoPipelining: true });
  try {
    await migrate(orm, config.postgres.schema);
    const kafka = createKafka(config.kafka, logger);
    const hooks: (() => Promise<void>)[] = [];
    const deps: ApiDeps = {
      config,
      kafka,
      orm,
      redis,
      hotRedis,
      logger,
      onShutdown: (hook) => void hooks.push(hook),
    };
    const features = [CommandsModule.forRoot(deps), QueriesModule.forRoot(deps), ProjectionsAdminModule.forRoot(deps)];
    const module = ApiModule.forRoot(
      {
        logger,
        orm,
        redis,
        rateLimitRedis: hotRedis,
        jwt,
        rateLimits: config.rateLimits,
        apiKeyCache: { ttlMs: config.auth.apiKeyCacheTtlMs, size: config.auth.apiKeyCacheSize },
        readiness: [postgresCheck(orm), redisCheck(redis), kafkaCheck(kafka)],
        // Feature hooks first (they use the clients), then the clients.
        onShutdown: [
          async () => {
            for (const hook of hooks.reverse()) await hook();
          },
          async () => void redis.disconnect(),
          async () => void hotRedis.disconnect(),
          () => orm.close(true),
        ],
      },
      features,
    );
    return await createHttpApp(module, {
      config: config.http,
      logger,
      docs: {
        title: 'Tasklog API',
        description: 'Event-sourced task management. Errors are RFC 9457 problems: see docs/errors.md.',
        version: '1',
      },
    });
  } catch (error) {
    redis.disconnect();
    hotRedis.disconnect();
    await orm.close(true);
    throw error;
  }
}
