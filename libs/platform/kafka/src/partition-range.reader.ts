import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';

/** Reads [from, end) of one partition; `end` is a high watermark taken before the read. */
export interface PartitionRange {
  readonly topic: string;
  readonly partition: number;
  readonly from: bigint;
  readonly end: bigint;
}

export interface RangeMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly message: kafkajs.KafkaMessage;
}

export interface ReadRangesOptions {
  readonly timeoutMs?: number;
  /** Bytes per partition per fetch (default 16 MiB). */
  readonly fetchBytes?: number;
  /** Called for every batch, in offset order per partition. */
  readonly onBatch: (messages: RangeMessage[]) => void | Promise<void>;
  /**
   * A range starting below its partition's first offset: `refuse` (default;
   * RangeNotInLogError, for a log whose every record counts) or `clamp`
   * (read from where the log starts now: a compacted topic read for its
   * latest values, whose start may move).
   */
  readonly belowLogStart?: 'refuse' | 'clamp';
}

/**
 * kafkajs has no manual partition assignment, so reading chosen partitions
 * from chosen offsets (the write side's catch-up, a rebuild, a verify) uses a
 * throwaway consumer group whose only member is given exactly those
 * partitions by a fixed assigner and seeks to the start offsets as it starts
 * (presetting the group's offsets instead delays the first fetch by seconds). Reads read_committed; ends when every partition has passed its end
 * offset, control records (transaction markers) included. A range that
 * starts before the first offset its partition still holds (retention or
 * deleted records took the rest) is refused with RangeNotInLogError: kafkajs
 * would silently start at the log's start instead.
 */
export async function readPartitionRanges(
  kafka: kafkajs.Kafka,
  ranges: readonly PartitionRange[],
  options: ReadRangesOptions,
): Promise<void> {
  const requested = ranges.filter((r) => r.end > r.from);
  if (requested.length === 0) return;
  const pending = await withinLog(kafka, requested, options.belowLogStart ?? 'refuse');
  if (pending.length === 0) return;
  const byTopic = groupByTopic(pending);
  const groupId = `tasklog-range-reader-${randomUUID()}`;
  const consumer = kafka.consumer({
    groupId,
    partitionAssigners: [fixedAssigner(byTopic)],
    readUncommitted: false,
    maxWaitTimeInMs: 50,
    maxBytesPerPartition: options.fetchBytes ?? 16 * 1024 * 1024,
    maxBytes: 64 * 1024 * 1024,
    sessionTimeout: 30_000,
    allowAutoTopicCreation: false,
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [...byTopic.keys()], fromBeginning: true });
    await consumeUntilEnd(consumer, pending, options);
  } finally {
    await consumer.disconnect();
    await deleteGroup(kafka, groupId);
  }
}

/** Some records of a range are no longer in the log: reading it would skip them. */
export class RangeNotInLogError extends Error {
  override readonly name = 'RangeNotInLogError';
}

async function withinLog(
  kafka: kafkajs.Kafka,
  ranges: readonly PartitionRange[],
  belowLogStart: 'refuse' | 'clamp',
): Promise<PartitionRange[]> {
  const within: PartitionRange[] = [];
  for (const [topic, list] of groupByTopic(ranges)) {
    const logs = await logRanges(kafka, topic);
    const start = (r: PartitionRange) => logs.get(r.partition)?.start ?? 0n;
    const gone = list.filter((r) => r.from < start(r));
    if (gone.length > 0 && belowLogStart === 'refuse')
      throw new RangeNotInLogError(
        gone.map((r) => `${topic}/${r.partition} from ${r.from}: the log starts at ${start(r)}`).join('; '),
      );
    for (const r of list) {
      const from = r.from < start(r) ? start(r) : r.from;
      if (r.end > from) within.push({ ...r, from });
    }
  }
  return within;
}

function groupByTopic(ranges: readonly PartitionRange[]): Map<string, PartitionRange[]> {
  const byTopic = new Map<string, PartitionRange[]>();
  for (const r of ranges) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
  return byTopic;
}

