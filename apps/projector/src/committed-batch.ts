// One fetched batch of the event log on its way through the projector: the
// records decoded at the edge (an undecodable one is kept aside for the
// dead-letter topic), and, once committed, what it does to the metrics.
import { readTaskEventRecord } from '@tasklog/contracts';
import type { LogRecord } from '@tasklog/platform/kafka';
import type { BatchFold, MultiProjectionOutcome, PositionedEvent, ProjectionBatch } from '@tasklog/platform/postgres';
import type { ProjectorMetrics } from './projector.metrics.js';

export interface DecodedBatch {
  readonly events: PositionedEvent[];
  readonly undecodable: { message: LogRecord; error: Error }[];
}

/** A partition's batch as fetched, decoded and handed to the writer. */
export interface FetchedBatch {
  readonly partition: number;
  /** The consumer-group generation it was fetched in. */
  readonly join: number;
  /** The records at or past the partition's position, in offset order. */
  readonly messages: readonly LogRecord[];
  readonly decoded: DecodedBatch;
  /** One past the last record's offset. */
  readonly endOffset: bigint;
  readonly highWatermark: bigint;
}

/** Metrics of one committed transaction (one or several partitions' batches). */
export function observeCommit(
  metrics: ProjectorMetrics,
  batches: readonly FetchedBatch[],
  outcome: MultiProjectionOutcome,
  { started, committedAt }: { started: number; committedAt: number },
): void {
  const byType = new Map<string, number>();
  for (const event of outcome.fold.applied)
    byType.set(event.recorded.event.type, (byType.get(event.recorded.event.type) ?? 0) + 1);
  for (const [type, count] of byType) metrics.eventsApplied.inc({ type }, count);
  let records = 0;
  const newest = new Map<number, number>();
  const ends = new Map<number, bigint>();
  for (const b of batches) {
    records += b.messages.length;
    for (const m of b.messages) metrics.eventLagSeconds.observe(Math.max(0, committedAt - m.timestampMs) / 1000);
    newest.set(b.partition, b.messages[b.messages.length - 1]!.timestampMs);
    if (b.highWatermark > (ends.get(b.partition) ?? -1n)) ends.set(b.partition, b.highWatermark);
  }
  metrics.batchSize.observe(records);
  metrics.batchSeconds.observe((performance.now() - started) / 1000);
  for (const { partition, nextOffset } of outcome.partitions) {
    const end = ends.get(partition) ?? nextOffset;
    metrics.lagOffsets.set({ partition: String(partition) }, Number(end > nextOffset ? end - nextOffset : 0n));
    const at = newest.get(partition);
    if (at !== undefined)
      metrics.lagSeconds.set({ partition: String(partition) }, Math.max(0, committedAt - at) / 1000);
  }
}

export function changedTasks(fold: BatchFold): { taskId: string; version: number }[] {
  return fold.tasks.map((t) => ({ taskId: t.after.taskId, version: t.after.version }));
}

/** The owners of the tasks a batch changed: their lists are held and then invalidated. */
export function changedOwners(fold: BatchFold): string[] {
  return [...new Set(fold.tasks.map((t) => t.after.ownerId))];
}

export function decode(partition: number, messages: readonly LogRecord[]): DecodedBatch {
  const events: PositionedEvent[] = [];
  const undecodable: DecodedBatch['undecodable'] = [];
  for (const message of messages) {
    try {
      const { recorded, storedVersion } = readTaskEventRecord(message);
      events.push({ partition, offset: message.offsetValue, recorded, storedVersion });
    } catch (error) {
      undecodable.push({ message, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }
  return { events, undecodable };
}

/** One projection batch per partition: a partition's queued batches are consecutive pieces of its log. */
export function mergeByPartition(batches: readonly FetchedBatch[]): ProjectionBatch[] {
  const merged = new Map<number, { events: PositionedEvent[][]; endOffset: bigint }>();
  for (const b of batches) {
    const known = merged.get(b.partition) ?? { events: [], endOffset: b.endOffset };
    known.events.push(b.decoded.events);
    if (b.endOffset > known.endOffset) known.endOffset = b.endOffset;
    merged.set(b.partition, known);
  }
  return [...merged].map(([partition, { events, endOffset }]) => ({
    partition,
    events: events.length === 1 ? events[0]! : events.flat(),
    endOffset,
  }));
}
