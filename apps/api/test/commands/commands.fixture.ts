// The command API end to end for one test file: a command processor and an
// API started in-process on the real services, sharing a random topic
// prefix (3 partitions), with tokens for a few users and helpers to call the
// API and read the command and event logs back. KAFKA_BROKERS in `env`
// points both apps (and the helpers) at a private broker.
import kafkajs from 'kafkajs';
import { readTaskCommandRecord } from '@tasklog/contracts';
import { createKafka, highWatermarks, readPartitionRanges } from '@tasklog/platform/kafka';
import { testLogger, uniqueName, inheritedEnv } from '../../../../libs/testing/src/infra.js';
import { processorConfig } from '../../../command-processor/src/processor.config.js';
import { startProcessor, type RunningProcessor } from '../../../command-processor/src/processor.app.js';
import { readAll, waitUntil } from '../../../command-processor/test/processor.fixture.js';
import { CommandsRuntime } from '../../src/commands/commands.module.js';
import { call, createTestKeys, removeKeys, signToken, startTestApi } from '../api.harness.js';

export type Caller = (
  method: string,
  path: string,
  init?: { body?: unknown; headers?: Record<string, string> },
) => ReturnType<typeof call>;

export interface CommandsFixtureOptions {
  /** Environment of both apps (KAFKA_BROKERS of a private broker...). */
  readonly env?: Record<string, string>;
  /** Environment of the API only (COMMANDS_WAIT_TIMEOUT_MS...). */
  readonly apiEnv?: Record<string, string>;
}

export async function commandsFixture(options: CommandsFixtureOptions = {}) {
  const prefix = `${uniqueName('c')}.`;
  const env: Record<string, string | undefined> = {
    ...inheritedEnv(),
    TASKLOG_TOPIC_PREFIX: prefix,
    TASKLOG_PARTITIONS: '3',
    PROCESSOR_GROUP_ID: `${prefix}processor`,
    PROCESSOR_TRANSACTIONAL_ID_PREFIX: `${prefix}writer-`,
    PROCESSOR_PORT: '0',
    LOG_LEVEL: 'silent',
    ...options.env,
  };
  const config = processorConfig(env);
  const kafka = createKafka({ ...config.kafka, clientId: uniqueName('test') }, testLogger);
  const keys = await createTestKeys();
  let processor: RunningProcessor | null = await startReadyProcessor(config);
  const api = await startTestApi(keys, {
    env: {
      TASKLOG_TOPIC_PREFIX: prefix,
      TASKLOG_PARTITIONS: '3',
      KAFKA_BROKERS: config.kafka.brokers.join(','),
      RATE_LIMIT_ENABLED: 'false',
      ...options.apiEnv,
    },
  });
  const runtime = api.app.get(CommandsRuntime);
  const token = (user: string, scopes = ['tasks:read', 'tasks:write']) => signToken(keys, user, scopes);

  return {
    api,
    kafka,
    keys,
    topics: config.topics,
    grpcPort: runtime.grpc?.port ?? 0,
    token,
    /** A caller with a bearer token of `user` (tasks:read and tasks:write unless `scopes` say otherwise). */
    async as(user: string, scopes?: string[]): Promise<Caller> {
      const bearer = await token(user, scopes);
      return (method, path, init = {}) =>
        call(api.baseUrl, `/api/v1${path}`, {
          method,
          ...(init.body === undefined ? {} : { body: init.body }),
          headers: { authorization: `Bearer ${bearer}`, ...init.headers },
        });
    },
    /** Every event in the log, decoded. */
    events: () => readAll(kafka, config.topics.events),
    /** The ids of every command in the command log. */
    commandIds: () => readCommandIds(kafka, config.topics.commands),
    async stopProcessor(): Promise<void> {
      await processor?.stop();
      processor = null;
    },
    async startProcessor(): Promise<void> {
      processor ??= await startReadyProcessor(config);
    },
    async close(): Promise<void> {
      await api.close();
      await processor?.stop().catch(() => undefined);
      await dropKafkaResources(kafka, prefix, runtime.deps.config.commands.resultsGroupId);
      await removeKeys(keys);
    },
  };
}

export type CommandsFixture = Awaited<ReturnType<typeof commandsFixture>>;

async function startReadyProcessor(config: ReturnType<typeof processorConfig>): Promise<RunningProcessor> {
  const processor = await startProcessor(config, { http: false, logger: testLogger });
  await waitUntil(() => processor.consumer.isReady(), 30_000, 'processor ready');
  return processor;
}

async function readCommandIds(kafka: kafkajs.Kafka, topic: string): Promise<string[]> {
  const ends = await highWatermarks(kafka, topic);
  const ids: string[] = [];
  await readPartitionRanges(
    kafka,
    [...ends].map(([partition, end]) => ({ topic, partition, from: 0n, end })),
    {
      onBatch: (messages) =>
        void ids.push(...messages.map((m) => readTaskCommandRecord(m.message).command.metadata.commandId)),
    },
  );
  return ids;
}

async function dropKafkaResources(kafka: kafkajs.Kafka, prefix: string, groupId: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.deleteGroups([groupId, `${prefix}processor`]).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