async function deleteGroup(kafka: kafkajs.Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.deleteGroups([groupId]);
  } catch {
    // An empty group with no live members expires on its own; nothing is lost.
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function consumeUntilEnd(consumer: kafkajs.Consumer, ranges: readonly PartitionRange[], options: ReadRangesOptions) {
  const key = (topic: string, partition: number) => `${topic}:${partition}`;
  const remaining = new Map(ranges.map((r) => [key(r.topic, r.partition), r.end]));
  const positions = new Map(ranges.map((r) => [key(r.topic, r.partition), r.from]));
  let failed = false;
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`partition range read timed out; still reading ${[...remaining.keys()].join(', ')}`)),
      options.timeoutMs ?? 120_000,
    );
    const advance = (topic: string, partition: number, lastOffset: string) => {
      const end = remaining.get(key(topic, partition));
      if (end !== undefined && BigInt(lastOffset) + 1n >= end) remaining.delete(key(topic, partition));
      if (remaining.size === 0 && !failed) {
        clearTimeout(timer);
        resolve();
      }
    };
    // Fires for batches that only held transaction markers too, which never
    // reach eachBatch: without it a partition ending in a marker never ends.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) =>
      advance(payload.topic, payload.partition, payload.lastOffset),
    );
    consumer
      .run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: Math.min(ranges.length, 16),
        eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
          const id = key(batch.topic, batch.partition);
          const end = remaining.get(id);
          if (end === undefined || failed) return;
          // Offsets below the position were delivered already (a re-fetch, or a
          // fetch issued before the seek took effect): never hand them out twice.
          const position = positions.get(id) ?? 0n;
          const messages: RangeMessage[] = [];
          for (const message of batch.messages) {
            const offset = BigInt(message.offset);
            if (offset >= position && offset < end)
              messages.push({ topic: batch.topic, partition: batch.partition, offset, message });
          }
          try {
            if (messages.length > 0) await options.onBatch(messages);
          } catch (error) {
            failed = true;
            clearTimeout(timer);
            reject(error instanceof Error ? error : new Error(String(error)));
            return;
          }
          positions.set(id, BigInt(batch.lastOffset()) + 1n);
          resolveOffset(batch.lastOffset());
          await heartbeat();
        },
      })
      .catch((error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      });
    for (const r of ranges) consumer.seek({ topic: r.topic, partition: r.partition, offset: r.from.toString() });
  });
}

function fixedAssigner(byTopic: Map<string, PartitionRange[]>): kafkajs.PartitionAssigner {
  const name = 'TasklogFixedRanges';
  const assignment = Object.fromEntries([...byTopic].map(([topic, rs]) => [topic, rs.map((r) => r.partition)]));
  return () => ({
    name,
    version: 1,
    async assign({ members }) {
      // The group is ours alone: its one member reads every listed partition.
      return members.map((member, index) => ({
        memberId: member.memberId,
        memberAssignment: kafkajs.AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: index === 0 ? assignment : {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return {
        name,
        metadata: kafkajs.AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
      };
    },
  });
}

/** The high watermark of every partition of a topic (the end a reader reads to). */
export async function highWatermarks(kafka: kafkajs.Kafka, topic: string): Promise<Map<number, bigint>> {
  const ranges = await logRanges(kafka, topic);
  return new Map([...ranges].map(([partition, { end }]) => [partition, end]));
}

/** Per partition: the first offset the log still holds and one past its last (the high watermark). */
export interface LogRange {
  readonly start: bigint;
  readonly end: bigint;
}

export async function logRanges(kafka: kafkajs.Kafka, topic: string): Promise<Map<number, LogRange>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const offsets = await admin.fetchTopicOffsets(topic);
        return new Map(offsets.map((o) => [o.partition, { start: BigInt(o.low), end: BigInt(o.high) }]));
      } catch (error) {
        // A topic created a moment ago may not have elected its leaders yet.
        const retriable = error instanceof kafkajs.KafkaJSError && error.retriable;
        if (!retriable || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
  } finally {
    await admin.disconnect();
  }
}
