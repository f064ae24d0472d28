// Reads of one task (current, as of a time, its history) and of the owner
// statistics. "As of" folds the history index up to the time with the
// domain's own evolve, so it is exactly the state the log had then.
import {
  TASK_STATUSES,
  evolve,
  type ExistingTask,
  type TaskEvent,
  type TaskState,
  type TaskStatus,
} from '@tasklog/domain';
import { statusColumn, type ReadModelTables } from './read-model.tables.js';
import { namedStatement, type SqlClient } from './sql-client.js';
import { isoOf, taskRowColumns, type TaskRow } from './task-row.codec.js';

export async function findTask(
  client: SqlClient,
  tables: ReadModelTables,
  taskId: string,
): Promise<TaskRow | undefined> {
  const { rows } = await client.query<TaskRow>(
    namedStatement(`select ${taskRowColumns()} from ${tables.taskView} where task_id = $1`, [taskId]),
  );
  return rows[0];
}

export interface HistoryRow {
  readonly event_partition: number;
  readonly event_offset: string;
  readonly task_id: string;
  readonly version: number;
  readonly event_id: string;
  readonly event_type: TaskEvent['type'];
  readonly schema_version: number;
  readonly recorded_at: string;
  readonly actor_id: string;
  readonly causation_id: string;
  readonly correlation_id: string | null;
  readonly payload: TaskEvent['data'];
}

const HISTORY_COLUMNS = [
  'event_partition',
  'event_offset',
  'task_id',
  'version',
  'event_id',
  'event_type',
  'schema_version',
  isoOf('recorded_at'),
  'actor_id',
  'causation_id',
  'correlation_id',
  'payload',
].join(', ');

export async function taskHistory(
  client: SqlClient,
  tables: ReadModelTables,
  taskId: string,
  page: { limit: number; offset: number },
): Promise<{ rows: HistoryRow[]; total: number }> {
  const { rows } = await client.query<HistoryRow & { total: string }>(
    `select ${HISTORY_COLUMNS}, count(*) over () as total from ${tables.taskHistory}
     where task_id = $1 order by version limit $2 offset $3`,
    [taskId, page.limit, page.offset],
  );
  if (rows.length > 0) return { rows, total: Number(rows[0]!.total) };
  const counted = await client.query<{ total: string }>(
    `select count(*) as total from ${tables.taskHistory} where task_id = $1`,
    [taskId],
  );
  return { rows: [], total: Number(counted.rows[0]?.total ?? 0) };
}

/** The task as it was at `asOf` (events recorded at or before it), or null when it did not exist yet. */
export async function taskAsOf(
  client: SqlClient,
  tables: ReadModelTables,
  taskId: string,
  asOf: string,
): Promise<ExistingTask | null> {
  const { rows } = await client.query<HistoryRow>(
    `select ${HISTORY_COLUMNS} from ${tables.taskHistory}
     where task_id = $1 and recorded_at <= $2::timestamptz order by version`,
    [taskId, asOf],
  );
  let state: TaskState = { exists: false, version: 0 };
  for (const row of rows) {
    const event = { type: row.event_type, schemaVersion: row.schema_version, data: row.payload } as TaskEvent;
    state = { ...evolve(state, event), version: row.version } as TaskState;
  }
  return state.exists ? state : null;
}

export interface TaskStats {
  readonly total: number;
  readonly byStatus: Record<TaskStatus, number>;
  /** Live tasks with a due date in the past that are not COMPLETED (the reference dashboard's rule). */
  readonly overdue: number;
  readonly completedLast7Days: number;
}

/** Live-task statistics of one owner, or of every user when ownerId is undefined. */
export async function taskStats(
  client: SqlClient,
  tables: ReadModelTables,
  ownerId: string | undefined,
  now: Date,
): Promise<TaskStats> {
  const owner = ownerId === undefined ? '' : 'and owner_id = $3';
  const params = ownerId === undefined ? [] : [ownerId];
  const sums = TASK_STATUSES.map((s) => `coalesce(sum(${statusColumn(s)}), 0)::int as ${statusColumn(s)}`);
  const counts = await client.query<Record<string, number>>(
    `select ${sums.join(', ')} from ${tables.userStats} ${ownerId === undefined ? '' : 'where owner_id = $1'}`,
    params,
  );
  const weekAgo = new Date(now.getTime() - 7 * 24 * 3600 * 1000).toISOString();
  const timed = await client.query<{ overdue: number; completed_last_7_days: number }>(
    `select count(*) filter (where due_date < $1 and status <> 'COMPLETED')::int as overdue,
            count(*) filter (where status = 'COMPLETED' and completed_at >= $2)::int as completed_last_7_days
     from ${tables.taskView}
     where deleted_at is null ${owner} and (due_date < $1 or completed_at >= $2)`,
    [now.toISOString(), weekAgo, ...params],
  );
  const row = counts.rows[0] ?? {};
  const byStatus = Object.fromEntries(TASK_STATUSES.map((s) => [s, row[statusColumn(s)] ?? 0])) as Record<
    TaskStatus,
    number
  >;
  return {
    total: Object.values(byStatus).reduce((a, b) => a + b, 0),
    byStatus,
    overdue: timed.rows[0]?.overdue ?? 0,
    completedLast7Days: timed.rows[0]?.completed_last_7_days ?? 0,
  };
}
