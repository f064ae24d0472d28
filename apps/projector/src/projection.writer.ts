// The projector's single writer (ADR 0033). The consumer hands it every
// decoded batch and goes back to Kafka at once; the writer applies whatever
// has queued up meanwhile — batches of several partitions — in one
// PostgreSQL transaction with their new positions (ADR 0015), so the fetch
// and decode of the next batches overlap the database work of the current
// ones, and a busy moment costs one commit, not one per partition. The queue
// is bounded: a full queue holds the consumer (backpressure). A failing
// transaction is retried with backoff, never skipped; batches fetched before
// a rebalance are dropped (the new assignment seeks from PostgreSQL again).
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeadLetterRecord, LogRecord } from '@tasklog/platform/kafka';
import { inBatchSpan, type Logger } from '@tasklog/platform/observability';
import {
  applyPreparedProjection,
  currentTasks,
  inTransaction,
  projectTaskEventBatches,
  readPositions,
  type MultiProjectionOutcome,
  type PreparedProjection,
  type ProjectionTarget,
  type SqlPool,
} from '@tasklog/platform/postgres';
import type { CacheInvalidator } from './cache.invalidator.js';
import { changedOwners, changedTasks, mergeByPartition, observeCommit, type FetchedBatch } from './committed-batch.js';
import { deadLetterRecord } from './dead-letter.record.js';
import type { ProjectorMetrics } from './projector.metrics.js';
import { WriterMemory, foldAhead } from './writer.memory.js';

export interface WriterOptions {
  /** Events queued (not yet in a transaction) beyond which the consumer waits. */
  readonly maxQueuedEvents: number;
  /** Events per transaction at most (a catching-up projector otherwise writes its whole queue at once). */
  readonly maxTransactionEvents: number;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  readonly faultPauseAfterCommitMs: number;
  /** Fold the next batches while the transaction in flight writes (ADR 0048). */
  readonly prepareAhead: boolean;
  /** Task rows the writer keeps for that. */
  readonly memoryTasks: number;
  /** Which of the projector's writers this is (metrics). */
  readonly writerIndex?: number;
}

/** Batches taken from the queue for one transaction, folded ahead when the writer could (ADR 0048). */
interface Planned {
  readonly batches: FetchedBatch[];
  readonly prepared: PreparedProjection | null;
  /** The memory's epoch the preparation was folded in. */
  readonly epoch: number;
}

/** How a transaction was written: folded ahead, folded again under the lock because its base had moved, or the ordinary way. */
type WritePath = 'prepared' | 'refolded' | 'ordinary';

export interface WriterHooks {
  /** The current group generation: batches of an older one are dropped. */
  readonly currentJoin: () => number;
  /** Sends dead letters; inside the transaction, so a failed send rolls the batch back. */
  readonly deadLetter: (records: DeadLetterRecord[]) => Promise<void>;
  /** After each commit, per partition: its new position. */
  readonly committed: (partition: number, nextOffset: bigint) => void;
}

export class ProjectionWriter {
  private queue: FetchedBatch[] = [];
  private queuedEvents = 0;
  private running: Promise<void> | null = null;
  private roomWaiters: (() => void)[] = [];
  private failing = false;
  /** Tokens of the list holds this writer's batches set and no bump has released yet. */
  private heldLists: string[] = [];
  private stopped = false;
  /** Ends a backoff sleep at stop, so stopping never waits out a retry delay. */
  private readonly stopping = new AbortController();
  private readonly memory: WriterMemory;

  constructor(
    private readonly pool: SqlPool,
    private readonly target: ProjectionTarget,
    private readonly invalidator: CacheInvalidator,
    private readonly metrics: ProjectorMetrics,
    private readonly logger: Logger,
    private readonly options: WriterOptions,
    private readonly hooks: WriterHooks,
  ) {
    this.memory = new WriterMemory(options.memoryTasks);
  }

  /** True while a transaction keeps failing (readiness). */
  isFailing(): boolean {
    return this.failing;
  }

  hasRoom(): boolean {
    return this.queuedEvents < this.options.maxQueuedEvents;
  }

  submit(batch: FetchedBatch): void {
    this.queue.push(batch);
    this.queuedEvents += batch.messages.length;
    this.running ??= this.drainQueue().finally(() => (this.running = null));
  }

