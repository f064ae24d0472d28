// The projector's one configuration schema, read at boot.
import { env, kafkaSection, postgresSection, readConfig, redisSection, type EnvSource } from '@tasklog/platform/config';
import { TOPICS, dlqTopic } from '@tasklog/contracts';

export function projectorConfig(source: EnvSource) {
  const kafka = kafkaSection(source);
  const own = readConfig(
    {
      groupId: env.string('PROJECTOR_GROUP_ID', 'tasklog-projector'),
      maxWaitTimeMs: env.int('PROJECTOR_FETCH_MAX_WAIT_MS', 10, { min: 1, max: 5000 }),
      // Big per-partition fetches let a catching-up projector fold many events
      // of a task into one row write; the total stays moderate, as one fetch
      // response is held whole while its records are handed out (ADR 0033, 0052).
      maxBytesPerPartition: env.int('PROJECTOR_FETCH_MAX_BYTES_PER_PARTITION', 4 * 1024 * 1024, { min: 1024 }),
      maxBytes: env.int('PROJECTOR_FETCH_MAX_BYTES', 16 * 1024 * 1024, { min: 1024 }),
      writers: env.int('PROJECTOR_WRITERS', 2, { min: 1, max: 16 }),
      // A partition further behind its log end than this is written by writer p mod n, not the first (ADR 0053).
      catchUpLagEvents: env.int('PROJECTOR_CATCH_UP_LAG_EVENTS', 1000, { min: 0 }),
      maxQueuedEvents: env.int('PROJECTOR_MAX_QUEUED_EVENTS', 40_000, { min: 1 }),
      maxTransactionEvents: env.int('PROJECTOR_MAX_TRANSACTION_EVENTS', 25_000, { min: 1 }),
      // Fold the next batches while the transaction in flight writes, on the rows it leaves (ADR 0048).
      prepareAhead: env.bool('PROJECTOR_PREPARE_AHEAD', true),
      memoryTasks: env.int('PROJECTOR_MEMORY_TASKS', 100_000, { min: 0 }),
      sessionTimeoutMs: env.int('PROJECTOR_SESSION_TIMEOUT_MS', 30_000, { min: 6000 }),
      retryInitialMs: env.int('PROJECTOR_RETRY_INITIAL_MS', 100, { min: 1 }),
      retryMaxMs: env.int('PROJECTOR_RETRY_MAX_MS', 5000, { min: 1 }),
      cacheTaskTtlSeconds: env.int('CACHE_TASK_TTL_SECONDS', 60, { min: 1 }),
      cacheListTtlSeconds: env.int('CACHE_LIST_TTL_SECONDS', 30, { min: 1 }),
      // Fault injection for the exactly-once test: sleep between the database
      // commit and the Kafka offset commit, logging the committed position.
      faultPauseAfterCommitMs: env.int('PROJECTOR_FAULT_PAUSE_AFTER_COMMIT_MS', 0, { min: 0 }),
      port: env.int('PROJECTOR_PORT', 3002, { min: 0, max: 65535 }),
      host: env.string('PROJECTOR_HOST', '127.0.0.1'),
      logLevel: env.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    },
    source,
  );
  const prefix = kafka.topicPrefix;
  return {
    ...own,
    kafka,
    postgres: postgresSection(source),
    redis: redisSection(source),
    topics: { events: prefix + TOPICS.events, dlq: prefix + dlqTopic('projector') },
  };
}

export type ProjectorConfig = ReturnType<typeof projectorConfig>;
