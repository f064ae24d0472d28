// One tasklog.v1 gRPC service served as a NestJS microservice of its own
// (Transport.GRPC, @grpc/proto-loader on its .proto file), started and
// stopped with the API. The commands and the queries modules each run one
// (ADR 0013, 0018); errors leave as gRPC statuses through one filter.
import { createServer } from 'node:net';
import { isAbsolute, join, resolve } from 'node:path';
import { Catch, type DynamicModule, type INestMicroservice, type RpcExceptionFilter } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { throwError, type Observable } from 'rxjs';
import { ProblemException, problem } from '@tasklog/platform/http';
import type { Logger } from '@tasklog/platform/observability';
import { grpcErrorOf } from './grpc-errors.js';

export interface GrpcListenConfig {
  readonly grpcHost: string;
  /** 0 picks a free port. */
  readonly grpcPort: number;
  readonly grpcProtoDir: string;
}

export interface GrpcServiceOptions {
  /** What the log lines call it, e.g. "commands". */
  readonly name: string;
  /** Relative to the proto directory, e.g. tasklog/v1/task_commands_service.proto. */
  readonly protoFile: string;
  readonly module: DynamicModule;
  readonly config: GrpcListenConfig;
  readonly logger: Logger;
}

/** Every error leaves as a gRPC status: problems by their code, anything else as INTERNAL (logged, not leaked). */
@Catch()
class GrpcProblemFilter implements RpcExceptionFilter<unknown> {
  constructor(
    private readonly logger: Logger,
    private readonly name: string,
  ) {}

  catch(error: unknown): Observable<never> {
    if (!(error instanceof ProblemException)) this.logger.error({ err: error }, `unhandled gRPC ${this.name} error`);
    const known = error instanceof ProblemException ? error : problem('INTERNAL', 'An unexpected error occurred');
    const { code, details, metadata } = grpcErrorOf(known);
    return throwError(() => Object.assign(new Error(details), { code, details, metadata }));
  }
}

export class GrpcServiceServer {
  private app: INestMicroservice | null = null;
  private boundPort = 0;

  constructor(private readonly options: GrpcServiceOptions) {}

  /** The port it listens on. */
  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    const { name, protoFile, module, config, logger } = this.options;
    const { grpcHost, grpcPort, grpcProtoDir } = config;
    const protoDir = isAbsolute(grpcProtoDir) ? grpcProtoDir : resolve(process.cwd(), grpcProtoDir);
    this.boundPort = grpcPort === 0 ? await freePort(grpcHost) : grpcPort;
    const app = await NestFactory.createMicroservice<MicroserviceOptions>(module, {
      transport: Transport.GRPC,
      logger: false,
      options: {
        package: 'tasklog.v1',
        protoPath: join(protoDir, protoFile),
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
    app.useGlobalFilters(new GrpcProblemFilter(logger, name));
    await app.listen();
    this.app = app;
    logger.info({ url: `${grpcHost}:${this.boundPort}` }, `gRPC ${name} listening`);
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
