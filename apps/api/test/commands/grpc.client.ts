// A gRPC client of tasklog.v1.TaskCommandsService for tests: the .proto file
// loaded with @grpc/proto-loader, promise-returning calls, and the status,
// details and trailing metadata of a failed call.
import { join } from 'node:path';
import grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const PROTO_DIR = join(import.meta.dirname, '..', '..', '..', '..', 'proto');

export type Rpc = 'CreateTask' | 'UpdateTask' | 'CompleteTask' | 'DeleteTask' | 'RestoreTask';

export interface RpcFailure {
  readonly code: grpc.status;
  readonly details: string;
  readonly metadata: Record<string, string>;
}

export type RpcOutcome = { ok: true; response: { receipt: Record<string, unknown> } } | ({ ok: false } & RpcFailure);

export function taskCommandsClient(port: number) {
  const definition = loadSync(join(PROTO_DIR, 'tasklog/v1/task_commands_service.proto'), {
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: [PROTO_DIR],
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    tasklog: { v1: { TaskCommandsService: grpc.ServiceClientConstructor } };
  };
  const client = new loaded.tasklog.v1.TaskCommandsService(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    call(rpc: Rpc, request: object, headers: Record<string, string> = {}): Promise<RpcOutcome> {
      const metadata = new grpc.Metadata();
      for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
      const method = client[rpc[0]!.toLowerCase() + rpc.slice(1)] as (
        request: object,
        metadata: grpc.Metadata,
        options: grpc.CallOptions,
        callback: (error: grpc.ServiceError | null, response: { receipt: Record<string, unknown> }) => void,
      ) => void;
      return new Promise((resolve) => {
        method.call(client, request, metadata, { deadline: Date.now() + 15_000 }, (error, response) => {
          if (!error) return resolve({ ok: true, response });
          const trailers = Object.fromEntries(
            Object.entries(error.metadata.getMap()).map(([k, v]) => [k, v.toString()]),
          );
          resolve({ ok: false, code: error.code, details: error.details, metadata: trailers });
        });
      });
    },
    close: () => client.close(),
  };
}

export { grpc };
