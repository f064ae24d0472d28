// Rebuilds a projection from offset 0 of the event log while the live one
// keeps serving (DESIGN.md §5, ADR 0020–0021, 0027): shadow tables with primary
// keys only, a bulk load up to the head seen at the start (folded in memory
// per partition, written with COPY: bulk-load.ts), the secondary
// indexes, catch-up rounds until the lag is small, then the one-transaction
// swap and the retired tables dropped. The CLI runs it in the foreground,
// the API in the background: the same code. Progress is the shadow tables
// and their own positions (`<projection>#rebuild`, per partition) plus the
// history checkpoints of the bulk load (`<projection>#rebuild-history`), each
// committed with the rows it covers, so a rebuild whose process died resumes
// where it stopped.
import type { KafkaClient } from '@tasklog/platform/kafka';
import { highWatermarks, type PartitionRange } from '@tasklog/platform/kafka';
import type { Logger } from '@tasklog/platform/observability';
import { readPositions } from '../read-model/projection-positions.js';
import { TASK_VIEW_PROJECTION } from '../read-model/read-model.tables.js';
import { inTransaction, type SqlClient, type SqlPool } from '../read-model/sql-client.js';
import type { ProjectionTarget } from '../read-model/task-events.projection.js';
import { bulkLoad, type FoldWorkerKafka } from './bulk-load.js';
import { applyLogRanges } from './log-range.applier.js';
import {
  advanceRebuild,
  cancelRebuild,
  findRebuild,
  insertRebuild,
  latestRebuild,
  tryRebuildLease,
  UNFINISHED_STATES,
  type RebuildLease,
  type RebuildRow,
  type RebuildState,
} from './projection-rebuild.store.js';
import { SwapCancelled, swapIn } from './projection-swap.js';
import {
  RETIRED_TABLES,
  SHADOW_TABLES,
  buildShadowIndexes,
  createShadowTables,
  deferShadowKeys,
  dropTables,
  restoreShadowKeys,
  shadowTablesExist,
} from './shadow-tables.js';

/** The projections a rebuild knows how to build. */
export const REBUILDABLE_PROJECTIONS: readonly string[] = [TASK_VIEW_PROJECTION];

/** The projection_offsets row family of a projection's shadow build. */
export const rebuildPositionsName = (projection: string) => `${projection}#rebuild`;
/** The bulk load's history checkpoints (history rows stored below them, the rest of the partition not yet). */
export const rebuildHistoryPositionsName = (projection: string) => `${projection}#rebuild-history`;

export interface RebuildDeps {
  readonly pool: SqlPool;
  readonly kafka: KafkaClient;
  /** The event log topic (with the deployment's prefix). */
  readonly topic: string;
  readonly logger: Logger;
  /** Lets the bulk load read and fold in worker threads, each with a Kafka client of its own. */
  readonly kafkaConfig?: FoldWorkerKafka;
}

export interface RebuildTuning {
  /** Catch up until at most this many records are behind the head, then swap. */
  readonly catchUpLag: number;
  readonly maxCatchUpRounds: number;
  /** Records per transaction: history chunks of the bulk load, chunks of the catch-up. */
  readonly chunkRecords: number;
  /** Write transactions in flight. */
  readonly parallel: number;
  /** Bulk-load writes queued behind those in flight before the read waits for them. */
  readonly queued: number;
  /** Worker threads reading and folding the bulk load (with `kafkaConfig`; 0: the runner's thread). */
  readonly workers: number;
  /** The compiled worker module (tests running the sources point at dist/); default: beside the runner's module. */
  readonly workerFile?: string;
  readonly fetchBytes: number;
  readonly lockTimeoutMs: number;
  readonly swapAttempts: number;
  /** Observes each phase as it begins (tests stop a rebuild halfway with it). */
  readonly onPhase?: (state: RebuildState | 'indexing') => void | Promise<void>;
  /** Observes each committed chunk of the load phase (records in it). */
  readonly onApplied?: (records: number) => void | Promise<void>;
}

export const DEFAULT_REBUILD_TUNING: RebuildTuning = {
  catchUpLag: 500,
  maxCatchUpRounds: 20,
  chunkRecords: 10_000,
  parallel: 2,
  queued: 4,
  workers: 2,
  fetchBytes: 8 * 1024 * 1024,
  lockTimeoutMs: 10_000,
  swapAttempts: 3,
};

