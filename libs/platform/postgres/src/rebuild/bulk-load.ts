// The rebuild's bulk load (ADR 0027): each partition whose shadow position is
// still 0 is read from its start and folded in memory, task by task
// (partition-fold.ts); nothing of the task view is written until the
// partition's range is complete. The history rows are written as the log is
// read: one COPY per chunk, committed with the partition's history checkpoint
// (`<projection>#rebuild-history`), so a crash costs the fold's re-read, never
// a history row twice. At the partition's end one transaction COPYs its
// task-view and reminder rows (a task lives in one partition: none of them
// exists yet), adds its owners' counts to the statistics, and stores the
// partition's shadow position: the per-partition checkpoint the catch-up, the
// swap and a resumed rebuild go on from.
//
// Reading, decoding and folding run in worker threads (one Kafka client
// each, a share of the partitions each) where the compiled worker exists,
// in this thread otherwise (tests run the sources); this thread writes.
// Reading and writing overlap: a partition's writes stay in order, `parallel`
// transactions run at once, and a bounded number of jobs wait, so a slow
// database slows the read down instead of filling the memory.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TASK_STATUSES } from '@tasklog/domain';
import type { KafkaConfig } from '@tasklog/platform/config';
import type { KafkaClient } from '@tasklog/platform/kafka';
import { statusColumn, type ReadModelTables } from '../read-model/read-model.tables.js';
import type { SqlClient } from '../read-model/sql-client.js';
import { HISTORY_COLUMNS, REMINDER_COLUMNS, VIEW_COLUMNS } from '../read-model/task-rows.copy.js';
import { foldPartitions, type FoldOptions, type FreshPartition, type LoadJob } from './partition-fold.js';
import { copyRows } from '../read-model/pg-copy.js';

export type { FreshPartition } from './partition-fold.js';

/** What a worker needs to open its own Kafka client. */
export type FoldWorkerKafka = Pick<KafkaConfig, 'brokers' | 'clientId' | 'connectionTimeoutMs' | 'requestTimeoutMs'>;

export interface BulkLoadOptions {
  readonly tables: ReadModelTables;
  readonly topic: string;
  /** The shadow positions (`<projection>#rebuild`): set once per partition, at its end. */
  readonly positions: string;
  /** The history checkpoints (`<projection>#rebuild-history`): set with every history chunk. */
  readonly historyPositions: string;
  /** Runs one write in a transaction on a pooled connection. */
  readonly withClient: <T>(work: (client: SqlClient) => Promise<T>) => Promise<T>;
  /** Records per history chunk (one COPY, one transaction). */
  readonly chunkRecords: number;
  /** Write transactions in flight at once. */
  readonly parallel: number;
  /** Jobs waiting behind them (per reading thread) before the read waits. */
  readonly queued: number;
  readonly fetchBytes?: number;
  /** Worker threads reading and folding (0: this thread does); they need the Kafka configuration. */
  readonly workers: number;
  readonly kafkaConfig?: FoldWorkerKafka;
  /** The compiled worker module; default: the one beside this module, when there is one (dist/). */
  readonly workerFile?: string;
  readonly logLevel?: string;
  /** Called before each job is written; throwing stops the load (cancellation). */
  readonly beforeChunk?: () => Promise<void>;
  /** Called after each history chunk commits (records in it), before the next write starts. */
  readonly onApplied?: (records: number) => void | Promise<void>;
}

/** Loads partitions from offset 0 to their range end (their ranges must start at 0). */
export async function bulkLoad(
  kafka: KafkaClient,
  partitions: readonly FreshPartition[],
  options: BulkLoadOptions,
): Promise<void> {
  const pending = partitions.filter((p) => p.range.end > 0n);
  for (const p of pending) {
    if (p.range.from !== 0n) throw new Error(`bulk load of partition ${p.range.partition} must start at 0`);
  }
  if (pending.length === 0) return;
  const writes = new WritePipeline(options);
  const fold: FoldOptions = {
    chunkRecords: options.chunkRecords,
    ...(options.fetchBytes === undefined ? {} : { fetchBytes: options.fetchBytes }),
  };
  const threads = Math.min(options.workers, pending.length);
  if (options.workerFile !== undefined && !existsSync(options.workerFile))
    throw new Error(`bulk load worker ${options.workerFile} does not exist (build first)`);
  const workerFile = options.workerFile ?? WORKER_FILE;
  try {
    if (threads > 0 && options.kafkaConfig && existsSync(workerFile)) {
      await inWorkers(workerFile, pending, threads, fold, writes, options);
    } else {
      await foldPartitions(kafka, pending, fold, async (job) => {
        await options.beforeChunk?.();
        await writes.room();
        writes.enqueue(job);
      });
    }
  } catch (error) {
    // Nothing may still be writing once the load has failed (a resumed rebuild reads the checkpoints).
    await writes.abort(error);
    throw error;
  }
  await writes.drain();
}

// The compiled worker next to this module (dist/); the sources (tests) have none.
const WORKER_FILE = fileURLToPath(new URL('./bulk-load.worker.js', import.meta.url));

export interface FoldWorkerData {
  readonly kafka: FoldWorkerKafka;
  readonly logLevel: string;
  readonly partitions: readonly FreshPartition[];
  readonly fold: FoldOptions;
  /** Jobs the worker may have posted and not seen acknowledged. */
  readonly credit: number;
}

