// The command processor's one configuration schema, read at boot.
import { env, kafkaSection, readConfig, type EnvSource } from '@tasklog/platform/config';
import { TOPICS, dlqTopic } from '@tasklog/contracts';

export function processorConfig(source: EnvSource) {
  const kafka = kafkaSection(source);
  const own = readConfig(
    {
      groupId: env.string('PROCESSOR_GROUP_ID', 'tasklog-command-processor'),
      transactionalIdPrefix: env.string('PROCESSOR_TRANSACTIONAL_ID_PREFIX', 'tasklog-writer-'),
      snapshotEveryEvents: env.int('PROCESSOR_SNAPSHOT_EVERY_EVENTS', 5000, { min: 1 }),
      snapshotEveryMs: env.int('PROCESSOR_SNAPSHOT_EVERY_MS', 60_000, { min: 100 }),
      recentResultsPerTask: env.int('PROCESSOR_RECENT_RESULTS_PER_TASK', 8, { min: 1, max: 100 }),
      maxWaitTimeMs: env.int('PROCESSOR_FETCH_MAX_WAIT_MS', 100, { min: 1, max: 5000 }),
      // Bounds one transaction's records, so no record batch outgrows the broker's limit.
      maxCommandsPerTransaction: env.int('PROCESSOR_MAX_COMMANDS_PER_TRANSACTION', 500, { min: 1, max: 5000 }),
      // A partition's next transaction starts at least this long after its previous one ended (ADR 0046).
      transactionLingerMs: env.int('PROCESSOR_TRANSACTION_LINGER_MS', 40, { min: 0, max: 1000 }),
      // Fetched commands waiting for their transaction, per owned partition but counted over all of them:
      // the fetch loop waits beyond it (ADR 0046, 0055).
      maxQueuedCommands: env.int('PROCESSOR_MAX_QUEUED_COMMANDS', 5000, { min: 1 }),
      sessionTimeoutMs: env.int('PROCESSOR_SESSION_TIMEOUT_MS', 30_000, { min: 6000 }),
      // The Kafka transaction protocol (ADR 0057): 2 where the broker has finalized transaction.version 2.
      transactionProtocol: env.oneOf('PROCESSOR_TRANSACTION_PROTOCOL', ['auto', '1', '2'], 'auto'),
      // Fault injection for the tests: this many transactions fail just before their commit (and are aborted).
      faultFailTransactions: env.int('PROCESSOR_FAULT_FAIL_TRANSACTIONS', 0, { min: 0 }),
      port: env.int('PROCESSOR_PORT', 3001, { min: 0, max: 65535 }),
      host: env.string('PROCESSOR_HOST', '127.0.0.1'),
      logLevel: env.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    },
    source,
  );
  const prefix = kafka.topicPrefix;
  return {
    ...own,
    kafka,
    topics: {
      commands: prefix + TOPICS.commands,
      events: prefix + TOPICS.events,
      snapshots: prefix + TOPICS.snapshots,
      results: prefix + TOPICS.commandResults,
      dlq: prefix + dlqTopic('command-processor'),
    },
  };
}

export type ProcessorConfig = ReturnType<typeof processorConfig>;
export type ProcessorTopics = ProcessorConfig['topics'];
