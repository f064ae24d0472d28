// Applies one batch of one partition of the event log to the task read
// models, inside the caller's transaction, and stores the partition's next
// offset in the same transaction: the read model and its position commit or
// roll back together (exactly-once effect, ADR 0015). The partition's
// position row is locked first, so two writers of one partition (a zombie
// after a rebalance) serialize and the second sees the first one's position.
import type { ExistingTask } from '@tasklog/domain';
import type { ReadModelTables } from './read-model.tables.js';
import type { SqlClient } from './sql-client.js';
import { foldBatch, type BatchFold, type PositionedEvent } from './task-batch.fold.js';
import { batchWriteStatement } from './task-events.sql.js';
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

const EMPTY_FOLD: BatchFold = { tasks: [], applied: [], rejected: [], statsDelta: new Map() };

export async function projectTaskEvents(
  client: SqlClient,
  target: ProjectionTarget,
  batch: ProjectionBatch,
): Promise<ProjectionOutcome> {
  const { fromOffset, generation } = await lockPosition(client, target, batch.partition);
  if (batch.endOffset <= fromOffset) return { fromOffset, nextOffset: fromOffset, generation, fold: EMPTY_FOLD };
  const fresh = batch.events.filter((e) => e.offset >= fromOffset);
  const current = await currentTasks(client, target.tables, [...new Set(fresh.map((e) => e.recorded.metadata.taskId))]);
  const fold = foldBatch(current, fresh);
  const statement = batchWriteStatement(target.tables, fold, {
    projection: target.projection,
    topic: target.topic,
    partition: batch.partition,
    nextOffset: batch.endOffset,
    notify: target.notify,
  });
  await client.query(statement.text, statement.values);
  return { fromOffset, nextOffset: batch.endOffset, generation, fold };
}

async function lockPosition(
  client: SqlClient,
  target: ProjectionTarget,
  partition: number,
): Promise<{ fromOffset: bigint; generation: number }> {
  const { rows } = await client.query<{ next_offset: string; generation: number }>(
    `with pos as (
       insert into projection_offsets (projection, topic, partition, next_offset) values ($1, $2, $3, 0)
       on conflict (projection, topic, partition) do update set next_offset = projection_offsets.next_offset
       returning next_offset)
     select pos.next_offset,
       coalesce((select generation from projection_generations where projection = $1), 1) as generation
     from pos`,
    [target.projection, target.topic, partition],
  );
  return { fromOffset: BigInt(rows[0]!.next_offset), generation: rows[0]!.generation };
}

async function currentTasks(
  client: SqlClient,
  tables: ReadModelTables,
  taskIds: string[],
): Promise<Map<string, ExistingTask>> {
  if (taskIds.length === 0) return new Map();
  const { rows } = await client.query<TaskRow>(
    `select ${taskRowColumns()} from ${tables.taskView} where task_id = any($1::text[])`,
    [taskIds],
  );
  return new Map(rows.map((row) => [row.task_id, taskFromRow(row)]));
}
