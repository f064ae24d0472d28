// Reads ranges of the event log (read_committed, through the platform's range
// reader) and applies them to a projection target with the projection's own
// batch code, in chunks: each chunk and the target's new position commit in
// one transaction, so an interrupted load resumes exactly where it stopped.
// Records that do not decode, or do not fit their task, are skipped here: the
// live projector dead-lettered them already, and a replay never re-fires a
// side effect (DESIGN.md §5).
import { readTaskEventRecord } from '@tasklog/contracts';
import { readPartitionRanges, type KafkaClient, type PartitionRange, type RangeMessage } from '@tasklog/platform/kafka';
import type { SqlClient } from '../read-model/sql-client.js';
import type { PositionedEvent } from '../read-model/task-batch.fold.js';
import { projectTaskEvents, type ProjectionTarget } from '../read-model/task-events.projection.js';

export interface ApplyRangesOptions {
  readonly target: ProjectionTarget;
  /** Runs one chunk's work in a transaction (a pooled one, or the caller's own). */
  readonly withClient: <T>(work: (client: SqlClient) => Promise<T>) => Promise<T>;
  /** Records per transaction. */
  readonly chunkRecords: number;
  /** Chunks in flight at once (partitions are independent). */
  readonly parallel: number;
  readonly fetchBytes?: number;
  readonly timeoutMs?: number;
  /** Called before each chunk; throwing stops the read (cancellation). */
  readonly beforeChunk?: () => Promise<void>;
  readonly onApplied?: (records: number) => void | Promise<void>;
}

export function decodeRecords(partition: number, messages: readonly RangeMessage[]): PositionedEvent[] {
  const events: PositionedEvent[] = [];
  for (const m of messages) {
    try {
      const { recorded, storedVersion } = readTaskEventRecord(m.message);
      events.push({ partition, offset: m.offset, recorded, storedVersion });
    } catch {
      // Undecodable: dead-lettered by the live projector when it met it.
    }
  }
  return events;
}

export async function applyLogRanges(
  kafka: KafkaClient,
  ranges: readonly PartitionRange[],
  options: ApplyRangesOptions,
): Promise<void> {
  const limit = semaphore(options.parallel);
  await readPartitionRanges(kafka, ranges, {
    ...(options.fetchBytes === undefined ? {} : { fetchBytes: options.fetchBytes }),
    timeoutMs: options.timeoutMs ?? 3_600_000,
    onBatch: async (messages) => {
      for (let i = 0; i < messages.length; i += options.chunkRecords) {
        const chunk = messages.slice(i, i + options.chunkRecords);
        await limit(() => applyChunk(chunk, options));
      }
    },
  });
}

async function applyChunk(chunk: readonly RangeMessage[], options: ApplyRangesOptions): Promise<void> {
  await options.beforeChunk?.();
  const partition = chunk[0]!.partition;
  const events = decodeRecords(partition, chunk);
  const endOffset = chunk[chunk.length - 1]!.offset + 1n;
  await options.withClient((client) => projectTaskEvents(client, options.target, { partition, events, endOffset }));
  await options.onApplied?.(chunk.length);
}

function semaphore(size: number): <T>(work: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (work) => {
    if (active >= size) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await work();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}