export type FoldWorkerMessage = { type: 'job'; job: LoadJob } | { type: 'done' } | { type: 'error'; message: string };

async function inWorkers(
  workerFile: string,
  partitions: readonly FreshPartition[],
  threads: number,
  fold: FoldOptions,
  writes: WritePipeline,
  options: BulkLoadOptions,
): Promise<void> {
  const shares = Array.from({ length: threads }, (_, i) => partitions.filter((_, j) => j % threads === i));
  const workers: Worker[] = [];
  try {
    await Promise.all(
      shares.map(
        (share) =>
          new Promise<void>((resolve, reject) => {
            const data: FoldWorkerData = {
              kafka: options.kafkaConfig!,
              logLevel: options.logLevel ?? 'warn',
              partitions: share,
              fold,
              credit: options.parallel + options.queued,
            };
            const worker = new Worker(workerFile, { workerData: data });
            workers.push(worker);
            // Jobs of one worker are taken in order (a partition's writes must stay in order).
            let taken = Promise.resolve();
            worker.on('message', (message: FoldWorkerMessage) => {
              if (message.type === 'error') return reject(new Error(`bulk load worker: ${message.message}`));
              if (message.type === 'done') {
                taken = taken.then(resolve, reject);
                return;
              }
              taken = taken.then(async () => {
                writes.throwIfFailed();
                await options.beforeChunk?.();
                writes.enqueue(message.job, () => worker.postMessage('ack'));
              });
              taken.catch(reject);
            });
            worker.on('error', reject);
            worker.on('exit', (code) => reject(new Error(`bulk load worker exited with ${code}`)));
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * Writes jobs in order per partition, `parallel` transactions at once across
 * partitions; `room()` holds a reader back while too many wait. The first
 * failure stops every later write and is thrown by `room()` and `drain()`.
 */
class WritePipeline {
  private readonly limit: <T>(work: () => Promise<T>) => Promise<T>;
  private readonly chains = new Map<number, Promise<void>>();
  private pending = 0;
  private readonly waiting: (() => void)[] = [];
  private failure: { error: unknown } | null = null;

  constructor(private readonly options: BulkLoadOptions) {
    this.limit = semaphore(options.parallel);
  }

  enqueue(job: LoadJob, done?: () => void): void {
    this.pending++;
    const chain = (this.chains.get(job.partition) ?? Promise.resolve())
      .then(async () => {
        if (this.failure) return;
        await this.limit(async () => {
          await this.options.withClient((client) => writeJob(client, job, this.options));
          if (job.kind === 'history') await this.options.onApplied?.(job.records);
        });
      })
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => {
        this.pending--;
        this.waiting.shift()?.();
        done?.();
      });
    this.chains.set(job.partition, chain);
  }

  /** Waits while too many writes are pending; throws the first failure. */
  async room(): Promise<void> {
    this.throwIfFailed();
    while (this.pending >= this.options.parallel + this.options.queued) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      this.throwIfFailed();
    }
  }

  /** Skips every write not started yet and waits for those running. */
  async abort(error: unknown): Promise<void> {
    this.failure ??= { error };
    await Promise.all(this.chains.values());
  }

  async drain(): Promise<void> {
    await Promise.all(this.chains.values());
    this.throwIfFailed();
  }

  throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
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

async function writeJob(client: SqlClient, job: LoadJob, options: BulkLoadOptions): Promise<void> {
  const { tables, topic } = options;
  // A crash may lose the last commits: rows and checkpoints together, so a resumed load redoes exactly those.
  await client.query('set local synchronous_commit = off');
  if (job.kind === 'history') {
    await copyRows(client, tables.taskHistory, HISTORY_COLUMNS, [job.rows]);
    await storePosition(client, options.historyPositions, topic, job.partition, job.endOffset);
    return;
  }
  await copyRows(client, tables.taskView, VIEW_COLUMNS, job.views);
  await copyRows(client, tables.reminders, REMINDER_COLUMNS, job.reminders);
  await addStats(client, tables.userStats, job.stats);
  await storePosition(client, options.positions, topic, job.partition, job.endOffset);
}

async function storePosition(
  client: SqlClient,
  projection: string,
  topic: string,
  partition: number,
  nextOffset: bigint,
): Promise<void> {
  await client.query(
    `insert into projection_offsets (projection, topic, partition, next_offset) values ($1, $2, $3, $4)
     on conflict (projection, topic, partition) do update set next_offset = excluded.next_offset, updated_at = now()`,
    [projection, topic, partition, nextOffset.toString()],
  );
}

/** Adds a partition's live tasks, per owner and status, to the statistics (owners span partitions). */
async function addStats(client: SqlClient, table: string, stats: readonly [string, number[]][]): Promise<void> {
  if (stats.length === 0) return;
  // Sorted: partitions flushing at once lock owners in one order (no deadlock).
  const sorted = [...stats].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const names = TASK_STATUSES.map(statusColumn);
  const values: unknown[] = [sorted.map(([owner]) => owner), ...names.map((_, i) => sorted.map(([, c]) => c[i]))];
  await client.query(
    `insert into ${table} (owner_id, ${names.join(', ')})
     select * from unnest($1::text[], ${names.map((_, i) => `$${i + 2}::int[]`).join(', ')})
     on conflict (owner_id) do update set ${names.map((n) => `${n} = ${table}.${n} + excluded.${n}`).join(', ')},
       updated_at = now()`,
    values,
  );
}
