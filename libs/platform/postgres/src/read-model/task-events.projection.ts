// Applies batches of the event log (one or several partitions) to the task
// read models, inside the caller's transaction, and stores each partition's
// next offset in the same transaction: the read model and its positions
// commit or roll back together (exactly-once effect, ADR 0015). The
// partitions' position rows are locked first, in partition order, so two
// writers of one partition (a zombie after a rebalance) serialize and the
// second sees the first one's position; the rebuild's swap locks them in the
// same order.
import type { ExistingTask } from '@tasklog/domain';
import type { ReadModelTables } from './read-model.tables.js';
import type { SqlClient, SqlResult } from './sql-client.js';
import { foldBatch, type BatchFold, type PositionedEvent } from './task-batch.fold.js';
import { batchWriteStatement, foldWrites, textArrayLiteral } from './task-events.sql.js';
import { copyNewRows, newRowsCopy, type NewRowsCopy } from './task-rows.copy.js';
import { taskFromRow, taskRowColumns, type TaskRow } from './task-row.codec.js';

export interface ProjectionTarget {
  readonly tables: ReadModelTables;
  /** The projection_offsets row family (`task-view`, or a rebuild's own name). */
  readonly projection: string;
  readonly topic: string;
  /** NOTIFY the new position at commit (consistency-token waiters listen). */
  readonly notify: boolean;
}

export interface ProjectionBatch {
  readonly partition: number;
  /** The decodable events of the batch, in offset order. */
  readonly events: readonly PositionedEvent[];
  /** One past the batch's last offset (records that could not be decoded included). */
  readonly endOffset: bigint;
}

export interface ProjectionOutcome {
  /** The stored position before this batch: records below it had been applied already. */
  readonly fromOffset: bigint;
  /** The stored position after it (unchanged for a batch seen before). */
  readonly nextOffset: bigint;
  /** The projection's generation (cache keys carry it). */
  readonly generation: number;
  readonly fold: BatchFold;
}

export interface PartitionMove {
  readonly partition: number;
  readonly fromOffset: bigint;
  readonly nextOffset: bigint;
}

/** Several partitions applied in one transaction: where each stood and stands, and the fold of them all. */
export interface MultiProjectionOutcome {
  readonly partitions: readonly PartitionMove[];
  readonly generation: number;
  readonly fold: BatchFold;
}

const EMPTY_FOLD: BatchFold = { tasks: [], applied: [], rejected: [], statsDelta: new Map() };

/** One partition's batch (the rebuild tooling and tests use this form). */
export async function projectTaskEvents(
  client: SqlClient,
  target: ProjectionTarget,
  batch: ProjectionBatch,
  options: ProjectOptions = {},
): Promise<ProjectionOutcome> {
  const { partitions, generation, fold } = await projectTaskEventBatches(client, target, [batch], options);
  return { ...partitions[0]!, generation, fold };
}

export interface ProjectOptions {
  /**
   * Started just before the write statement and awaited after it: work that
   * must be done before the commit and may overlap the write (the projector
   * marks the changed tasks in Redis there). Must not throw.
   */
  readonly alongsideWrite?: (generation: number, fold: BatchFold) => Promise<void>;
  /**
   * The statements opening the transaction (`inTransaction`'s `deferBegin`):
   * sent in one round trip with the position lock.
   */
  readonly begin?: string | null;
  /** From this many events on, the new rows go by COPY before the write statement (default COPY_FROM_EVENTS). */
  readonly copyFromEvents?: number;
}

/**
 * Batches of at least this many events send their new rows by COPY (ADR
 * 0047): cheaper for PostgreSQL than the statement's JSON rows, but up to
 * three more round trips, which a small batch would feel.
 */
export const COPY_FROM_EVENTS = 200;

/**
 * Batches of distinct partitions in one transaction: one lock statement, one
 * read of the tasks' current rows, one write statement. A task lives in one
 * partition, so the batches fold together as one.
 */
export async function projectTaskEventBatches(
  client: SqlClient,
  target: ProjectionTarget,
  batches: readonly ProjectionBatch[],
  options: ProjectOptions = {},
): Promise<MultiProjectionOutcome> {
  const sorted = sortedBatches(batches);
  const { stored, generation } = await lockPositions(
    client,
    target,
    sorted.map((b) => b.partition),
    options.begin ?? null,
  );
  const plan = planPartitions(sorted, stored);
  if (plan.moved.length === 0) return { partitions: plan.partitions, generation, fold: EMPTY_FOLD };
  const current = await currentTasks(client, target.tables, taskIdsOf(plan.fresh));
  const prepared = prepareWrite(target, generation, plan, foldBatch(current, plan.fresh), options);
  return writePrepared(client, target, prepared, options);
}

