import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { commandResultRecord, toTaskRepresentation, type CommandResult } from '@tasklog/contracts';
import { foldTask, type ExistingTask } from '@tasklog/domain';
import { createRedis } from '@tasklog/platform/redis';
import { TASK_ID, events } from '@tasklog/testing';
import {
  createTestTopics,
  testKafka,
  testLogger,
  testRedisConfig,
  uniqueName,
} from '../../../libs/testing/src/infra.js';
import { CommandResultsListener } from '../src/commands/kafka/command-results.listener.js';
import { CommandStatusStore } from '../src/commands/store/command-status.store.js';

// The results listener against real Redis: results awaited (or submitted) here
// are decoded and answered; other instances' results are stored as received
// and decoded when their status is read (ADR 0032). Kafka is not read here:
// records are handed to the listener as the consumer would.
describe('command results listener and status store', () => {
  const redis = createRedis(testRedisConfig(uniqueName('results')), testLogger, { autoPipelining: true });
  const status = new CommandStatusStore(redis, 120, testLogger);
  const listener = new CommandResultsListener(testKafka(), { topic: 'unused', groupId: 'unused' }, status, testLogger);
  const deliver = (result: CommandResult) => {
    const record = commandResultRecord(result, {
      source: '/tasklog/command-processor',
      time: new Date().toISOString(),
    });
    const message = {
      key: Buffer.from(record.key),
      value: record.value,
      headers: record.headers,
      timestamp: String(Date.now()),
      offset: '0',
      attributes: 0,
    };
    (listener as unknown as { onMessages(messages: unknown[]): void }).onMessages([message]);
  };
  const task = toTaskRepresentation(foldTask([events.created()]) as ExistingTask);
  const accepted = (commandId: string): CommandResult => ({
    commandId,
    taskId: TASK_ID,
    outcome: { kind: 'accepted', newVersion: 1, task, partition: 3, offset: '42' },
  });

  beforeAll(async () => {
    if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  });
  afterAll(() => redis.disconnect());

  it('answers a waiting request with the decoded result and stores its status with the submitter', async () => {
    const commandId = uniqueName('cmd');
    status.track({
      commandId,
      taskId: TASK_ID,
      commandType: 'CreateTask',
      userId: 'user-1',
      submittedAt: new Date().toISOString(),
    });
    const waiter = listener.waitFor(commandId);
    deliver(accepted(commandId));
    expect(await waiter.until(1000)).toEqual(accepted(commandId));
    await status.flush();
    expect(await status.get(commandId)).toMatchObject({
      userId: 'user-1',
      commandType: 'CreateTask',
      outcome: accepted(commandId).outcome,
    });
  });

  it("stores another instance's result undecoded and decodes it when its status is read", async () => {
    const commandId = uniqueName('cmd');
    expect(status.isTracked(commandId)).toBe(false);
    deliver(accepted(commandId));
    await status.flush();
    expect(await redis.hget(`commands:status:${commandId}`, 'outcome')).toBeNull();
    expect(await redis.hget(`commands:status:${commandId}`, 'result')).toEqual(expect.any(String));
    expect(await status.get(commandId)).toMatchObject({
      commandId,
      taskId: TASK_ID,
      userId: null,
      decidedAt: expect.any(String),
      outcome: accepted(commandId).outcome,
    });
  });

  it('treats a stored result that does not decode as not decided', async () => {
    const commandId = uniqueName('cmd');
    status.recordUndecoded(commandId, TASK_ID, Buffer.from('not protobuf at all'), new Date().toISOString());
    await status.flush();
    expect(await status.get(commandId)).toMatchObject({ commandId, outcome: null });
  });

  // On the real broker: the listener commits what it read on a timer and when
  // it stops (not inside kafkajs' fetch loop, ADR 0049), so a listener of the
  // same group resumes after it instead of skipping to the end.
  it('commits what it read, so that the next listener of its group resumes there', async () => {
    const kafka = testKafka();
    const created = await createTestTopics(kafka, ['results'], 2);
    const topic = created.topics[0]!;
    const groupId = uniqueName('results-group');
    const producer = kafka.producer();
    await producer.connect();
    const produce = async (result: CommandResult) => {
      const record = commandResultRecord(result, {
        source: '/tasklog/command-processor',
        time: new Date().toISOString(),
      });
      await producer.send({ topic, messages: [{ key: record.key, value: record.value, headers: record.headers }] });
    };
    const open = async () => {
      const l = new CommandResultsListener(kafka, { topic, groupId, commitIntervalMs: 100 }, status, testLogger);
      await l.start(30_000);
      return l;
    };
    const admin = kafka.admin();
    await admin.connect();
    const committed = async () =>
      (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions.reduce(
        (sum, p) => sum + Math.max(0, Number(p.offset)),
        0,
      );
    try {
      const first = await open();
      const ids = [uniqueName('cmd'), uniqueName('cmd'), uniqueName('cmd')];
      const waiters = ids.map((id) => first.waitFor(id));
      for (const id of ids) await produce(accepted(id));
      for (const [i, waiter] of waiters.entries()) expect(await waiter.until(10_000)).toEqual(accepted(ids[i]!));
      // The timer commits without a stop…
      for (let i = 0; i < 100 && (await committed()) < ids.length; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await committed()).toBe(ids.length);
      await first.stop();

      // …and a result produced while no listener ran is read by the next one.
      const missed = uniqueName('cmd');
      await produce(accepted(missed));
      const second = await open();
      try {
        for (let i = 0; i < 100 && (await committed()) < ids.length + 1; i++)
          await new Promise((r) => setTimeout(r, 100));
        expect(await committed()).toBe(ids.length + 1);
        await status.flush();
        expect(await status.get(missed)).toMatchObject({ commandId: missed, outcome: accepted(missed).outcome });
      } finally {
        await second.stop();
      }
    } finally {
      await admin.disconnect();
      await producer.disconnect();
      await created.drop();
    }
  }, 60_000);
});
