// Serves tasklog.v1.TaskCommandsService (ADR 0013) as a NestJS microservice
// (Transport.GRPC, @grpc/proto-loader on the .proto file) of its own, started
// and stopped with the API. Not a hybrid app: the HTTP edge's global guards
// read HTTP requests, so gRPC gets its own small module, sharing the API's
// CommandBus (the same use cases) and credential stores.
import { createServer } from 'node:net';
import { isAbsolute, join, resolve } from 'node:path';
import { Catch, Module, type DynamicModule, type INestMicroservice, type RpcExceptionFilter } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { throwError, type Observable } from 'rxjs';
import { ProblemException, problem } from '@tasklog/platform/http';
import type { Logger } from '@tasklog/platform/observability';
import type { CommandsConfig } from '../commands.config.js';
import { GrpcAuthenticator } from '../../grpc/grpc-auth.js';
import { grpcErrorOf } from '../../grpc/grpc-errors.js';
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

/** Every error leaves as a gRPC status: problems by their code, anything else as INTERNAL (logged, not leaked). */
@Catch()
class GrpcProblemFilter implements RpcExceptionFilter<unknown> {
  constructor(private readonly logger: Logger) {}

  catch(error: unknown): Observable<never> {
    if (!(error instanceof ProblemException)) this.logger.error({ err: error }, 'unhandled gRPC error');
    const known = error instanceof ProblemException ? error : problem('INTERNAL', 'An unexpected error occurred');
    const { code, details, metadata } = grpcErrorOf(known);
    return throwError(() => Object.assign(new Error(details), { code, details, metadata }));
  }
}

export class GrpcCommandsServer {
  private app: INestMicroservice | null = null;
  private boundPort = 0;

  constructor(private readonly deps: GrpcServerDeps) {}

  /** The port it listens on (GRPC_PORT=0 picks a free one). */
  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    const { grpcHost, grpcPort, grpcProtoDir } = this.deps.config;
    const protoDir = isAbsolute(grpcProtoDir) ? grpcProtoDir : resolve(process.cwd(), grpcProtoDir);
    this.boundPort = grpcPort === 0 ? await freePort(grpcHost) : grpcPort;
    const app = await NestFactory.createMicroservice<MicroserviceOptions>(GrpcCommandsModule.forRoot(this.deps), {
      transport: Transport.GRPC,
      logger: false,
      options: {
        package: 'tasklog.v1',
        protoPath: join(protoDir, 'tasklog/v1/task_commands_service.proto'),
        url: `${grpcHost}:${this.boundPort}`,
        loader: {
          keepCase: false,
          longs: String,
          enums: String,
          defaults: false,
          oneofs: true,
          includeDirs: [protoDir],
        },
      },
    });
    app.useGlobalFilters(new GrpcProblemFilter(this.deps.logger));
    await app.listen();
    this.app = app;
    this.deps.logger.info({ url: `${grpcHost}:${this.boundPort}` }, 'gRPC commands listening');
  }

  async stop(): Promise<void> {
    await this.app?.close();
    this.app = null;
  }
}

// grpc-js does not report the port it bound for port 0, so a free one is
// picked first (tests run several APIs in one process).
function freePort(host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}
