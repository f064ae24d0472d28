// Starts a projector: provisions the topics and the read-model schema (both
// idempotent), opens the NestJS application context, starts the consumer and
// a small HTTP endpoint for health and metrics. Tests start projectors
// in-process through this too.
import { createServer, type Server } from 'node:http';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Registry } from 'prom-client';
import { DLQ_CONSUMERS, topicDefinitions } from '@tasklog/contracts';
import { createKafka, ensureTopics } from '@tasklog/platform/kafka';
import { createLogger, type Logger } from '@tasklog/platform/observability';
import { createOrm, migrate, sqlPool, type Orm, type SqlPool } from '@tasklog/platform/postgres';
import { createRedis } from '@tasklog/platform/redis';
import type { ProjectorConfig } from './projector.config.js';
import { ProjectorModule, REGISTRY } from './projector.module.js';
import { TaskEventsConsumer } from './task-events.consumer.js';

export interface RunningProjector {
  readonly app: INestApplicationContext;
  readonly consumer: TaskEventsConsumer;
  readonly server: Server | null;
  stop(): Promise<void>;
}

export interface ProjectorOptions {
  readonly http?: boolean;
  readonly logger?: Logger;
  readonly onFatal?: (error: Error) => void;
}

export async function provisionTopics(config: ProjectorConfig, logger: Logger): Promise<void> {
  const admin = createKafka(config.kafka, logger).admin();
  await admin.connect();
  try {
    const { partitions, replicationFactor, topicPrefix: prefix } = config.kafka;
    await ensureTopics(
      admin,
      topicDefinitions({ partitions, replicationFactor, prefix, dlqConsumers: DLQ_CONSUMERS }),
      logger,
    );
  } finally {
    await admin.disconnect();
  }
}

/** Several apps migrate at start; one that loses the race sees the migration applied on its next try. */
async function migrateWithRetry(orm: Orm, schema: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await migrate(orm, schema);
      return;
    } catch (error) {
      if (attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

export async function startProjector(
  config: ProjectorConfig,
  options: ProjectorOptions = {},
): Promise<RunningProjector> {
  const logger = options.logger ?? createLogger('projector', config.logLevel);
  await provisionTopics(config, logger);
  const orm = await createOrm(config.postgres, logger);
  const redis = createRedis(config.redis, logger);
  let app: INestApplicationContext;
  try {
    await migrateWithRetry(orm, config.postgres.schema);
    const pool = await sqlPool(orm);
    const clients = { orm, pool, redis, logger, onFatal: options.onFatal };
    app = await NestFactory.createApplicationContext(ProjectorModule.forConfig(config, clients), { logger: false });
  } catch (error) {
    redis.disconnect();
    await orm.close(true);
    throw error;
  }
  // No NestJS signal hooks: main.ts stops the app on SIGTERM/SIGINT itself, then flushes the traces and
  // exits (Nest's hook would end the process with the signal before the flush).
  const consumer = app.get(TaskEventsConsumer);
  await consumer.start();
  const server =
    options.http === false
      ? null
      : await serveHealth(config, consumer, await sqlPool(orm), app.get<Registry>(REGISTRY));
  return {
    app,
    consumer,
    server,
    async stop() {
      server?.close();
      await app.close();
    },
  };
}

/** Ready = every owned partition positioned, no batch failing, and PostgreSQL answering. */
async function ready(consumer: TaskEventsConsumer, pool: SqlPool): Promise<{ ready: boolean; postgres: string }> {
  const probe = pool.query('select 1').then(
    () => 'up',
    () => 'down',
  );
  const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), 1000).unref());
  const postgres = await Promise.race([probe, timeout]);
  return { ready: postgres === 'up' && consumer.isReady(), postgres };
}

function serveHealth(config: ProjectorConfig, consumer: TaskEventsConsumer, pool: SqlPool, registry: Registry) {
  const server = createServer((req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.url === '/health/live') return json(200, { status: 'ok' });
    if (req.url === '/health/ready') {
      void ready(consumer, pool).then(({ ready, postgres }) => {
        const outsideLog = consumer.partitionsOutsideLog();
        const state = consumer.isReady() ? 'up' : 'catching-up-or-failing';
        json(ready ? 200 : 503, {
          status: ready ? 'ok' : 'not-ready',
          checks: { postgres, consumer: outsideLog.length > 0 ? 'positions-outside-log' : state },
          partitions: consumer.ownedPartitions(),
          // What an operator needs to act (ADR 0040): which partitions, where they stand, what the log holds.
          ...(outsideLog.length > 0 ? { outsideLog } : {}),
        });
      });
      return;
    }
    if (req.url === '/metrics') {
      void registry.metrics().then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text));
      return;
    }
    json(404, { status: 404, title: 'Not Found' });
  });
  return new Promise<Server>((resolve) => server.listen(config.port, config.host, () => resolve(server)));
}
