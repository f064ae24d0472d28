// Serves tasklog.v1.TaskQueriesService (ADR 0018) as a NestJS gRPC
// microservice of its own, on GRPC_QUERIES_PORT (default 50052) beside the
// commands' server: the two modules start, stop and scale their servers
// independently. It shares the API's QueryBus (the same handlers), the
// consistency gate and the credential stores.
import { createServer } from 'node:net';
import { isAbsolute, join, resolve } from 'node:path';
import { Catch, Module, type DynamicModule, type INestMicroservice, type RpcExceptionFilter } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { QueryBus } from '@nestjs/cqrs';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { throwError, type Observable } from 'rxjs';
import { ProblemException, problem } from '@tasklog/platform/http';
import type { Logger } from '@tasklog/platform/observability';
import { GrpcAuthenticator } from '../../grpc/grpc-auth.js';
import { grpcErrorOf } from '../../grpc/grpc-errors.js';
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

@Catch()
class GrpcProblemFilter implements RpcExceptionFilter<unknown> {
  constructor(private readonly logger: Logger) {}

  catch(error: unknown): Observable<never> {
    if (!(error instanceof ProblemException)) this.logger.error({ err: error }, 'unhandled gRPC query error');
    const known = error instanceof ProblemException ? error : problem('INTERNAL', 'An unexpected error occurred');
    const { code, details, metadata } = grpcErrorOf(known);
    return throwError(() => Object.assign(new Error(details), { code, details, metadata }));
  }
}

export class GrpcQueriesServer {
  private app: INestMicroservice | null = null;
  private boundPort = 0;

  constructor(private readonly deps: GrpcQueriesDeps) {}

  /** The port it listens on (GRPC_QUERIES_PORT=0 picks a free one). */
  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    const { grpcHost, grpcPort, grpcProtoDir } = this.deps.config;
    const protoDir = isAbsolute(grpcProtoDir) ? grpcProtoDir : resolve(process.cwd(), grpcProtoDir);
    this.boundPort = grpcPort === 0 ? await freePort(grpcHost) : grpcPort;
    const app = await NestFactory.createMicroservice<MicroserviceOptions>(GrpcQueriesModule.forRoot(this.deps), {
      transport: Transport.GRPC,
      logger: false,
      options: {
        package: 'tasklog.v1',
        protoPath: join(protoDir, 'tasklog/v1/task_queries_service.proto'),
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
    this.deps.logger.info({ url: `${grpcHost}:${this.boundPort}` }, 'gRPC queries listening');
  }

  async stop(): Promise<void> {
    await this.app?.close();
    this.app = null;
  }
}

// grpc-js does not report the port it bound for port 0: pick a free one first.
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
