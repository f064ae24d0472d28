// Configuration of the API's queries module (part of the API's one schema).
import { env, readConfig, type EnvSource } from '@tasklog/platform/config';

export function queriesSection(source: EnvSource) {
  return readConfig(
    {
      /** How long a request carrying X-Consistency-Token may wait for the projection (then 503). */
      consistencyWaitMs: env.int('CONSISTENCY_WAIT_MS', 2000, { min: 0, max: 30_000 }),
      consistencyRetryAfterSeconds: env.int('CONSISTENCY_RETRY_AFTER_SECONDS', 1, { min: 1, max: 60 }),
      /** Fallback polling of projection_offsets while requests wait (NOTIFY is the fast path). */
      consistencyPollMs: env.int('CONSISTENCY_POLL_MS', 100, { min: 5, max: 5000 }),
      cacheEnabled: env.bool('CACHE_ENABLED', true),
      /** How long the projection generation (part of every cache key) is trusted before it is read again. */
      generationRefreshMs: env.int('QUERIES_GENERATION_REFRESH_MS', 1000, { min: 10, max: 3_600_000 }),
      cacheTaskTtlSeconds: env.int('CACHE_TASK_TTL_SECONDS', 60, { min: 1 }),
      cacheListTtlSeconds: env.int('CACHE_LIST_TTL_SECONDS', 30, { min: 1 }),
      grpcEnabled: env.bool('GRPC_QUERIES_ENABLED', true),
      grpcHost: env.string('GRPC_QUERIES_HOST', '127.0.0.1'),
      grpcPort: env.int('GRPC_QUERIES_PORT', 50052, { min: 0, max: 65535 }),
      /** Folder holding tasklog/v1/*.proto (shared with the commands' gRPC server); relative to the working directory. */
      grpcProtoDir: env.string('GRPC_PROTO_DIR', 'proto'),
    },
    source,
  );
}
export type QueriesConfig = ReturnType<typeof queriesSection>;
