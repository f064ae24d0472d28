// `projections verify`: compares the live read model with a fresh fold of the
// event log (ADR 0022). The live side is read in one REPEATABLE READ
// snapshot that starts with the projection's positions, and the log is folded
// exactly up to those positions, so a projector that keeps writing meanwhile
// cannot make the two sides differ. Each table gets a row count and an
// order-independent checksum; the task view also gets a per-task diff.
import type { ExistingTask } from '@tasklog/domain';
import { readPartitionRanges, type KafkaClient } from '@tasklog/platform/kafka';
import { readPositions } from '../read-model/projection-positions.js';
import { READ_MODEL_TABLES, TASK_VIEW_PROJECTION } from '../read-model/read-model.tables.js';
import type { SqlClient, SqlPool } from '../read-model/sql-client.js';
import { foldBatch } from '../read-model/task-batch.fold.js';
import { taskFromRow, taskRowColumns, type TaskRow } from '../read-model/task-row.codec.js';
import { decodeRecords } from './log-range.applier.js';
import {
  TableDigest,
  expectedReminderLines,
  expectedStatsLines,
  historyLine,
  liveReminderLines,
  liveStatsLines,
  taskFields,
  type FieldDiff,
} from './read-model.digest.js';

export interface TableComparison {
  readonly table: string;
  readonly expectedRows: number;
  readonly liveRows: number;
  readonly expectedChecksum: string;
  readonly liveChecksum: string;
  readonly equal: boolean;
}

export interface TaskDifference {
  readonly taskId: string;
  readonly kind: 'missing' | 'unexpected' | 'different';
  readonly fields: readonly FieldDiff[];
}

export interface VerifyReport {
  readonly projection: string;
  readonly equal: boolean;
  /** The positions both sides were compared at. */
  readonly offsets: Record<string, string>;
  readonly events: number;
  readonly tables: readonly TableComparison[];
  /** Up to `sample` differing tasks, with their differing fields. */
  readonly differences: readonly TaskDifference[];
}

export async function verifyProjection(
  deps: { pool: SqlPool; kafka: KafkaClient; topic: string },
  projection: string,
  options: { sample?: number } = {},
): Promise<VerifyReport> {
  if (projection !== TASK_VIEW_PROJECTION) throw new Error(`no projection named ${projection} can be verified`);
  const live = await readLive(deps.pool, deps.topic);
  const expected = await foldLog(deps.kafka, deps.topic, live.offsets);
  const tasks = compareTasks(expected.tasks, live.tasks, options.sample ?? 10);
  const tables = [
    tasks.comparison,
    compare(READ_MODEL_TABLES.taskHistory, expected.history, live.history),
    compare(READ_MODEL_TABLES.userStats, TableDigest.of(expectedStatsLines(expected.tasks.values())), live.stats),
    compare(
      READ_MODEL_TABLES.reminders,
      TableDigest.of(expectedReminderLines(expected.tasks.values())),
      live.reminders,
    ),
  ];
  return {
    projection,
    equal: tables.every((t) => t.equal),
    offsets: Object.fromEntries([...live.offsets].map(([p, o]) => [String(p), o.toString()])),
    events: expected.events,
    tables,
    differences: tasks.differences,
  };
}

interface LiveSide {
  readonly offsets: Map<number, bigint>;
  readonly tasks: Map<string, ExistingTask>;
  readonly history: TableDigest;
  readonly stats: TableDigest;
  readonly reminders: TableDigest;
}

async function readLive(pool: SqlPool, topic: string): Promise<LiveSide> {
  const client = await pool.connect();
  try {
    await client.query('begin isolation level repeatable read read only');
    const offsets = await readPositions(client, TASK_VIEW_PROJECTION, topic);
    const t = READ_MODEL_TABLES;
    const rows = await client.query<TaskRow>(`select ${taskRowColumns()} from ${t.taskView}`);
    const tasks = new Map(rows.rows.map((r) => [r.task_id, taskFromRow(r)]));
    const history = await historyDigest(client, t.taskHistory);
    const stats = TableDigest.of(await liveStatsLines(client, t.userStats));
    const reminders = TableDigest.of(await liveReminderLines(client, t.reminders));
    await client.query('commit');
    client.release();
    return { offsets, tasks, history, stats, reminders };
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    client.release(error instanceof Error ? error : true);
    throw error;
  }
}

/** Summed in PostgreSQL: the history can be the size of the log. */
async function historyDigest(client: SqlClient, table: string): Promise<TableDigest> {
  const { rows } = await client.query<{ n: string; sum: string }>(
    `select count(*)::text as n,
       coalesce(sum(('x' || substr(md5(concat_ws('|', event_partition, event_offset, task_id, version, event_type, event_id)), 1, 15))::bit(60)::bigint), 0)::text as sum
     from ${table}`,
  );
  return TableDigest.fromSum(Number(rows[0]!.n), BigInt(rows[0]!.sum));
}

async function foldLog(kafka: KafkaClient, topic: string, offsets: Map<number, bigint>) {
  const tasks = new Map<string, ExistingTask>();
  const history = new TableDigest();
  let events = 0;
  const ranges = [...offsets].map(([partition, end]) => ({ topic, partition, from: 0n, end }));
  await readPartitionRanges(kafka, ranges, {
    timeoutMs: 3_600_000,
    onBatch: (messages) => {
      const fold = foldBatch(tasks, decodeRecords(messages[0]!.partition, messages));
      for (const t of fold.tasks) tasks.set(t.after.taskId, t.after);
      for (const e of fold.applied) history.add(historyLine(e));
      events += messages.length;
    },
  });
  return { tasks, history, events };
}

function compare(table: string, expected: TableDigest, live: TableDigest): TableComparison {
  return {
    table,
    expectedRows: expected.rows,
    liveRows: live.rows,
    expectedChecksum: expected.checksum(),
    liveChecksum: live.checksum(),
    equal: expected.rows === live.rows && expected.checksum() === live.checksum(),
  };
}

function compareTasks(expected: Map<string, ExistingTask>, live: Map<string, ExistingTask>, sample: number) {
  const expectedDigest = new TableDigest();
  const liveDigest = new TableDigest();
  const differences: TaskDifference[] = [];
  const note = (d: TaskDifference) => void (differences.length < sample && differences.push(d));
  for (const [taskId, task] of expected) {
    const fields = taskFields(task);
    expectedDigest.add(JSON.stringify(fields));
    const other = live.get(taskId);
    if (!other) {
      note({ taskId, kind: 'missing', fields: [] });
      continue;
    }
    const otherFields = taskFields(other);
    const diff = Object.keys(fields)
      .filter((k) => JSON.stringify(fields[k]) !== JSON.stringify(otherFields[k]))
      .map((field) => ({ field, expected: fields[field], live: otherFields[field] }));
    if (diff.length > 0) note({ taskId, kind: 'different', fields: diff });
  }
  for (const [taskId, task] of live) {
    liveDigest.add(JSON.stringify(taskFields(task)));
    if (!expected.has(taskId)) note({ taskId, kind: 'unexpected', fields: [] });
  }
  return { comparison: compare(READ_MODEL_TABLES.taskView, expectedDigest, liveDigest), differences };
}
