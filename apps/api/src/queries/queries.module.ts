// The API's queries module (DESIGN.md §5, §5a): REST under /api/v1/tasks and
// the gRPC TaskQueriesService, reading the PostgreSQL read models and the
// Redis cache only (never Kafka), with read-your-writes through consistency
// tokens. Wired into ApiModule by api.app.ts.
import { Inject, Injectable, Module, type DynamicModule, type OnApplicationBootstrap } from '@nestjs/common';
import { CqrsModule, QueryBus } from '@nestjs/cqrs';
import { ApiKeyStore, JwtVerifier, RateLimitPolicy } from '@tasklog/platform/http';
import type { ApiDeps } from '../api.deps.js';
import { GrpcAuthenticator } from '../grpc/grpc-auth.js';
import { ConsistencyGate } from './consistency.gate.js';
import { GetTaskHandler } from './get-task.query.js';
import { GrpcQueriesServer } from './grpc/grpc-queries.server.js';
import { ConsistencyInterceptor } from './http/consistency.interceptor.js';
import { TaskQueriesHttpController } from './http/task-queries.http.controller.js';
import { ListTasksHandler } from './list-tasks.query.js';
import { TaskHistoryHandler } from './task-history.query.js';
import { TaskReadModel } from './task-read-model.js';
import { TaskStatsHandler } from './task-stats.query.js';

/** What the module opens once per API instance (tests read `grpc.port` from it). */
export class QueriesRuntime {
  grpc: GrpcQueriesServer | null = null;

  constructor(
    readonly deps: ApiDeps,
    readonly reads: TaskReadModel,
    readonly gate: ConsistencyGate,
  ) {}
}

@Injectable()
class QueriesLifecycle implements OnApplicationBootstrap {
  constructor(
    @Inject(QueriesRuntime) private readonly runtime: QueriesRuntime,
    private readonly queries: QueryBus,
    private readonly jwt: JwtVerifier,
    private readonly apiKeys: ApiKeyStore,
    private readonly limits: RateLimitPolicy,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { deps, gate } = this.runtime;
    deps.onShutdown(async () => {
      await this.runtime.grpc?.stop();
      await gate.stop();
    });
    if (!deps.config.queries.grpcEnabled) return;
    const grpc = new GrpcQueriesServer({
      queries: this.queries,
      auth: new GrpcAuthenticator(this.jwt, this.apiKeys, this.limits),
      gate,
      config: deps.config.queries,
      logger: deps.logger,
    });
    await grpc.start();
    this.runtime.grpc = grpc;
  }
}

@Module({})
export class QueriesModule {
  static forRoot(deps: ApiDeps): DynamicModule {
    return {
      module: QueriesModule,
      imports: [CqrsModule.forRoot()],
      controllers: [TaskQueriesHttpController],
      providers: [
        {
          provide: QueriesRuntime,
          useFactory: async () => {
            const reads = await TaskReadModel.create(deps);
            return new QueriesRuntime(deps, reads, ConsistencyGate.start(deps.config, reads.pool, deps.logger));
          },
        },
        { provide: TaskReadModel, inject: [QueriesRuntime], useFactory: (r: QueriesRuntime) => r.reads },
        { provide: ConsistencyGate, inject: [QueriesRuntime], useFactory: (r: QueriesRuntime) => r.gate },
        ConsistencyInterceptor,
        GetTaskHandler,
        ListTasksHandler,
        TaskHistoryHandler,
        TaskStatsHandler,
        QueriesLifecycle,
      ],
      exports: [QueriesRuntime],
    };
  }
}
