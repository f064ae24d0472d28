// Test fixture for the command processor: a random topic prefix, group and
// transactional ids per test file on the real broker; helpers to send
// commands, collect their results and read the event log back.
import { randomUUID } from 'node:crypto';
import type kafkajs from 'kafkajs';
import {
  readCommandResultRecord,
  readTaskEventRecord,
  taskCommandRecord,
  type CommandResult,
  type ReadTaskEvent,
} from '@tasklog/contracts';
import type { TaskCommand } from '@tasklog/domain';
import { highWatermarks, readPartitionRanges } from '@tasklog/platform/kafka';
import { testKafka, testLogger, uniqueName, inheritedEnv } from '../../../libs/testing/src/infra.js';
import { processorConfig, type ProcessorConfig } from '../src/processor.config.js';
import { provisionTopics, startProcessor, type RunningProcessor } from '../src/processor.app.js';

export async function processorFixture(overrides: Record<string, string> = {}) {
  const prefix = `${uniqueName('t')}.`;
  const env: Record<string, string | undefined> = {
    ...inheritedEnv(),
    TASKLOG_TOPIC_PREFIX: prefix,
    TASKLOG_PARTITIONS: '3',
    PROCESSOR_GROUP_ID: `${prefix}processor`,
    PROCESSOR_TRANSACTIONAL_ID_PREFIX: `${prefix}writer-`,
    PROCESSOR_PORT: '0',
    LOG_LEVEL: 'silent',
    ...overrides,
  };
  const config = processorConfig(env);
  const kafka = testKafka();
  await provisionTopics(config, testLogger);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const results = await collectResults(kafka, config);
  const running: RunningProcessor[] = [];

  return {
    config,
    env,
    kafka,
    results,
    async start(): Promise<RunningProcessor> {
      const p = await startProcessor(config, { http: false, logger: testLogger });
      running.push(p);
      await waitUntil(() => p.consumer.isReady(), 30_000, 'processor ready');
      return p;
    },
    async send(commands: readonly TaskCommand[]): Promise<void> {
      await producer.send({
        topic: config.topics.commands,
        acks: -1,
        messages: commands.map((c) => taskCommandRecord(c, { source: '/tasklog/test' })),
      });
    },
    async sendRaw(messages: kafkajs.Message[]): Promise<void> {
      await producer.send({ topic: config.topics.commands, acks: -1, messages });
    },
    readEvents: () => readAll(kafka, config.topics.events),
    async drop(): Promise<void> {
      for (const p of running) await p.stop().catch(() => undefined);
      await results.stop();
      await producer.disconnect();
      const admin = kafka.admin();
      await admin.connect();
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
      await admin.deleteTopics({ topics }).catch(() => undefined);
      await admin.disconnect();
    },
  };
}

export type ProcessorFixture = Awaited<ReturnType<typeof processorFixture>>;

async function collectResults(kafka: kafkajs.Kafka, config: ProcessorConfig) {
  const byCommand = new Map<string, CommandResult[]>();
  const consumer = kafka.consumer({ groupId: uniqueName('results'), maxWaitTimeInMs: 20, readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic: config.topics.results, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const { result } = readCommandResultRecord(message);
      byCommand.set(result.commandId, [...(byCommand.get(result.commandId) ?? []), result]);
    },
  });
  return {
    byCommand,
    async waitFor(commandIds: readonly string[], count = 1, timeoutMs = 30_000): Promise<CommandResult[][]> {
      await waitUntil(
        () => commandIds.every((id) => (byCommand.get(id)?.length ?? 0) >= count),
        timeoutMs,
        `results of ${commandIds.length} commands`,
      );
      return commandIds.map((id) => byCommand.get(id)!);
    },
    stop: () => consumer.disconnect(),
  };
}

export interface LoggedEvent extends ReadTaskEvent {
  readonly partition: number;
  readonly offset: bigint;
}

export async function readAll(kafka: kafkajs.Kafka, topic: string): Promise<LoggedEvent[]> {
  const ends = await highWatermarks(kafka, topic);
  const events: LoggedEvent[] = [];
  await readPartitionRanges(
    kafka,
    [...ends].map(([partition, end]) => ({ topic, partition, from: 0n, end })),
    {
      onBatch: (messages) => {
        for (const m of messages)
          events.push({ ...readTaskEventRecord(m.message), partition: m.partition, offset: m.offset });
      },
    },
  );
  return events;
}

export async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Command builders with fresh ids and the current time. */
export const commands = {
  create(
    taskId = randomUUID(),
    owner = 'user-1',
    extra: Partial<Extract<TaskCommand, { type: 'CreateTask' }>['data']> = {},
  ): TaskCommand {
    return {
      type: 'CreateTask',
      data: { ownerId: owner, title: `Task ${taskId.slice(0, 8)}`, ...extra },
      metadata: meta(taskId, owner),
    };
  },
  update(taskId: string, title: string, expectedVersion?: number, commandId?: string): TaskCommand {
    return {
      type: 'UpdateTaskDetails',
      data: { changes: { title } },
      metadata: { ...meta(taskId, 'user-1', commandId), ...(expectedVersion === undefined ? {} : { expectedVersion }) },
    };
  },
  complete(taskId: string): TaskCommand {
    return { type: 'CompleteTask', data: {}, metadata: meta(taskId, 'user-1') };
  },
};

function meta(taskId: string, actorId: string, commandId: string = randomUUID()) {
  return { commandId, taskId, actorId, issuedAt: new Date().toISOString() };
}