/**
 * Where a writer believes the database stands, as its own transactions leave
 * it: each partition's position, the generation and the rows of the tasks it
 * wrote. A pipelined writer folds its next batches onto it while the
 * transaction in flight is still writing (ADR 0048).
 */
export interface ProjectionBase {
  readonly generation: number;
  readonly positions: ReadonlyMap<number, bigint>;
  readonly tasks: ReadonlyMap<string, ExistingTask>;
}

/** Batches folded and their statement built, ready for a transaction. */
export interface PreparedProjection {
  readonly generation: number;
  readonly partitions: readonly PartitionMove[];
  readonly fold: BatchFold;
  readonly statement: { readonly text: string; readonly values: unknown[] };
  /** The new rows for COPY, when they go that way. */
  readonly copy: NewRowsCopy | null;
}

/**
 * Folds the batches onto `base`, outside any transaction. Tasks that `base`
 * does not hold are read with `read` (their committed rows). Null when the
 * base lacks the position of one of the partitions. Nothing is checked yet:
 * `applyPreparedProjection` does that under the partitions' locks.
 */
export async function prepareProjection(
  target: ProjectionTarget,
  batches: readonly ProjectionBatch[],
  base: ProjectionBase,
  read: (taskIds: string[]) => Promise<ReadonlyMap<string, ExistingTask>>,
  options: Pick<ProjectOptions, 'copyFromEvents'> = {},
): Promise<PreparedProjection | null> {
  const sorted = sortedBatches(batches);
  if (!sorted.every((b) => base.positions.has(b.partition))) return null;
  const plan = planPartitions(sorted, base.positions);
  const ids = taskIdsOf(plan.fresh);
  const missing = ids.filter((id) => !base.tasks.has(id));
  const fetched = missing.length > 0 ? await read(missing) : new Map<string, ExistingTask>();
  const current = new Map<string, ExistingTask>();
  for (const id of ids) {
    const task = base.tasks.get(id) ?? fetched.get(id);
    if (task) current.set(id, task);
  }
  return prepareWrite(target, base.generation, plan, foldBatch(current, plan.fresh), options);
}

/**
 * Writes a prepared projection in the caller's transaction if the database
 * still stands where it was folded: the generation and every partition's
 * position, read under the partitions' locks, are the ones assumed. Any
 * other writer of those partitions, a zombie or a rebuild's swap, moves one
 * of them. Otherwise it writes nothing and returns null, with the locks held:
 * the caller projects the batches the ordinary way in the same transaction.
 */
export async function applyPreparedProjection(
  client: SqlClient,
  target: ProjectionTarget,
  prepared: PreparedProjection,
  options: ProjectOptions = {},
): Promise<MultiProjectionOutcome | null> {
  const { stored, generation } = await lockPositions(
    client,
    target,
    prepared.partitions.map((p) => p.partition),
    options.begin ?? null,
  );
  const holds =
    generation === prepared.generation &&
    prepared.partitions.every((p) => (stored.get(p.partition) ?? 0n) === p.fromOffset);
  if (!holds) return null;
  if (!prepared.partitions.some((p) => p.nextOffset > p.fromOffset))
    return { partitions: prepared.partitions, generation, fold: EMPTY_FOLD };
  return writePrepared(client, target, prepared, options);
}

interface PartitionPlan {
  readonly partitions: PartitionMove[];
  /** The events at or past each partition's position. */
  readonly fresh: PositionedEvent[];
  /** Partitions whose position moves. */
  readonly moved: PartitionMove[];
}

function sortedBatches(batches: readonly ProjectionBatch[]): ProjectionBatch[] {
  const sorted = [...batches].sort((a, b) => a.partition - b.partition);
  if (sorted.some((b, i) => i > 0 && sorted[i - 1]!.partition === b.partition))
    throw new Error('projectTaskEventBatches: one batch per partition (merge them first)');
  return sorted;
}

