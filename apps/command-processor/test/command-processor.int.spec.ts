import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { recoverPartitions } from '../src/partition-recovery.js';
import { PartitionWriter } from '../src/partition-writer.js';
import { commands, processorFixture, readAll, type ProcessorFixture } from './processor.fixture.js';

describe('command processor (real broker)', () => {
  let fx: ProcessorFixture;

  beforeAll(async () => {
    // Snapshot often, so recovery from snapshots is exercised by every test.
    fx = await processorFixture({ PROCESSOR_SNAPSHOT_EVERY_EVENTS: '5' });
    await fx.start();
  });
  afterAll(async () => {
    await fx.drop();
  });

  async function createTask(): Promise<string> {
    const create = commands.create();
    await fx.send([create]);
    const [[result]] = await fx.results.waitFor([create.metadata.commandId]);
    expect(result!.outcome.kind).toBe('accepted');
    return create.metadata.taskId;
  }

  it('accepts exactly one of two commands sent at once with the same expected version', async () => {
    const taskId = await createTask();
    const a = commands.update(taskId, 'first', 1);
    const b = commands.update(taskId, 'second', 1);
    await fx.send([a, b]);
    const [[ra], [rb]] = await fx.results.waitFor([a.metadata.commandId, b.metadata.commandId]);
    const outcomes = [ra!.outcome, rb!.outcome];
    expect(outcomes.filter((o) => o.kind === 'accepted')).toHaveLength(1);
    const rejected = outcomes.find((o) => o.kind === 'rejected');
    expect(rejected).toMatchObject({
      kind: 'rejected',
      rejection: { code: 'TASK.VERSION_CONFLICT', currentVersion: 2 },
    });
  });

  it('answers a command id sent three times with one event and three identical outcomes', async () => {
    const taskId = await createTask();
    const commandId = randomUUID();
    const repeat = () => commands.update(taskId, 'renamed once', undefined, commandId);
    await fx.send([repeat()]);
    await fx.results.waitFor([commandId], 1);
    await fx.send([repeat(), repeat()]);
    const [results] = await fx.results.waitFor([commandId], 3);
    expect(results).toHaveLength(3);
    expect(results![1]).toEqual(results![0]);
    expect(results![2]).toEqual(results![0]);
    expect(results![0]!.outcome).toMatchObject({ kind: 'accepted', newVersion: 2 });
    const events = (await fx.readEvents()).filter((e) => e.recorded.metadata.causationId === commandId);
    expect(events).toHaveLength(1);
  });

  it('gives every accepted result the real position of its last event', async () => {
    const taskId = await createTask();
    const complete = commands.complete(taskId);
    await fx.send([complete]);
    const [[result]] = await fx.results.waitFor([complete.metadata.commandId]);
    expect(result!.outcome.kind).toBe('accepted');
    if (result!.outcome.kind !== 'accepted') return;
    const events = await fx.readEvents();
    const last = events.find(
      (e) =>
        e.partition === (result!.outcome as { partition: number }).partition &&
        e.offset.toString() === (result!.outcome as { offset: string }).offset,
    );
    expect(last?.recorded.metadata).toMatchObject({ causationId: complete.metadata.commandId, version: 2 });
    expect(last?.recorded.event.type).toBe('TaskCompleted');
  });

  it('notices a foreign write in its partition before committing: aborts, rebuilds and answers with the real offsets', async () => {
    const taskId = await createTask();
    const first = (await fx.readEvents()).find((e) => e.recorded.metadata.taskId === taskId)!;
    // Someone else's aborted transaction moves the partition's end by two
    // offsets (record + abort marker) behind the writer's back.
    const foreign = fx.kafka.producer({
      transactionalId: `${fx.config.transactionalIdPrefix}foreign`,
      maxInFlightRequests: 1,
    });
    await foreign.connect();
    const tx = await foreign.transaction();
    await tx.send({
      topic: fx.config.topics.events,
      messages: [{ partition: first.partition, key: 'foreign', value: 'x' }],
    });
    await tx.abort();
    await foreign.disconnect();

    const update = commands.update(taskId, 'after the foreign write', 1);
    await fx.send([update]);
    const [[result]] = await fx.results.waitFor([update.metadata.commandId]);
    expect(result!.outcome).toMatchObject({ kind: 'accepted', newVersion: 2 });
    const events = (await fx.readEvents()).filter((e) => e.recorded.metadata.causationId === update.metadata.commandId);
    expect(events).toHaveLength(1);
    expect(events[0]!.offset.toString()).toBe((result!.outcome as { offset: string }).offset);
    expect(events[0]!.offset).toBeGreaterThan(first.offset + 2n);
  });

  it('answers an undecodable command as rejected, dead-letters it, and keeps the partition moving', async () => {
    const commandId = randomUUID();
    const taskId = randomUUID();
    await fx.sendRaw([
      { key: taskId, value: Buffer.from('not protobuf'), headers: { ce_id: commandId, ce_subject: taskId } },
    ]);
    const after = commands.create(taskId);
    await fx.send([after]);
    const [[bad], [good]] = await fx.results.waitFor([commandId, after.metadata.commandId]);
    expect(bad!.outcome).toMatchObject({ kind: 'rejected', rejection: { code: 'TASK.VALIDATION' } });
    expect(good!.outcome.kind).toBe('accepted');
    const dlq = await readRaw(fx, fx.config.topics.dlq);
    expect(dlq.some((m) => m.headers?.['ce_id']?.toString() === commandId && m.headers?.['dlq-reason'])).toBe(true);
  });

  it('rebuilds from snapshots exactly the state a full replay of the log gives', async () => {
    const taskIds = await Promise.all(Array.from({ length: 20 }, () => createTask()));
    const updates = taskIds.flatMap((id) => [commands.update(id, `t-${id}`), commands.complete(id)]);
    await fx.send(updates);
    await fx.results.waitFor(updates.map((c) => c.metadata.commandId));
    const partitions = [0, 1, 2];
    const fromSnapshots = await recoverPartitions(fx.kafka, fx.config.topics, partitions, { window: 8 });
    const fullReplay = await recoverPartitions(fx.kafka, fx.config.topics, partitions, {
      window: 8,
      ignoreSnapshots: true,
    });
    expect(fromSnapshots.snapshotsLoaded).toBeGreaterThan(0);
    expect(fromSnapshots.eventsReplayed).toBeLessThan(fullReplay.eventsReplayed);
    for (const p of partitions) {
      const a = new Map([...fromSnapshots.states.get(p)!.entries()].map(([id, e]) => [id, e.state]));
      const b = new Map([...fullReplay.states.get(p)!.entries()].map(([id, e]) => [id, e.state]));
      expect(a).toEqual(b);
    }
  });

  it('fences a zombie writer: its open transaction is aborted and never visible to read_committed readers', async () => {
    const zombie = await PartitionWriter.fence(0, fx.config);
    const tx = await zombie.transaction();
    await tx.send(fx.config.topics.events, [
      { partition: 0, key: 'zombie', value: Buffer.from('zombie event'), headers: {} },
    ]);
    // A new owner of partition 0 initialises the same transactional id.
    const owner = await PartitionWriter.fence(0, fx.config);
    await expect(tx.commit()).rejects.toThrow(/fenced|epoch|PRODUCER_FENCED|INVALID_PRODUCER_EPOCH/i);
    await owner.disconnect();
    await zombie.disconnect().catch(() => undefined);
    const raw = await readRaw(fx, fx.config.topics.events);
    expect(raw.some((m) => m.key?.toString() === 'zombie')).toBe(false);
    // The processor's writer of partition 0 was fenced too; it rebuilds and goes on.
    const taskId = await createTask();
    expect(taskId).toBeDefined();
  });
});

async function readRaw(fx: ProcessorFixture, topic: string) {
  const { highWatermarks, readPartitionRanges } = await import('@tasklog/platform/kafka');
  const ends = await highWatermarks(fx.kafka, topic);
  const out: import('@tasklog/platform/kafka').LogRecord[] = [];
  await readPartitionRanges(
    fx.kafka,
    [...ends].map(([partition, end]) => ({ topic, partition, from: 0n, end })),
    {
      onBatch: (messages) => void out.push(...messages.map((m) => m.message)),
    },
  );
  return out;
}

void readAll;
