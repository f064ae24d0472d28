import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { commandResultRecord, toTaskRepresentation, type CommandResult } from '@tasklog/contracts';
import { foldTask, type ExistingTask } from '@tasklog/domain';
import { createRedis } from '@tasklog/platform/redis';
import { TASK_ID, events } from '@tasklog/testing';
import { testKafka, testLogger, testRedisConfig, uniqueName } from '../../../libs/testing/src/infra.js';
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
});