function planPartitions(sorted: readonly ProjectionBatch[], stored: ReadonlyMap<number, bigint>): PartitionPlan {
  const partitions = sorted.map((b) => {
    const fromOffset = stored.get(b.partition) ?? 0n;
    return { partition: b.partition, fromOffset, nextOffset: b.endOffset > fromOffset ? b.endOffset : fromOffset };
  });
  const fresh = sorted.flatMap((b, i) => {
    const from = partitions[i]!.fromOffset;
    return b.endOffset <= from ? [] : b.events.filter((e) => e.offset >= from);
  });
  const moved = partitions.filter((p, i) => sorted[i]!.endOffset > p.fromOffset);
  return { partitions, fresh, moved };
}

const taskIdsOf = (events: readonly PositionedEvent[]) => [...new Set(events.map((e) => e.recorded.metadata.taskId))];

function prepareWrite(
  target: ProjectionTarget,
  generation: number,
  plan: PartitionPlan,
  fold: BatchFold,
  options: Pick<ProjectOptions, 'copyFromEvents'>,
): PreparedProjection {
  const writes = foldWrites(fold);
  const copy = fold.applied.length >= (options.copyFromEvents ?? COPY_FROM_EVENTS);
  const statement = batchWriteStatement(
    target.tables,
    fold,
    { projection: target.projection, topic: target.topic, partitions: plan.moved, notify: target.notify },
    { newRowsCopied: copy },
    writes,
  );
  return { generation, partitions: plan.partitions, fold, statement, copy: copy ? newRowsCopy(writes) : null };
}

async function writePrepared(
  client: SqlClient,
  target: ProjectionTarget,
  prepared: PreparedProjection,
  options: ProjectOptions,
): Promise<MultiProjectionOutcome> {
  const { generation, fold } = prepared;
  const alongside = options.alongsideWrite?.(generation, fold);
  try {
    if (prepared.copy) await copyNewRows(client, target.tables, prepared.copy);
    await client.query(prepared.statement.text, prepared.statement.values);
  } finally {
    await alongside;
  }
  return { partitions: prepared.partitions, generation, fold };
}

/** A SQL string literal (standard_conforming_strings: only the quote doubles). */
function literal(text: string): string {
  if (text.includes('\0')) throw new Error('NUL in a SQL literal');
  return `'${text.replace(/'/g, "''")}'`;
}

async function lockPositions(
  client: SqlClient,
  target: ProjectionTarget,
  partitions: readonly number[],
  begin: string | null,
): Promise<{ stored: Map<number, bigint>; generation: number }> {
  if (!partitions.every((p) => Number.isInteger(p))) throw new Error('partition numbers must be integers');
  const projection = literal(target.projection);
  // Rows are inserted (or locked) in the order of the sorted partition list.
  // Literals, not parameters: the simple protocol can carry `begin` with it.
  const lock = `with pos as (
       insert into projection_offsets (projection, topic, partition, next_offset)
       select ${projection}, ${literal(target.topic)}, p, 0
       from unnest(array[${partitions.join(', ')}]::int[]) with ordinality as t(p, i) order by i
       on conflict (projection, topic, partition) do update set next_offset = projection_offsets.next_offset
       returning partition, next_offset)
     select pos.partition, pos.next_offset,
       coalesce((select generation from projection_generations where projection = ${projection}), 1) as generation
     from pos`;
  type Row = { partition: number; next_offset: string; generation: number };
  const result = (await client.query<Row>(begin === null ? lock : `${begin}; ${lock}`)) as
    SqlResult<Row> | SqlResult<Row>[];
  const { rows } = Array.isArray(result) ? result[result.length - 1]! : result;
  return {
    stored: new Map(rows.map((r) => [r.partition, BigInt(r.next_offset)])),
    generation: rows[0]?.generation ?? 1,
  };
}

/** The tasks' rows as the read model holds them (committed ones, outside a transaction). */
export async function currentTasks(
  client: SqlClient,
  tables: ReadModelTables,
  taskIds: string[],
): Promise<Map<string, ExistingTask>> {
  if (taskIds.length === 0) return new Map();
  const { rows } = await client.query<TaskRow>(
    `select ${taskRowColumns()} from ${tables.taskView} where task_id = any($1::text[])`,
    [textArrayLiteral(taskIds)],
  );
  return new Map(rows.map((row) => [row.task_id, taskFromRow(row)]));
}
