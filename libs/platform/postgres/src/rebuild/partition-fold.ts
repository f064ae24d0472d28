// The reading half of the rebuild's bulk load (ADR 0027), free of any
// database: reads partitions from offset 0 (read_committed, through the
// platform's range reader), decodes and folds each one in memory with the
// projection's own fold (foldBatch), and turns the result into write jobs
// carrying COPY text: one history job per chunk as the log is read, one flush
// job per partition at its end (its task-view and reminder rows, its owners'
// counts). It runs in worker threads (bulk-load.worker.ts) or, where those
// are not available, in the caller's thread; the jobs are the same.
import { TASK_STATUSES, type ExistingTask, type TaskStatus } from '@tasklog/domain';
import { readPartitionRanges, type KafkaClient, type PartitionRange, type RangeMessage } from '@tasklog/platform/kafka';
import { foldBatch } from '../read-model/task-batch.fold.js';
import { decodeRecords } from './log-range.applier.js';
import { historyRow, reminderRow, viewRow } from '../read-model/task-rows.copy.js';

/** One partition of the load: [0, end), of which the history below `historyFrom` is stored already. */
export interface FreshPartition {
  readonly range: PartitionRange;
  /** History rows below this offset were committed by an earlier, interrupted run. */
  readonly historyFrom: bigint;
}

/** History rows of one chunk, to be stored with the partition's history checkpoint `endOffset`. */
export interface HistoryJob {
  readonly kind: 'history';
  readonly partition: number;
  readonly endOffset: bigint;
  /** COPY text of the rows (may be empty: nothing new in the chunk). */
  readonly rows: string;
  /** Records the chunk covered. */
  readonly records: number;
}

/** A partition's whole fold, to be stored with its shadow position `endOffset`. */
export interface FlushJob {
  readonly kind: 'flush';
  readonly partition: number;
  readonly endOffset: bigint;
  /** COPY text of the task-view rows, in pieces. */
  readonly views: string[];
  readonly reminders: string[];
  /** Owner → live tasks per status, in TASK_STATUSES order. */
  readonly stats: [owner: string, counts: number[]][];
}

export type LoadJob = HistoryJob | FlushJob;

export interface FoldOptions {
  readonly chunkRecords: number;
  readonly fetchBytes?: number;
}

/**
 * Reads and folds the partitions; `emit` receives each partition's jobs in
 * order (and may wait: the read waits with it). Every partition ends with
 * one flush job.
 */
export async function foldPartitions(
  kafka: KafkaClient,
  partitions: readonly FreshPartition[],
  options: FoldOptions,
  emit: (job: LoadJob) => Promise<void>,
): Promise<void> {
  const folders = new Map(partitions.filter((p) => p.range.end > 0n).map((p) => [p.range.partition, new Folder(p)]));
  if (folders.size === 0) return;
  await readPartitionRanges(
    kafka,
    [...folders.values()].map((f) => f.partition.range),
    {
      ...(options.fetchBytes === undefined ? {} : { fetchBytes: options.fetchBytes }),
      timeoutMs: 3_600_000,
      onBatch: async (messages) => {
        const folder = folders.get(messages[0]!.partition)!;
        for (let i = 0; i < messages.length; i += options.chunkRecords) {
          const chunk = messages.slice(i, i + options.chunkRecords);
          const history = folder.fold(chunk);
          if (history) await emit(history);
          if (folder.complete) await emit(folder.flush());
        }
      },
    },
  );
  // A range ending in a transaction marker has no record at end - 1: those partitions end here.
  for (const folder of folders.values()) if (!folder.flushed) await emit(folder.flush());
}

/** Rows per piece of a flush (a partition of millions of tasks stays far below V8's string limit). */
const PIECE_ROWS = 5000;

class Folder {
  private readonly tasks = new Map<string, ExistingTask>();
  private readonly lastOffsets = new Map<string, bigint>();
  private next = 0n;
  flushed = false;

  constructor(readonly partition: FreshPartition) {}

  get complete(): boolean {
    return this.next >= this.partition.range.end && !this.flushed;
  }

  fold(chunk: readonly RangeMessage[]): HistoryJob | null {
    const { partition } = this.partition.range;
    const fold = foldBatch(this.tasks, decodeRecords(partition, chunk));
    for (const { after, last } of fold.tasks) {
      this.tasks.set(after.taskId, after);
      this.lastOffsets.set(after.taskId, last.offset);
    }
    this.next = chunk[chunk.length - 1]!.offset + 1n;
    const { historyFrom } = this.partition;
    if (this.next <= historyFrom) return null;
    let rows = '';
    for (const event of fold.applied) if (event.offset >= historyFrom) rows += historyRow(event);
    return { kind: 'history', partition, endOffset: this.next, rows, records: chunk.length };
  }

  flush(): FlushJob {
    this.flushed = true;
    const { partition, end } = this.partition.range;
    const views: string[] = [];
    const reminders: string[] = [];
    const counts = new Map<string, number[]>();
    let view = '';
    let reminder = '';
    let rows = 0;
    for (const [taskId, task] of this.tasks) {
      view += viewRow(task, partition, this.lastOffsets.get(taskId)!);
      reminder += reminderRow(task);
      if (task.deletedAt === null) {
        const byStatus = counts.get(task.ownerId) ?? TASK_STATUSES.map(() => 0);
        byStatus[STATUS_INDEX.get(task.status)!]!++;
        counts.set(task.ownerId, byStatus);
      }
      if (++rows % PIECE_ROWS === 0) {
        views.push(view);
        reminders.push(reminder);
        view = reminder = '';
      }
    }
    views.push(view);
    reminders.push(reminder);
    // The fold is in the job now: its memory can go.
    this.tasks.clear();
    this.lastOffsets.clear();
    return { kind: 'flush', partition, endOffset: end, views, reminders, stats: [...counts] };
  }
}

const STATUS_INDEX = new Map<TaskStatus, number>(TASK_STATUSES.map((s, i) => [s, i]));