export type RebuildRefusal = 'unknown-projection' | 'already-running';

export class RebuildRefused extends Error {
  constructor(
    readonly reason: RebuildRefusal,
    readonly projection: string,
    readonly running?: RebuildRow,
  ) {
    super(
      reason === 'unknown-projection'
        ? `no projection named ${projection} can be rebuilt (known: ${REBUILDABLE_PROJECTIONS.join(', ')})`
        : `a rebuild of ${projection} is already running${running ? ` (${running.rebuildId}, ${running.state})` : ''}`,
    );
    this.name = 'RebuildRefused';
  }
}

export class RebuildCancelled extends Error {
  constructor(readonly rebuildId: string) {
    super(`rebuild ${rebuildId} was cancelled`);
    this.name = 'RebuildCancelled';
  }
}

/** The runner's process is stopping: the rebuild stays unfinished, and the next request resumes it. */
export class RebuildInterrupted extends Error {
  constructor(readonly rebuildId: string) {
    super(`rebuild ${rebuildId} was interrupted; a new request resumes it`);
    this.name = 'RebuildInterrupted';
  }
}

export interface StartedRebuild {
  readonly rebuild: RebuildRow;
  /** True when it continues an unfinished rebuild whose runner had gone. */
  readonly resumed: boolean;
  /** Runs it to the end: the final row (`done` or `cancelled`); throws on a failure (the row says `failed`). */
  run(): Promise<RebuildRow>;
}

/** Takes the projection's rebuild lease and creates (or resumes) its rebuild; refused while one runs. */
export async function beginRebuild(
  deps: RebuildDeps,
  projection: string,
  options: { requestedBy?: string; tuning?: Partial<RebuildTuning>; signal?: AbortSignal } = {},
): Promise<StartedRebuild> {
  if (!REBUILDABLE_PROJECTIONS.includes(projection)) throw new RebuildRefused('unknown-projection', projection);
  const lease = await tryRebuildLease(deps.pool, projection);
  if (!lease) throw new RebuildRefused('already-running', projection, await latestRebuild(deps.pool, projection));
  try {
    const latest = await latestRebuild(deps.pool, projection);
    const resumed = latest !== undefined && UNFINISHED_STATES.includes(latest.state);
    const rebuild = resumed ? latest : await insertRebuild(deps.pool, projection, options.requestedBy ?? null);
    const tuning = { ...DEFAULT_REBUILD_TUNING, ...options.tuning };
    const runner = new RebuildRunner(deps, lease, rebuild, resumed, tuning, options.signal);
    return { rebuild, resumed, run: () => runner.run() };
  } catch (error) {
    await lease.release();
    throw error;
  }
}

class RebuildRunner {
  private readonly positions: string;
  private readonly historyPositions: string;
  private readonly target: ProjectionTarget;
  private lastCancelCheck = 0;

  constructor(
    private readonly deps: RebuildDeps,
    private readonly lease: RebuildLease,
    private readonly rebuild: RebuildRow,
    private readonly resumed: boolean,
    private readonly tuning: RebuildTuning,
    private readonly signal?: AbortSignal,
  ) {
    this.positions = rebuildPositionsName(rebuild.projection);
    this.historyPositions = rebuildHistoryPositionsName(rebuild.projection);
    this.target = { tables: SHADOW_TABLES, projection: this.positions, topic: deps.topic, notify: false };
  }