  /** Resolves when the queue has room again, or after `ms`. */
  waitForRoom(ms: number): Promise<void> {
    if (this.hasRoom()) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.roomWaiters.push(done);
    });
  }

  /** Stops retrying; resolves once the transaction in flight (if any) has ended. Queued batches are dropped. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    this.queue = [];
    this.queuedEvents = 0;
    this.wakeRoomWaiters();
    await this.running;
  }

  private async drainQueue(): Promise<void> {
    let next: Planned | null = null;
    while (!this.stopped) {
      let current = next;
      next = null;
      if (current === null) {
        if (this.queue.length === 0) break;
        // Nothing is in flight or prepared here: the only safe moment to drop kept rows.
        if (this.memory.full()) this.memory.trim();
        current = await this.plan(this.take());
      }
      if (current.batches.length === 0) continue;
      // One span per transaction when tracing is on, linked to the requests behind its events (ADR 0061).
      const batches = current.batches;
      const running = inBatchSpan(
        {
          tracer: 'tasklog-projector',
          topic: this.target.topic,
          records: () => batches.flatMap((b) => b.messages),
          attributes: { 'tasklog.projection': this.target.projection },
        },
        () => this.applyWithRetry(current),
      );
      // While PostgreSQL writes `current`, fold the next batches onto what it will leave (ADR 0048).
      if (current.prepared && current.epoch === this.memory.epoch && this.queue.length > 0 && !this.memory.full())
        next = await this.plan(this.take());
      await running;
    }
  }

  /** Folds the batches onto the memory if it can (ADR 0048); otherwise leaves them to the transaction. */
  private async plan(batches: FetchedBatch[]): Promise<Planned> {
    const epoch = this.memory.epoch;
    if (!this.options.prepareAhead || batches.length === 0) return { batches, prepared: null, epoch };
    try {
      const prepared = await foldAhead(this.memory, this.hooks.currentJoin(), mergeByPartition(batches), {
        target: this.target,
        readPositions: () => readPositions(this.pool, this.target.projection, this.target.topic),
        readTasks: (ids) => currentTasks(this.pool, this.target.tables, ids),
      });
      return { batches, prepared, epoch: prepared ? this.memory.epoch : epoch };
    } catch (error) {
      // The database is going away: the transaction will meet it too, and retry.
      this.logger.debug({ err: String(error) }, 'cannot fold ahead; the transaction folds under its locks');
      return { batches, prepared: null, epoch };
    }
  }

  /** Up to maxTransactionEvents of the queue, current generation only, whole batches. */
  private take(): FetchedBatch[] {
    const join = this.hooks.currentJoin();
    const taken: FetchedBatch[] = [];
    let events = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (taken.length > 0 && events + next.messages.length > this.options.maxTransactionEvents) break;
      this.queue.shift();
      this.queuedEvents -= next.messages.length;
      if (next.join !== join) continue;
      taken.push(next);
      events += next.messages.length;
    }
    this.wakeRoomWaiters();
    return taken;
  }

  private wakeRoomWaiters(): void {
    if (!this.hasRoom() && !this.stopped) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }

  private async applyWithRetry(planned: Planned): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      const join = this.hooks.currentJoin();
      const current = planned.batches.filter((b) => b.join === join);
      if (current.length === 0) return;
      const usable = attempt === 0 && current.length === planned.batches.length && planned.epoch === this.memory.epoch;
      const prepared = usable ? planned.prepared : null;
      const started = performance.now();
      try {
        const { outcome, marked, path } = await this.apply(current, prepared);
        if (this.failing) this.logger.info({ attempt }, 'batch applied again after failures');
        this.failing = false;
        // A preparation that was not written was folded onto rows PostgreSQL may not hold: forget them.
        if (planned.prepared !== null && path !== 'prepared') this.memory.forget();
        // A prepared write is in the memory already, and the next preparation may have gone past it.
        if (path !== 'prepared') this.memory.committed(outcome, join);
        this.metrics.transactions.inc({ path, writer: String(this.options.writerIndex ?? 0) });
        await this.afterCommit(current, outcome, marked, started);
        return;
      } catch (error) {
        this.failing = true;
        this.memory.forget();
        this.metrics.retries.inc();
        const log = attempt === 0 ? 'warn' : 'debug';
        this.logger[log]({ attempt, err: String(error) }, 'batch not applied; retrying with backoff');
        await sleep(this.backoff(attempt), undefined, { signal: this.stopping.signal }).catch(() => undefined);
      }
    }
  }

  private async apply(
    batches: FetchedBatch[],
    prepared: PreparedProjection | null,
  ): Promise<{ outcome: MultiProjectionOutcome; marked: boolean; path: WritePath }> {
    const merged = mergeByPartition(batches);
    let marked = false;
    let path: WritePath = prepared ? 'prepared' : 'ordinary';
    const token = this.invalidator.holdToken();
    this.heldLists.push(token);
    const outcome = await inTransaction(
      this.pool,
      async (client, begin) => {
        const options = {
          begin,
          // Redis markers go out while PostgreSQL runs the write; both are done before the commit.
          alongsideWrite: async (generation: number, fold: MultiProjectionOutcome['fold']) => {
            marked = await this.invalidator.beforeCommit(generation, changedTasks(fold), changedOwners(fold), token);
          },
        };
        let result = prepared ? await applyPreparedProjection(client, this.target, prepared, options) : null;
        if (result === null) {
          if (prepared) path = 'refolded';
          // The locks are held already when the prepared write was refused.
          result = await projectTaskEventBatches(client, this.target, merged, {
            ...options,
            begin: prepared ? null : begin,
          });
        }
        await this.deadLetter(batches, result);
        return result;
      },
      { synchronousCommit: false, workMem: '64MB', deferBegin: true },
    );
    return { outcome, marked, path };
  }

  /** Undecodable records and events that do not fit their task, at or past each partition's stored position. */
  private async deadLetter(batches: FetchedBatch[], outcome: MultiProjectionOutcome): Promise<void> {
    const from = new Map(outcome.partitions.map((p) => [p.partition, p.fromOffset]));
    const byOffset = new Map<string, LogRecord>();
    const undecodable: DeadLetterRecord[] = [];
    for (const b of batches) {
      for (const u of b.decoded.undecodable)
        if (u.message.offsetValue >= from.get(b.partition)!)
          undecodable.push(deadLetterRecord(u.message, b.partition, 'undecodable', u.error));
      if (outcome.fold.rejected.length > 0) for (const m of b.messages) byOffset.set(`${b.partition}:${m.offset}`, m);
    }
    const rejected = outcome.fold.rejected.map(({ event, error }) =>
      deadLetterRecord(byOffset.get(`${event.partition}:${event.offset}`)!, event.partition, 'not-applicable', error),
    );
    const records = [...undecodable, ...rejected];
    if (records.length === 0) return;
    await this.hooks.deadLetter(records);
    this.metrics.deadLetters.inc({ reason: 'undecodable' }, undecodable.length);
    this.metrics.deadLetters.inc({ reason: 'not-applicable' }, rejected.length);
    this.logger.warn(
      { offsets: records.map((r) => `${r.headers?.['dlq-original-partition']}:${r.headers?.['dlq-original-offset']}`) },
      'records dead-lettered; the partition moves on',
    );
  }

  private async afterCommit(
    batches: FetchedBatch[],
    outcome: MultiProjectionOutcome,
    marked: boolean,
    started: number,
  ): Promise<void> {
    const committedAt = Date.now();
    if (this.options.faultPauseAfterCommitMs > 0) {
      this.logger.warn(
        { positions: outcome.partitions.map((p) => `${p.partition}:${p.nextOffset}`) },
        'fault injection: committed to PostgreSQL, Kafka offsets not committed yet',
      );
      await sleep(this.options.faultPauseAfterCommitMs, undefined, { signal: this.stopping.signal }).catch(
        () => undefined,
      );
    }
    for (const p of outcome.partitions) this.hooks.committed(p.partition, p.nextOffset);
    // This batch's holds, and those of its failed attempts, are released with the bump.
    const tokens = this.heldLists;
    this.heldLists = [];
    void this.invalidator.invalidate(
      outcome.generation,
      marked ? [] : changedTasks(outcome.fold),
      changedOwners(outcome.fold),
      tokens,
    );
    observeCommit(this.metrics, batches, outcome, { started, committedAt });
  }

  private backoff(attempt: number): number {
    const { retryInitialMs, retryMaxMs } = this.options;
    const exp = Math.min(retryMaxMs, retryInitialMs * 2 ** Math.min(attempt, 20));
    return exp / 2 + Math.random() * (exp / 2);
  }
}
