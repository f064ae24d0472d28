// Composition of the projector: the event consumer with its Kafka client, the
// ORM's pool, the cache invalidator, metrics and configuration. The clients
// are opened by startProjector and closed here at shutdown.
import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { createKafka } from '@tasklog/platform/kafka';
import type { Logger } from '@tasklog/platform/observability';
import { TaskViewCache, type Orm, type SqlPool } from '@tasklog/platform/postgres';
import type { Redis } from '@tasklog/platform/redis';
import { CacheInvalidator } from './cache.invalidator.js';
import type { ProjectorConfig } from './projector.config.js';
import { projectorMetrics } from './projector.metrics.js';
import { TaskEventsConsumer } from './task-events.consumer.js';

export const REGISTRY = Symbol('PROJECTOR_REGISTRY');
const CLIENTS = Symbol('PROJECTOR_CLIENTS');

export interface ProjectorClients {
  readonly orm: Orm;
  readonly pool: SqlPool;
  readonly redis: Redis;
  readonly logger: Logger;
  readonly onFatal?: (error: Error) => void;
}

@Module({})
export class ProjectorModule implements OnApplicationShutdown {
  constructor(
    @Inject(TaskEventsConsumer) private readonly consumer: TaskEventsConsumer,
    @Inject(CLIENTS) private readonly clients: ProjectorClients,
  ) {}

  static forConfig(config: ProjectorConfig, clients: ProjectorClients): DynamicModule {
    return {
      module: ProjectorModule,
      providers: [
        { provide: CLIENTS, useValue: clients },
        {
          provide: REGISTRY,
          useFactory: () => {
            const registry = new Registry();
            collectDefaultMetrics({ register: registry });
            return registry;
          },
        },
        {
          provide: TaskEventsConsumer,
          inject: [REGISTRY],
          useFactory: (registry: Registry) => {
            const metrics = projectorMetrics(registry);
            const cache = new TaskViewCache(clients.redis, {
              taskSeconds: config.cacheTaskTtlSeconds,
              listSeconds: config.cacheListTtlSeconds,
              listGenerationSeconds: 86_400,
            });
            return new TaskEventsConsumer(
              createKafka({ ...config.kafka, clientId: `${config.kafka.clientId}-projector` }, clients.logger),
              clients.pool,
              config,
              new CacheInvalidator(cache, metrics, clients.logger),
              metrics,
              clients.logger,
              { onFatal: clients.onFatal },
            );
          },
        },
      ],
      exports: [TaskEventsConsumer, REGISTRY],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
    this.clients.redis.disconnect();
    await this.clients.orm.close(true);
  }
}