  async run(): Promise<RebuildRow> {
    const { rebuildId } = this.rebuild;
    const log = this.deps.logger.child({ rebuildId, projection: this.rebuild.projection });
    try {
      await this.prepare();
      await this.enter('building');
      log.info({ resumed: this.resumed }, 'projection rebuild: loading the shadow tables');
      await this.load(await highWatermarks(this.deps.kafka, this.deps.topic));
      await this.tuning.onPhase?.('indexing');
      await buildShadowIndexes(this.deps.pool);
      await this.enter('catching-up');
      const partitions = await this.catchUp();
      await this.enter('swapping');
      const swap = await this.swap(partitions);
      log.info(
        { offsets: Object.fromEntries(swap.offsets), generation: swap.generation },
        'projection rebuild swapped in',
      );
      await dropTables(this.deps.pool, RETIRED_TABLES);
      return (await findRebuild(this.deps.pool, rebuildId))!;
    } catch (error) {
      if (error instanceof RebuildCancelled || error instanceof SwapCancelled) {
        await this.discard();
        log.info('projection rebuild cancelled; shadow tables dropped');
        return (await findRebuild(this.deps.pool, rebuildId))!;
      }
      if (error instanceof RebuildInterrupted) {
        log.warn('projection rebuild interrupted; a new request resumes it');
        throw error;
      }
      log.error({ err: String(error) }, 'projection rebuild failed; a new request resumes it');
      await advanceRebuild(this.deps.pool, rebuildId, 'failed', String(error)).catch(() => undefined);
      throw error;
    } finally {
      await this.lease.release();
    }
  }

  /** Leftovers of a swap that died before its drop go; a fresh rebuild starts from empty shadow tables. */
  private async prepare(): Promise<void> {
    const { pool } = this.deps;
    await dropTables(pool, RETIRED_TABLES);
    if (this.resumed && (await shadowTablesExist(pool))) return;
    await dropTables(pool, SHADOW_TABLES);
    await pool.query('delete from projection_offsets where projection = any($1::text[])', [
      [this.positions, this.historyPositions],
    ]);
    await createShadowTables(pool);
    await deferShadowKeys(pool);
  }

  private async enter(state: RebuildState): Promise<void> {
    if (this.signal?.aborted) throw new RebuildInterrupted(this.rebuild.rebuildId);
    await this.tuning.onPhase?.(state);
    if (!(await advanceRebuild(this.deps.pool, this.rebuild.rebuildId, state)))
      throw new RebuildCancelled(this.rebuild.rebuildId);
  }

  /**
   * The initial load: partitions without a shadow position yet are folded in
   * memory and bulk-written (bulk-load.ts); a partition a previous run
   * finished, up to an older head, goes on chunk by chunk.
   */
  private async load(ends: Map<number, bigint>): Promise<void> {
    const ranges = await this.rangesTo(ends);
    const history = await readPositions(this.deps.pool, this.historyPositions, this.deps.topic);
    const fresh = ranges.filter((r) => r.from === 0n);
    await bulkLoad(
      this.deps.kafka,
      fresh.map((range) => ({ range, historyFrom: history.get(range.partition) ?? 0n })),
      {
        tables: SHADOW_TABLES,
        topic: this.deps.topic,
        positions: this.positions,
        historyPositions: this.historyPositions,
        withClient: (work) => inTransaction(this.deps.pool, work),
        chunkRecords: this.tuning.chunkRecords,
        parallel: this.tuning.parallel,
        queued: this.tuning.queued,
        fetchBytes: this.tuning.fetchBytes,
        workers: this.tuning.workers,
        ...(this.tuning.workerFile ? { workerFile: this.tuning.workerFile } : {}),
        ...(this.deps.kafkaConfig ? { kafkaConfig: this.deps.kafkaConfig } : {}),
        beforeChunk: () => this.checkCancelled(),
        ...(this.tuning.onApplied ? { onApplied: this.tuning.onApplied } : {}),
      },
    );
    await this.deps.pool.query('delete from projection_offsets where projection = $1', [this.historyPositions]);
    const resumed = ranges.filter((r) => r.from > 0n && r.end > r.from);
    if (resumed.length === 0) return;
    // The projection's upserts need the primary keys.
    await restoreShadowKeys(this.deps.pool);
    await this.apply(resumed);
  }

  /** Applies the ranges chunk by chunk through pooled transactions (the projection's own upserts). */
  private async apply(ranges: readonly PartitionRange[]): Promise<void> {
    await applyLogRanges(this.deps.kafka, ranges, {
      target: this.target,
      withClient: (work) => inTransaction(this.deps.pool, work),
      chunkRecords: this.tuning.chunkRecords,
      parallel: this.tuning.parallel,
      fetchBytes: this.tuning.fetchBytes,
      beforeChunk: () => this.checkCancelled(),
      ...(this.tuning.onApplied ? { onApplied: this.tuning.onApplied } : {}),
    });
  }

