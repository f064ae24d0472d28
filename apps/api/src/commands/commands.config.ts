// Configuration of the API's commands module (part of the API's one schema).
// Every variable is listed in docs/commands-api.md.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { env, readConfig, type EnvSource } from '@tasklog/platform/config';

const DAY_SECONDS = 24 * 60 * 60;

export function commandsSection(source: EnvSource) {
  const config = readConfig(
    {
      /** How long a request waits for its command's outcome before answering 202. */
      waitTimeoutMs: env.int('COMMANDS_WAIT_TIMEOUT_MS', 3000, { min: 0, max: 60_000 }),
      /** How long a request waits for the broker's acknowledgment before answering 503. */
      sendTimeoutMs: env.int('COMMANDS_SEND_TIMEOUT_MS', 3000, { min: 100, max: 60_000 }),
      /** How long the producer gathers commands before sending them in one request (kafkajs has no linger.ms). */
      lingerMs: env.int('COMMANDS_LINGER_MS', 1, { min: 0, max: 50 }),
      maxBatchSize: env.int('COMMANDS_MAX_BATCH', 1000, { min: 1, max: 10_000 }),
      /** Retry-After of a 202 (poll the command status) and of a 503 (send again). */
      pendingRetryAfterSeconds: env.int('COMMANDS_PENDING_RETRY_AFTER_SECONDS', 1, { min: 1, max: 3600 }),
      unavailableRetryAfterSeconds: env.int('COMMANDS_UNAVAILABLE_RETRY_AFTER_SECONDS', 5, { min: 1, max: 3600 }),
      statusTtlSeconds: env.int('COMMANDS_STATUS_TTL_SECONDS', DAY_SECONDS, { min: 60 }),
      idempotencyTtlSeconds: env.int('IDEMPOTENCY_TTL_SECONDS', DAY_SECONDS, { min: 60 }),
      /** How long a start waits for the results listener to join its group and fetch. */
      listenerStartTimeoutMs: env.int('COMMANDS_LISTENER_START_TIMEOUT_MS', 30_000, { min: 1000 }),
      /** Names this instance's results consumer group; unset: a new one per start, deleted at shutdown. */
      instanceId: env.optional('API_INSTANCE_ID'),
      resultsGroupPrefix: env.string('COMMANDS_RESULTS_GROUP_PREFIX', 'tasklog-api-results-'),
      /** How long the broker may hold the results listener's fetch when no result is there. */
      resultsFetchMaxWaitMs: env.int('COMMANDS_RESULTS_FETCH_MAX_WAIT_MS', 100, { min: 1, max: 5000 }),
      grpcEnabled: env.bool('GRPC_ENABLED', true),
      grpcHost: env.string('GRPC_HOST', '127.0.0.1'),
      grpcPort: env.int('GRPC_PORT', 50051, { min: 0, max: 65535 }),
      /** Folder holding tasklog/v1/*.proto; relative paths resolve against the working directory. */
      grpcProtoDir: env.string('GRPC_PROTO_DIR', 'proto'),
    },
    source,
  );
  const instanceId = config.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  return {
    ...config,
    instanceId,
    resultsGroupId: config.resultsGroupPrefix + instanceId,
    // A group named for one start has nothing to resume later: remove it at shutdown.
    deleteResultsGroupAtShutdown: config.instanceId === undefined,
  };
}
export type CommandsConfig = ReturnType<typeof commandsSection>;

/** Injection token of the commands section. */
export const COMMANDS_CONFIG = Symbol('COMMANDS_CONFIG');
