// What a writer's own transactions leave in PostgreSQL, kept in memory so
// that it can fold its next batches while the transaction in flight is still
// writing (ADR 0048). Nothing here is trusted on its own: a prepared
// transaction is written only if PostgreSQL, under the partitions' locks,
// still holds the positions and the generation it was folded on, and any
// writer of a partition moves that partition's position. Whatever doubt
// arises (a failed transaction, a refold, a new group generation) forgets
// everything, and the epoch tells prepared work folded before that from
// work folded after.
import {
  prepareProjection,
  type MultiProjectionOutcome,
  type PreparedProjection,
  type ProjectionBase,
  type ProjectionBatch,
  type ProjectionTarget,
} from '@tasklog/platform/postgres';

type Task = ProjectionBase['tasks'] extends ReadonlyMap<string, infer T> ? T : never;

export class WriterMemory {
  private currentEpoch = 0;
  private join = -1;
  private generation = 0;
  private readonly positions = new Map<number, bigint>();
  private readonly tasks = new Map<string, Task>();

  /** At most this many tasks' rows are kept; beyond it they are dropped when nothing is in flight. */
  constructor(private readonly maxTasks: number) {}

  get epoch(): number {
    return this.currentEpoch;
  }

  /** The base to fold on in group generation `join`; null when there is none yet. */
  base(join: number): ProjectionBase | null {
    if (join !== this.join) {
      this.forget();
      this.join = join;
    }
    if (this.positions.size === 0) return null;
    return { generation: this.generation, positions: this.positions, tasks: this.tasks };
  }

  full(): boolean {
    return this.tasks.size > this.maxTasks;
  }

  /** Drops the rows kept (not the positions). Only while nothing is in flight or prepared. */
  trim(): void {
    this.currentEpoch++;
    this.tasks.clear();
  }

  forget(): void {
    this.currentEpoch++;
    this.positions.clear();
    this.tasks.clear();
  }

  /**
   * Positions read from PostgreSQL outside a transaction, for partitions it
   * holds none of. Only partitions no transaction in flight writes: those of
   * a prepared transaction are known already.
   */
  learn(positions: Iterable<readonly [number, bigint]>): void {
    for (const [partition, position] of positions)
      if (!this.positions.has(partition)) this.positions.set(partition, position);
  }

  /** A prepared transaction's effect, before it commits: the next preparation folds onto it. */
  expect(prepared: PreparedProjection): void {
    this.note(prepared.partitions, prepared.fold);
  }

  /** A committed transaction's effect, in generation `join`. */
  committed(outcome: MultiProjectionOutcome, join: number): void {
    if (join !== this.join || outcome.generation !== this.generation) {
      this.forget();
      this.join = join;
      this.generation = outcome.generation;
    }
    this.note(outcome.partitions, outcome.fold);
  }

  private note(partitions: MultiProjectionOutcome['partitions'], fold: MultiProjectionOutcome['fold']): void {
    for (const p of partitions) this.positions.set(p.partition, p.nextOffset);
    for (const t of fold.tasks) this.tasks.set(t.after.taskId, t.after);
  }
}

export interface FoldAheadReads {
  readonly target: ProjectionTarget;
  /** Every stored position of the projection (committed ones). */
  readonly readPositions: () => Promise<ReadonlyMap<number, bigint>>;
  /** The tasks' committed rows. */
  readonly readTasks: (taskIds: string[]) => Promise<ReadonlyMap<string, Task>>;
}

/**
 * Folds the batches onto the memory, in group generation `join`, and notes
 * the result as expected (the next preparation folds onto it). Null when the
 * memory has no base yet, or when it was forgotten meanwhile (the
 * transaction in flight failed): folded on what is no longer believed.
 */
export async function foldAhead(
  memory: WriterMemory,
  join: number,
  batches: readonly ProjectionBatch[],
  reads: FoldAheadReads,
): Promise<PreparedProjection | null> {
  const base = memory.base(join);
  if (base === null) return null;
  const epoch = memory.epoch;
  const unknown = batches.map((b) => b.partition).filter((p) => !base.positions.has(p));
  if (unknown.length > 0) {
    const stored = await reads.readPositions();
    if (epoch !== memory.epoch) return null;
    memory.learn(unknown.map((p) => [p, stored.get(p) ?? 0n] as const));
  }
  const prepared = await prepareProjection(reads.target, batches, base, reads.readTasks);
  if (prepared === null || epoch !== memory.epoch) return null;
  memory.expect(prepared);
  return prepared;
}
