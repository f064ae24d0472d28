// The projection's bulk writes as one statement: every read-model change of a
// batch plus the new partition position, as data-modifying CTEs over
// unnest()ed parameter arrays (one round trip, one row per task, no ORM unit
// of work). Upserts only ever move a row forward (`version` guard), history
// rows are keyed by (task, version): replaying a batch changes nothing.
import {
  TASK_EVENT_SCHEMA_VERSIONS,
  TASK_STATUSES,
  reminderDueAt,
  type ExistingTask,
  type TaskStatus,
} from '@tasklog/domain';
import { statusColumn, type ReadModelTables } from './read-model.tables.js';
import type { BatchFold, FoldedTask, PositionedEvent } from './task-batch.fold.js';

/** Where NOTIFY announces a new position: payload `schema|projection|topic|partition|nextOffset`. */
export const PROJECTION_CHANNEL = 'tasklog_projection';

class Params {
  readonly values: unknown[] = [];
  add(value: unknown, type: string): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }
}

export interface PositionUpdate {
  readonly projection: string;
  readonly topic: string;
  readonly partition: number;
  readonly nextOffset: bigint;
  readonly notify: boolean;
}

export function batchWriteStatement(
  tables: ReadModelTables,
  fold: BatchFold,
  position: PositionUpdate,
): { text: string; values: unknown[] } {
  const p = new Params();
  const parts = [
    fold.tasks.length > 0 ? `v as (${upsertViews(tables.taskView, fold, p)})` : '',
    fold.applied.length > 0 ? `h as (${insertHistory(tables.taskHistory, fold, p)})` : '',
    fold.statsDelta.size > 0 ? `s as (${upsertStats(tables.userStats, fold, p)})` : '',
    ...reminderChanges(tables.reminders, fold, p),
    `o as (${updatePosition(position, p)})`,
  ].filter(Boolean);
  const notify = position.notify
    ? `pg_notify('${PROJECTION_CHANNEL}', concat_ws('|', current_schema(), ${p.add(position.projection, 'text')}, ` +
      `${p.add(position.topic, 'text')}, ${p.add(position.partition, 'int')}, ${p.add(position.nextOffset.toString(), 'bigint')}))`
    : 'null';
  return { text: `with ${parts.join(',\n')} select ${notify} as notified`, values: p.values };
}

/** A column of a bulk write: its name, its PostgreSQL array element type, and its value per row. */
type Column<T> = readonly [name: string, type: string, value: (row: T) => unknown];

const VIEW_COLUMNS: readonly Column<FoldedTask>[] = [
  ['task_id', 'text', (f) => f.after.taskId],
  ['owner_id', 'text', (f) => f.after.ownerId],
  ['title', 'text', (f) => f.after.title],
  ['description', 'text', (f) => f.after.description],
  ['status', 'text', (f) => f.after.status],
  ['due_date', 'timestamptz', (f) => f.after.dueDate],
  ['warning_offset', 'int', (f) => f.after.warningOffset],
  ['category', 'text', (f) => f.after.category],
  // A jagged text[][] cannot be unnested: tags travel as one JSON array per row.
  ['tags', 'jsonb', (f) => JSON.stringify(f.after.tags)],
  ['created_at', 'timestamptz', (f) => f.after.createdAt],
  ['updated_at', 'timestamptz', (f) => f.after.updatedAt],
  ['completed_at', 'timestamptz', (f) => f.after.completedAt],
  ['deleted_at', 'timestamptz', (f) => f.after.deletedAt],
  ['reminder_fired_for_due_date', 'timestamptz', (f) => f.after.reminder.firedForDueDate],
  ['reminder_fired_at', 'timestamptz', (f) => f.after.reminder.firedAt],
  ['version', 'int', (f) => f.after.version],
  ['event_partition', 'int', (f) => f.last.partition],
  ['event_offset', 'bigint', (f) => f.last.offset.toString()],
];

const HISTORY_COLUMNS: readonly Column<PositionedEvent>[] = [
  ['event_partition', 'int', (e) => e.partition],
  ['event_offset', 'bigint', (e) => e.offset.toString()],
  ['task_id', 'text', (e) => e.recorded.metadata.taskId],
  ['version', 'int', (e) => e.recorded.metadata.version],
  ['event_id', 'text', (e) => e.recorded.metadata.eventId],
  ['event_type', 'text', (e) => e.recorded.event.type],
  ['schema_version', 'int', (e) => TASK_EVENT_SCHEMA_VERSIONS[e.recorded.event.type]],
  ['stored_schema_version', 'int', (e) => e.storedVersion],
  ['recorded_at', 'timestamptz', (e) => e.recorded.metadata.recordedAt],
  ['actor_id', 'text', (e) => e.recorded.metadata.actorId],
  ['causation_id', 'text', (e) => e.recorded.metadata.causationId],
  ['correlation_id', 'text', (e) => e.recorded.metadata.correlationId ?? null],
  ['payload', 'jsonb', (e) => JSON.stringify(e.recorded.event.data)],
];

