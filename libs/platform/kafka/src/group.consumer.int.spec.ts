import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestTopics, testKafka, testKafkaConfig, testLogger, uniqueName } from '../../../testing/src/infra.js';
import { GroupConsumer, type ConsumedBatch, type Generation } from './group.consumer.js';
import { TransactionalProducer } from './transactional.producer.js';

// The group consumer speaks the group and fetch protocols itself (ADR 0052):
// checked here against the real broker, beside kafkajs' consumer.
describe('GroupConsumer (real broker)', () => {
  const kafka = testKafka();
  const config = testKafkaConfig();
  let topics: Awaited<ReturnType<typeof createTestTopics>>;
  const running: GroupConsumer[] = [];

  beforeAll(async () => {
    topics = await createTestTopics(kafka, ['split', 'committed', 'slow', 'range', 'mixed', 'offsets'], 4);
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((c) => c.stop()));
  });
  afterAll(async () => {
    await topics.drop();
  });

  interface Member {
    readonly consumer: GroupConsumer;
    readonly generations: Generation[];
    readonly batches: ConsumedBatch[];
    readonly outOfRange: { partition: number; position: bigint }[];
  }

  /** A member that seeks every assigned partition to `from` and keeps what it is handed. */
  function member(
    topic: string,
    groupId: string,
    options: { from?: bigint; onBatch?: (b: ConsumedBatch) => Promise<void>; sessionTimeoutMs?: number } = {},
  ): Member {
    const generations: Generation[] = [];
    const batches: ConsumedBatch[] = [];
    const outOfRange: Member['outOfRange'] = [];
    const consumer: GroupConsumer = new GroupConsumer(
      {
        ...config,
        groupId,
        topic,
        sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
        heartbeatIntervalMs: 500,
        maxWaitMs: 50,
        maxBytesPerPartition: 1024 * 1024,
        maxBytes: 4 * 1024 * 1024,
        logger: testLogger,
      },
      {
        assigned: (generation) => {
          generations.push(generation);
          for (const p of generation.partitions) consumer.seek(p, options.from ?? 0n);
        },
        batch: async (batch) => {
          batches.push(batch);
          await options.onBatch?.(batch);
        },
        outOfRange: (partition, position) => outOfRange.push({ partition, position }),
      },
    );
    running.push(consumer);
    return { consumer, generations, batches, outOfRange };
  }

  async function eventually(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const last = <T>(list: readonly T[]): T | undefined => list[list.length - 1];

  async function produce(topic: string, values: { partition: number; value: string }[], commit = true) {
    const producer = await TransactionalProducer.fence(config, { transactionalId: uniqueName('writer') });
    const tx = await producer.transaction();
    const offsets = await tx.sendAll([
      {
        topic,
        records: values.map(({ partition, value }) => ({
          key: `k${partition}`,
          value: Buffer.from(value),
          headers: { ce_id: value },
          partition,
        })),
      },
    ]);
    if (commit) await tx.commit();
    else await tx.abort();
    await producer.disconnect();
    return offsets;
  }

  it('splits the partitions between two members, and gives them all to the one left after the other leaves', async () => {
    const topic = topics.topics[0]!;
    const groupId = uniqueName('split');
    const a = member(topic, groupId);
    await a.consumer.start();
    const b = member(topic, groupId);
    await b.consumer.start();
    // a joins again when the coordinator tells it (heartbeat) that b arrived.
    await eventually(
      () => last(a.generations)?.generationId === last(b.generations)?.generationId,
      'both members in one generation',
    );
    const together = [...last(a.generations)!.partitions, ...last(b.generations)!.partitions].sort();
    expect(together).toEqual([0, 1, 2, 3]);
    expect(last(a.generations)!.partitions).toHaveLength(2);

    await b.consumer.stop();
    await eventually(() => last(a.generations)!.partitions.length === 4, 'a owning every partition');
    expect(last(a.generations)!.generationId).toBeGreaterThan(last(b.generations)!.generationId);
  });

  it('hands out committed records only, in order, from the sought position, with their offsets', async () => {
    const topic = topics.topics[1]!;
    const first = await produce(topic, [
      { partition: 0, value: 'one' },
      { partition: 0, value: 'two' },
      { partition: 1, value: 'three' },
    ]);
    await produce(topic, [{ partition: 0, value: 'aborted' }], false);
    await produce(topic, [{ partition: 0, value: 'four' }]);
    // Skips 'one' on every partition's first offset: 'three' (offset 0 of partition 1) is left out too.
    const m = member(topic, uniqueName('committed'), { from: 1n });
    await m.consumer.start();
    await eventually(() => m.batches.flatMap((b) => b.records).length >= 2, 'the committed records');
    await new Promise((resolve) => setTimeout(resolve, 300)); // nothing else may come
    const records = m.batches.flatMap((b) => b.records.map((r) => ({ partition: b.partition, r })));
    expect(records.map(({ r }) => r.value?.toString())).toEqual(['two', 'four']);
    expect(records.every(({ partition }) => partition === 0)).toBe(true);
    expect(records[0]!.r.offsetValue).toBe(first.find((o) => o.partition === 0)!.offset + 1n);
    expect(records[0]!.r.headers).toEqual({ ce_id: 'two' });
    // The aborted transaction and both markers lie between: 'four' is at two (records) + 1 (marker) + 1 (aborted) + 1 (marker).
    expect(records[1]!.r.offsetValue).toBe(records[0]!.r.offsetValue + 4n);
    expect(last(m.batches.filter((b) => b.partition === 0))!.nextOffset).toBe(records[1]!.r.offsetValue + 2n);
  });

  it('keeps its membership while a hand-out waits longer than the session timeout', async () => {
    const topic = topics.topics[2]!;
    await produce(topic, [{ partition: 0, value: 'slow' }]);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const m = member(topic, uniqueName('slow'), { sessionTimeoutMs: 6000, onBatch: () => held });
    await m.consumer.start();
    await eventually(() => m.batches.length === 1, 'the held batch');
    await new Promise((resolve) => setTimeout(resolve, 8000));
    release();
    await produce(topic, [{ partition: 0, value: 'after' }]);
    await eventually(() => m.batches.length === 2, 'the batch after the wait');
    expect(m.generations).toHaveLength(1);
    expect(m.batches[1]!.records.map((r) => r.value?.toString())).toEqual(['after']);
  }, 30_000);

  it("reads the group's committed offsets: a committed transaction's, none where nothing was, never an open one's", async () => {
    const topic = topics.topics[5]!;
    const groupId = uniqueName('offsets');
    const m = member(topic, groupId);
    await m.consumer.start();
    const commit = async (partition: number, offset: bigint, end: 'commit' | 'abort' | 'open') => {
      const producer = await TransactionalProducer.fence(config, { transactionalId: uniqueName('offsets') });
      const tx = await producer.transaction();
      await tx.sendOffsets(groupId, topic, partition, offset);
      if (end === 'commit') await tx.commit();
      if (end === 'abort') await tx.abort();
      return producer;
    };
    await (await commit(0, 42n, 'commit')).disconnect();
    await (await commit(1, 7n, 'abort')).disconnect();
    const open = await commit(2, 9n, 'open');
    try {
      const offsets = await m.consumer.committedOffsets([0, 1, 2, 3]);
      expect([...offsets]).toEqual([
        [0, 42n],
        [1, null],
        [2, null],
        [3, null],
      ]);
    } finally {
      await open.disconnect();
    }
  });

  it('reports a position the log does not hold, and stops fetching that partition', async () => {
    const topic = topics.topics[3]!;
    await produce(topic, [{ partition: 2, value: 'only' }]);
    const m = member(topic, uniqueName('range'), { from: 50n });
    await m.consumer.start();
    await eventually(() => m.outOfRange.length === 4, 'every partition out of range');
    expect(m.outOfRange.sort((x, y) => x.partition - y.partition)).toEqual(
      [0, 1, 2, 3].map((partition) => ({ partition, position: 50n })),
    );
    // Not fetched again: a record written now (at offset 2 of partition 2) is never handed out.
    await produce(topic, [{ partition: 2, value: 'later' }]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(m.batches).toEqual([]);
    expect(m.outOfRange).toHaveLength(4);
  });

  it('shares a group with a kafkajs consumer (same assignor, same formats)', async () => {
    const topic = topics.topics[4]!;
    const groupId = uniqueName('mixed');
    const ours = member(topic, groupId);
    await ours.consumer.start();
    let theirs: number[] = [];
    const other = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500 });
    other.on(other.events.GROUP_JOIN, ({ payload }) => (theirs = [...(payload.memberAssignment[topic] ?? [])]));
    await other.connect();
    await other.subscribe({ topic });
    await other.run({ eachBatch: async () => undefined });
    try {
      await eventually(
        () => theirs.length > 0 && last(ours.generations)!.partitions.length + theirs.length === 4,
        'the partitions split between the two clients',
      );
      expect([...last(ours.generations)!.partitions, ...theirs].sort()).toEqual([0, 1, 2, 3]);
    } finally {
      await other.disconnect();
    }
  });
});
