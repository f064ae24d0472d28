// A gRPC client of tasklog.v1.TaskQueriesService for tests: the .proto file
// loaded with @grpc/proto-loader and promise-returning calls that report the
// status and details of a failed call.
import { join } from 'node:path';
import grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const PROTO_DIR = join(import.meta.dirname, '..', '..', '..', '..', 'proto');

export type QueryRpc = 'GetTask' | 'ListTasks' | 'GetTaskStats';

export type QueryOutcome =
  | { ok: true; response: Record<string, unknown> }
  | { ok: false; code: grpc.status; details: string; metadata: Record<string, string> };

export function taskQueriesClient(port: number) {
  const definition = loadSync(join(PROTO_DIR, 'tasklog/v1/task_queries_service.proto'), {
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: [PROTO_DIR],
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    tasklog: { v1: { TaskQueriesService: grpc.ServiceClientConstructor } };
  };
  const client = new loaded.tasklog.v1.TaskQueriesService(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    call(rpc: QueryRpc, request: object, headers: Record<string, string> = {}): Promise<QueryOutcome> {
      const metadata = new grpc.Metadata();
      for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
      const method = client[rpc[0]!.toLowerCase() + rpc.slice(1)] as (
        request: object,
        metadata: grpc.Metadata,
        options: grpc.CallOptions,
        callback: (error: grpc.ServiceError | null, response: Record<string, unknown>) => void,
      ) => void;
      return new Promise((resolve) => {
        method.call(client, request, metadata, { deadline: Date.now() + 10_000 }, (error, response) => {
          if (!error) return resolve({ ok: true, response });
          const trailers = Object.fromEntries(Object.entries(error.metadata.getMap()).map(([k, v]) => [k, String(v)]));
          resolve({ ok: false, code: error.code, details: error.details, metadata: trailers });
        });
      });
    },
    close: () => client.close(),
  };
}
