// Serves tasklog.v1.TaskQueriesService (ADR 0018) on a gRPC server of its
// own, on GRPC_QUERIES_PORT (default 50052) beside the commands' server: the
// two modules start, stop and scale their servers independently. It shares
// the API's QueryBus (the same handlers), the consistency gate and the
// credential stores.
import { Module, type DynamicModule } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import type { Logger } from '@tasklog/platform/observability';
import { GrpcAuthenticator } from '../../grpc/grpc-auth.js';
import { GrpcServiceServer } from '../../grpc/grpc-service.server.js';
import { ConsistencyGate } from '../consistency.gate.js';
import type { QueriesConfig } from '../queries.config.js';
import { TaskQueriesGrpcController } from './task-queries.grpc.controller.js';

export interface GrpcQueriesDeps {
  readonly queries: QueryBus;
  readonly auth: GrpcAuthenticator;
  readonly gate: ConsistencyGate;
  readonly config: Pick<QueriesConfig, 'grpcHost' | 'grpcPort' | 'grpcProtoDir'>;
  readonly logger: Logger;
}

@Module({})
class GrpcQueriesModule {
  static forRoot(deps: GrpcQueriesDeps): DynamicModule {
    return {
      module: GrpcQueriesModule,
      controllers: [TaskQueriesGrpcController],
      providers: [
        { provide: QueryBus, useValue: deps.queries },
        { provide: GrpcAuthenticator, useValue: deps.auth },
        { provide: ConsistencyGate, useValue: deps.gate },
      ],
    };
  }
}

/** GRPC_QUERIES_PORT (default 50052; 0 picks a free one). */
export class GrpcQueriesServer extends GrpcServiceServer {
  constructor(deps: GrpcQueriesDeps) {
    super({
      name: 'queries',
      protoFile: 'tasklog/v1/task_queries_service.proto',
      module: GrpcQueriesModule.forRoot(deps),
      config: deps.config,
      logger: deps.logger,
    });
  }
}
