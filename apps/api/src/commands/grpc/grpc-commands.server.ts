// Serves tasklog.v1.TaskCommandsService (ADR 0013) on a gRPC server of its
// own. Not a hybrid app: the HTTP edge's global guards read HTTP requests,
// so gRPC gets its own small module, sharing the API's CommandBus (the same
// use cases) and credential stores.
import { Module, type DynamicModule } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { Logger } from '@tasklog/platform/observability';
import type { CommandsConfig } from '../commands.config.js';
import { GrpcAuthenticator } from '../../grpc/grpc-auth.js';
import { GrpcServiceServer } from '../../grpc/grpc-service.server.js';
import { GRPC_LOGGER, TaskCommandsGrpcController } from './task-commands.grpc.controller.js';

export interface GrpcServerDeps {
  readonly bus: CommandBus;
  readonly auth: GrpcAuthenticator;
  readonly config: Pick<CommandsConfig, 'grpcHost' | 'grpcPort' | 'grpcProtoDir'>;
  readonly logger: Logger;
}

@Module({})
class GrpcCommandsModule {
  static forRoot(deps: GrpcServerDeps): DynamicModule {
    return {
      module: GrpcCommandsModule,
      controllers: [TaskCommandsGrpcController],
      providers: [
        { provide: CommandBus, useValue: deps.bus },
        { provide: GrpcAuthenticator, useValue: deps.auth },
        { provide: GRPC_LOGGER, useValue: deps.logger },
      ],
    };
  }
}

/** GRPC_PORT (default 50051; 0 picks a free one). */
export class GrpcCommandsServer extends GrpcServiceServer {
  constructor(deps: GrpcServerDeps) {
    super({
      name: 'commands',
      protoFile: 'tasklog/v1/task_commands_service.proto',
      module: GrpcCommandsModule.forRoot(deps),
      config: deps.config,
      logger: deps.logger,
    });
  }
}