  private async rangesTo(ends: Map<number, bigint>): Promise<PartitionRange[]> {
    const from = await readPositions(this.deps.pool, this.positions, this.deps.topic);
    return [...ends].map(([partition, end]) => ({
      topic: this.deps.topic,
      partition,
      from: from.get(partition) ?? 0n,
      end,
    }));
  }

  /** Rounds of "read to the current head" until the remaining lag is small; returns the partitions. */
  private async catchUp(): Promise<number[]> {
    for (let round = 1; ; round++) {
      const ends = await highWatermarks(this.deps.kafka, this.deps.topic);
      const ranges = await this.rangesTo(ends);
      const lag = ranges.reduce((sum, r) => sum + (r.end > r.from ? Number(r.end - r.from) : 0), 0);
      if (lag <= this.tuning.catchUpLag || round > this.tuning.maxCatchUpRounds) return [...ends.keys()];
      await this.apply(ranges);
    }
  }

  private async swap(partitions: number[]) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await swapIn(this.deps.pool, {
          rebuildId: this.rebuild.rebuildId,
          live: this.rebuild.projection,
          shadow: this.positions,
          topic: this.deps.topic,
          partitions,
          lockTimeoutMs: this.tuning.lockTimeoutMs,
          applyTail: (client, ranges) => this.applyTail(client, ranges),
        });
      } catch (error) {
        // A lock wait timed out (a long query on a live table): the swap rolled back whole; try again.
        const lockTimeout = (error as { code?: string }).code === '55P03';
        if (!lockTimeout || attempt >= this.tuning.swapAttempts) throw error;
        this.deps.logger.warn({ attempt }, 'projection swap timed out waiting for a lock; retrying');
      }
    }
  }

  private applyTail(client: SqlClient, ranges: PartitionRange[]): Promise<void> {
    let queue = Promise.resolve();
    // One connection inside one transaction: chunks take turns.
    const serial = <T>(work: (c: SqlClient) => Promise<T>): Promise<T> => {
      const next = queue.then(() => work(client));
      queue = next.then(
        () => undefined,
        () => undefined,
      );
      return next;
    };
    return applyLogRanges(this.deps.kafka, ranges, {
      target: this.target,
      withClient: serial,
      chunkRecords: this.tuning.chunkRecords,
      parallel: 1,
      fetchBytes: this.tuning.fetchBytes,
    });
  }

  private async checkCancelled(): Promise<void> {
    if (this.signal?.aborted) throw new RebuildInterrupted(this.rebuild.rebuildId);
    if (Date.now() - this.lastCancelCheck < 250) return;
    this.lastCancelCheck = Date.now();
    const row = await findRebuild(this.deps.pool, this.rebuild.rebuildId);
    if (row?.state === 'cancelled') throw new RebuildCancelled(this.rebuild.rebuildId);
  }

  private async discard(): Promise<void> {
    await discardShadow(this.deps.pool, this.rebuild.projection);
  }
}

/** Drops a rebuild's shadow tables and positions (cancel, or a cancelled rebuild nobody runs). */
export async function discardShadow(pool: SqlPool, projection: string): Promise<void> {
  await dropTables(pool, SHADOW_TABLES);
  await pool.query('delete from projection_offsets where projection = any($1::text[])', [
    [rebuildPositionsName(projection), rebuildHistoryPositionsName(projection)],
  ]);
}

/**
 * Marks the projection's unfinished rebuild cancelled (undefined when there
 * is none). With no runner on it, its shadow tables go at once; a running
 * one sees the state between chunks, or at its swap, and drops them itself.
 */
export async function cancelRebuildOf(pool: SqlPool, projection: string): Promise<RebuildRow | undefined> {
  if (!REBUILDABLE_PROJECTIONS.includes(projection)) throw new RebuildRefused('unknown-projection', projection);
  const row = await cancelRebuild(pool, projection);
  if (!row) return undefined;
  const lease = await tryRebuildLease(pool, projection);
  if (lease) {
    try {
      await discardShadow(pool, projection);
    } finally {
      await lease.release();
    }
  }
  return row;
}
