import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestTopics, testKafka, testKafkaConfig, uniqueName } from '../../../testing/src/infra.js';
import type kafkajs from 'kafkajs';
import { TransactionalProducer, type OutgoingRecord } from './transactional.producer.js';

// The producer speaks the transaction protocol itself (ADR 0051), in both
// versions (ADR 0057): checked here against the real broker, read back with
// kafkajs.
describe('TransactionalProducer: the protocol version (real broker)', () => {
  it('speaks the transaction protocol v2 where the broker has finalized it (Kafka 4.1 here)', async () => {
    const producer = await TransactionalProducer.fence(testKafkaConfig(), { transactionalId: uniqueName('auto') });
    try {
      expect(producer.transactionVersion).toBe(2);
    } finally {
      await producer.disconnect();
    }
  });
});

describe.each([2, 1] as const)('TransactionalProducer, transaction protocol v%s (real broker)', (version) => {
  const kafka = testKafka();
  const config = testKafkaConfig();
  let topics: Awaited<ReturnType<typeof createTestTopics>>;
  const fence = (transactionalId: string) =>
    TransactionalProducer.fence(config, { transactionalId, transactionVersion: version });

  beforeAll(async () => {
    topics = await createTestTopics(kafka, ['visible', 'offsets', 'fenced', 'large', 'series'], 3);
  });
  afterAll(async () => {
    await topics.drop();
  });

  const record = (key: string, value: string, partition?: number): OutgoingRecord => ({
    key,
    value: Buffer.from(value),
    headers: { ce_type: 'Test', ce_id: `${key}/${value}` },
    ...(partition === undefined ? {} : { partition }),
  });

  interface Read {
    partition: number;
    offset: bigint;
    key: string;
    value: string;
    headers: Record<string, string>;
  }

  async function readAll(topic: string, expected: number, readUncommitted = false): Promise<Read[]> {
    const consumer = kafka.consumer({ groupId: uniqueName('reader'), readUncommitted, maxWaitTimeInMs: 100 });
    const seen: Read[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 8000);
      void consumer.run({
        eachMessage: async ({ partition, message }: kafkajs.EachMessagePayload) => {
          const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
          seen.push({
            partition,
            offset: BigInt(message.offset),
            key: message.key?.toString() ?? '',
            value: message.value?.toString() ?? '',
            headers,
          });
          if (seen.length >= expected) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    return seen.sort((a, b) => a.partition - b.partition || Number(a.offset - b.offset));
  }

  it('shows read_committed readers the committed transaction only, at the offsets it answered', async () => {
    const topic = topics.topics[0]!;
    const producer = await fence(uniqueName('visible'));
    const aborted = await producer.transaction();
    await aborted.sendAll([{ topic, records: [record('a', 'aborted-0', 0), record('b', 'aborted-1', 1)] }]);
    await aborted.abort();
    const tx = await producer.transaction();
    const offsets = await tx.sendAll([
      { topic, records: [record('a', 'one', 0), record('a', 'two', 0), record('c', 'three', 1)] },
      { topic, records: [record('keyed', 'four')] },
    ]);
    await tx.commit();
    await producer.disconnect();

    const committed = await readAll(topic, 4);
    expect(committed.map((r) => r.value).sort()).toEqual(['four', 'one', 'three', 'two']);
    for (const r of committed) expect(r.headers).toEqual({ ce_type: 'Test', ce_id: `${r.key}/${r.value}` });
    // The keyed record went where the Java partitioner (and kafkajs) puts its key.
    const keyed = committed.find((r) => r.key === 'keyed')!;
    const kafkajsModule = await import('kafkajs');
    const partitioner = kafkajsModule.default.Partitioners.DefaultPartitioner();
    const partitionMetadata = [0, 1, 2].map((partitionId) => ({ partitionId, leader: 0 }));
    expect(keyed.partition).toBe(
      partitioner({ topic, partitionMetadata, message: { key: 'keyed', value: null } } as never),
    );
    // Base offsets come after the aborted batch and its abort marker.
    const one = committed.find((r) => r.value === 'one')!;
    const three = committed.find((r) => r.value === 'three')!;
    expect(offsets).toEqual(
      expect.arrayContaining([
        { topic, partition: 0, offset: one.offset },
        { topic, partition: 1, offset: three.offset },
      ]),
    );
    expect(one.offset).toBe(2n);
    // Uncommitted readers do see the aborted records: they are in the log.
    expect((await readAll(topic, 6, true)).map((r) => r.value)).toEqual(
      expect.arrayContaining(['aborted-0', 'aborted-1']),
    );
  });

  it('commits consumer offsets with the transaction, and only when it commits', async () => {
    const topic = topics.topics[1]!;
    const groupId = uniqueName('offsets-group');
    const producer = await fence(uniqueName('offsets'));
    const admin = kafka.admin();
    await admin.connect();
    try {
      const aborted = await producer.transaction();
      await aborted.sendAll([{ topic, records: [record('a', 'x', 0)] }]);
      await aborted.sendOffsets(groupId, topic, 2, 99n);
      await aborted.abort();
      const tx = await producer.transaction();
      await tx.sendAll([{ topic, records: [record('a', 'y', 0)] }]);
      await tx.sendOffsets(groupId, topic, 2, 42n);
      await tx.commit();
      const [fetched] = await admin.fetchOffsets({ groupId, topics: [topic] });
      expect(fetched!.partitions.find((p) => p.partition === 2)?.offset).toBe('42');
    } finally {
      await admin.disconnect();
      await producer.disconnect();
    }
  });

  it('fences the previous owner of a transactional id: its open transaction never shows, its next send fails as fenced', async () => {
    const topic = topics.topics[2]!;
    const id = uniqueName('fenced');
    const zombie = await fence(id);
    const open = await zombie.transaction();
    await open.sendAll([{ topic, records: [record('z', 'zombie-open', 0)] }]);
    const owner = await fence(id);
    expect(owner.identity.epoch).toBeGreaterThan(zombie.identity.epoch);
    await expect(open.sendAll([{ topic, records: [record('z', 'zombie-late', 0)] }])).rejects.toMatchObject({
      fenced: true,
    });
    await expect(open.commit()).rejects.toMatchObject({ fenced: true });
    const tx = await owner.transaction();
    await tx.sendAll([{ topic, records: [record('o', 'owner', 0)] }]);
    await tx.commit();
    await Promise.all([zombie.disconnect(), owner.disconnect()]);
    expect((await readAll(topic, 1)).map((r) => r.value)).toEqual(['owner']);
  });

  it('splits a partition’s records over several batches when they exceed 1 MiB, keeping their order', async () => {
    const topic = topics.topics[3]!;
    const producer = await fence(uniqueName('large'));
    const records = Array.from({ length: 3_000 }, (_, i) => record(`k${i}`, `${i}:${'x'.repeat(1_000)}`, 0));
    const tx = await producer.transaction();
    const [sent] = await tx.sendAll([{ topic, records }]);
    await tx.commit();
    await producer.disconnect();
    const read = await readAll(topic, records.length);
    expect(sent).toEqual({ topic, partition: 0, offset: 0n });
    expect(read.map((r) => Number(r.value.split(':')[0]))).toEqual(records.map((_, i) => i));
    expect(read.map((r) => r.offset)).toEqual(records.map((_, i) => BigInt(i)));
  });

  it('runs transactions back to back on one producer: offsets contiguous, aborted ones invisible, v2 bumping the epoch each time', async () => {
    const topic = topics.topics[4]!;
    const groupId = uniqueName('series-group');
    const producer = await fence(uniqueName('series'));
    const epochs = [producer.identity.epoch];
    const bases: bigint[] = [];
    for (let i = 0; i < 6; i++) {
      const tx = await producer.transaction();
      const [sent] = await tx.sendAll([{ topic, records: [record('s', `${i}-a`, 1), record('s', `${i}-b`, 1)] }]);
      await tx.sendOffsets(groupId, topic, 0, BigInt(i + 1));
      if (i % 3 === 2) await tx.abort();
      else await tx.commit();
      bases.push(sent!.offset);
      epochs.push(producer.identity.epoch);
    }
    await producer.disconnect();
    // Each transaction takes its two records and one marker.
    expect(bases).toEqual([0n, 3n, 6n, 9n, 12n, 15n]);
    const expectedEpochs = epochs.map((_, i) => epochs[0]! + (version === 2 ? i : 0));
    expect(epochs).toEqual(expectedEpochs);
    const read = await readAll(topic, 8);
    expect(read.map((r) => r.value)).toEqual(['0-a', '0-b', '1-a', '1-b', '3-a', '3-b', '4-a', '4-b']);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [fetched] = await admin.fetchOffsets({ groupId, topics: [topic] });
      expect(fetched!.partitions.find((p) => p.partition === 0)?.offset).toBe('5');
    } finally {
      await admin.disconnect();
    }
  });
});
