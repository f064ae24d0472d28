import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestTopics, testKafka, uniqueName } from '../../../testing/src/infra.js';
import {
  RangeNotInLogError,
  highWatermarks,
  logRanges,
  readPartitionRanges,
  type RangeMessage,
} from './partition-range.reader.js';

describe('readPartitionRanges (real broker)', () => {
  const kafka = testKafka();
  let topics: Awaited<ReturnType<typeof createTestTopics>>;
  let topic: string;

  beforeAll(async () => {
    topics = await createTestTopics(kafka, ['ranges'], 3);
    topic = topics.topics[0]!;
    const producer = kafka.producer({
      transactionalId: uniqueName('ranges'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    for (let round = 0; round < 3; round++) {
      const tx = await producer.transaction();
      await tx.send({ topic, messages: [0, 1].map((p) => ({ partition: p, value: `ok-${p}-${round}` })) });
      await tx.commit();
      const aborted = await producer.transaction();
      await aborted.send({ topic, messages: [0, 1].map((p) => ({ partition: p, value: `aborted-${p}-${round}` })) });
      await aborted.abort();
    }
    await producer.disconnect();
  });
  afterAll(async () => {
    await topics.drop();
  });

  it('reads only committed records of the chosen partitions, from the chosen offsets, and stops at the end', async () => {
    const ends = await highWatermarks(kafka, topic);
    const seen: RangeMessage[] = [];
    await readPartitionRanges(
      kafka,
      [
        { topic, partition: 0, from: 0n, end: ends.get(0)! },
        // Partition 1 from its second committed record: offsets 0 (data), 1 (commit),
        // 2 (aborted data), 3 (abort marker), 4 (data)...
        { topic, partition: 1, from: 4n, end: ends.get(1)! },
        { topic, partition: 2, from: 0n, end: ends.get(2)! },
      ],
      { onBatch: (messages) => void seen.push(...messages), timeoutMs: 20_000 },
    );
    const values = (p: number) => seen.filter((m) => m.partition === p).map((m) => m.message.value?.toString());
    expect(values(0)).toEqual(['ok-0-0', 'ok-0-1', 'ok-0-2']);
    expect(values(1)).toEqual(['ok-1-1', 'ok-1-2']);
    expect(values(2)).toEqual([]);
  });

  it('hands every record out exactly once when the range takes many fetches', async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const values = Array.from({ length: 2000 }, (_, i) => `many-${i}`);
    await producer.send({ topic, messages: values.map((value) => ({ partition: 2, value })) });
    await producer.disconnect();
    const ends = await highWatermarks(kafka, topic);
    const seen: string[] = [];
    await readPartitionRanges(kafka, [{ topic, partition: 2, from: 0n, end: ends.get(2)! }], {
      fetchBytes: 2048,
      onBatch: (messages) => void seen.push(...messages.map((m) => m.message.value!.toString())),
    });
    expect(seen).toEqual(values);
  });

  it('leaves out an aborted transaction whose records span many fetches, and waits for an open one to be decided', async () => {
    const producer = kafka.producer({
      transactionalId: uniqueName('spanning'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const start = (await highWatermarks(kafka, topic)).get(2)!;
    const aborted = await producer.transaction();
    for (let send = 0; send < 10; send++)
      await aborted.send({
        topic,
        messages: Array.from({ length: 50 }, (_, i) => ({ partition: 2, value: `aborted-${send}-${i}` })),
      });
    await aborted.abort();
    const committed = await producer.transaction();
    await committed.send({ topic, messages: [{ partition: 2, value: 'after-the-abort' }] });
    await committed.commit();
    // Open while the read starts: read_committed must wait for its decision.
    const open = await producer.transaction();
    await open.send({ topic, messages: [{ partition: 2, value: 'decided-later' }] });
    // The end kafkajs reports stops before an open transaction (it is the last stable offset): one more is its record.
    const end = (await highWatermarks(kafka, topic)).get(2)! + 1n;
    const seen: string[] = [];
    const read = readPartitionRanges(kafka, [{ topic, partition: 2, from: start, end }], {
      fetchBytes: 2048,
      timeoutMs: 20_000,
      onBatch: (messages) => void seen.push(...messages.map((m) => m.message.value!.toString())),
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(seen).toEqual(['after-the-abort']);
    await open.commit();
    await read;
    await producer.disconnect();
    expect(seen).toEqual(['after-the-abort', 'decided-later']);
  });

  it('fails fast when the batch handler throws, instead of retrying forever', async () => {
    const ends = await highWatermarks(kafka, topic);
    const started = Date.now();
    await expect(
      readPartitionRanges(kafka, [{ topic, partition: 0, from: 0n, end: ends.get(0)! }], {
        onBatch: () => {
          throw new Error('cannot apply');
        },
      }),
    ).rejects.toThrow('cannot apply');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('refuses a range whose first records are no longer in the log, rather than start where the log now starts', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.fetchTopicMetadata({ topics: [topic] });
      await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '2' }] });
    } finally {
      await admin.disconnect();
    }
    const logs = await logRanges(kafka, topic);
    expect(logs.get(0)).toEqual({ start: 2n, end: (await highWatermarks(kafka, topic)).get(0) });
    const read = (from: bigint) =>
      readPartitionRanges(kafka, [{ topic, partition: 0, from, end: logs.get(0)!.end }], {
        onBatch: () => undefined,
        timeoutMs: 20_000,
      });
    await expect(read(0n)).rejects.toThrow(RangeNotInLogError);
    await expect(read(2n)).resolves.toBeUndefined();
    // A compacted topic's reader asks for what is there: from wherever the log starts now.
    const seen: string[] = [];
    await readPartitionRanges(kafka, [{ topic, partition: 0, from: 0n, end: logs.get(0)!.end }], {
      onBatch: (messages) => void seen.push(...messages.map((m) => m.message.value!.toString())),
      belowLogStart: 'clamp',
      timeoutMs: 20_000,
    });
    expect(seen).toEqual(['ok-0-1', 'ok-0-2']);
  });
});