const REMINDER_COLUMNS: readonly Column<ExistingTask>[] = [
  ['task_id', 'text', (t) => t.taskId],
  ['owner_id', 'text', (t) => t.ownerId],
  ['due_date', 'timestamptz', (t) => t.dueDate],
  ['warning_offset', 'int', (t) => t.warningOffset],
  ['remind_at', 'timestamptz', (t) => reminderDueAt(t)],
];

/** `unnest($1::text[], $2::int[], …)` over the rows, one parameter array per column. */
function unnestOf<T>(rows: readonly T[], columns: readonly Column<T>[], p: Params): string {
  return `unnest(${columns.map(([, type, value]) => p.add(rows.map(value), `${type}[]`)).join(', ')})`;
}

const namesOf = (columns: readonly Column<never>[]) => columns.map(([name]) => name);

function upsertViews(table: string, fold: BatchFold, p: Params): string {
  const names = namesOf(VIEW_COLUMNS);
  const selected = names.map((n) => (n === 'tags' ? 'array(select jsonb_array_elements_text(u.tags))' : `u.${n}`));
  const updates = names.filter((n) => n !== 'task_id').map((n) => `${n} = excluded.${n}`);
  return `insert into ${table} (${names.join(', ')})
    select ${selected.join(', ')} from ${unnestOf(fold.tasks, VIEW_COLUMNS, p)} as u(${names.join(', ')})
    on conflict (task_id) do update set ${updates.join(', ')} where ${table}.version < excluded.version`;
}

function insertHistory(table: string, fold: BatchFold, p: Params): string {
  return `insert into ${table} (${namesOf(HISTORY_COLUMNS).join(', ')})
    select * from ${unnestOf(fold.applied, HISTORY_COLUMNS, p)}
    on conflict (task_id, version) do nothing`;
}

function upsertStats(table: string, fold: BatchFold, p: Params): string {
  // Sorted, so concurrent batches of different partitions lock owners in one order (no deadlocks).
  const owners = [...fold.statsDelta.keys()].sort();
  const byStatus = (status: TaskStatus) => owners.map((o) => fold.statsDelta.get(o)!.get(status) ?? 0);
  const names = TASK_STATUSES.map(statusColumn);
  const params = TASK_STATUSES.map((s) => p.add(byStatus(s), 'int[]'));
  return `insert into ${table} (owner_id, ${names.join(', ')})
    select * from unnest(${p.add(owners, 'text[]')}, ${params.join(', ')})
    on conflict (owner_id) do update set ${names.map((n) => `${n} = ${table}.${n} + excluded.${n}`).join(', ')},
      updated_at = now()`;
}

/** What a task's reminder row holds, as one comparable value (null: no row). */
function reminderKey(task: ExistingTask | null): string | null {
  const at = task === null ? null : reminderDueAt(task);
  return at === null ? null : `${at}|${task!.dueDate}|${task!.warningOffset}`;
}

function reminderChanges(table: string, fold: BatchFold, p: Params): string[] {
  // Only reminders that change are written: most events leave a task's reminder as it was.
  const changed = fold.tasks.filter((f) => reminderKey(f.after) !== reminderKey(f.before)).map((f) => f.after);
  const pending = changed.filter((t) => reminderDueAt(t) !== null);
  const cleared = changed.filter((t) => reminderDueAt(t) === null).map((t) => t.taskId);
  const parts: string[] = [];
  if (pending.length > 0) {
    parts.push(`r as (insert into ${table} (${namesOf(REMINDER_COLUMNS).join(', ')})
      select * from ${unnestOf(pending, REMINDER_COLUMNS, p)}
      on conflict (task_id) do update set owner_id = excluded.owner_id, due_date = excluded.due_date,
        warning_offset = excluded.warning_offset, remind_at = excluded.remind_at)`);
  }
  if (cleared.length > 0) parts.push(`d as (delete from ${table} where task_id = any(${p.add(cleared, 'text[]')}))`);
  return parts;
}

function updatePosition(position: PositionUpdate, p: Params): string {
  return `update projection_offsets set next_offset = ${p.add(position.nextOffset.toString(), 'bigint')}, updated_at = now()
    where projection = ${p.add(position.projection, 'text')} and topic = ${p.add(position.topic, 'text')}
      and partition = ${p.add(position.partition, 'int')}`;
}
