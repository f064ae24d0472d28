// The projection's bulk writes as one statement: every read-model change of a
// batch (one or several partitions) plus the partitions' new positions, as
// data-modifying CTEs over JSON rows (one round trip, one row per task, no
// ORM unit of work). Each table's rows travel as one jsonb parameter, an
// array of row arrays: JSON.stringify is native and several times cheaper
// than `pg`'s per-element array-literal escaping, PostgreSQL parses it faster
// than text arrays, and event payloads go in as JSON values without being
// serialized twice (ADR 0033). The fold was made from the tasks' rows read
// under the partitions' position locks, so it knows which tasks are new and
// which history rows cannot exist yet: new rows are plain inserts, existing
// tasks plain updates (ADR 0047). An insert that meets an existing key is a
// corrupt read model and fails the transaction: the projector retries and
// stays not ready, it never writes over it.
import { TASK_EVENT_SCHEMA_VERSIONS, TASK_STATUSES, reminderDueAt, type ExistingTask } from '@tasklog/domain';
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

/** One partition's new position. */
export interface PositionUpdate {
  readonly projection: string;
  readonly topic: string;
  readonly partition: number;
  readonly nextOffset: bigint;
  readonly notify: boolean;
}

/** Several partitions' new positions, written (and announced) together. */
export interface PositionsUpdate {
  readonly projection: string;
  readonly topic: string;
  readonly partitions: readonly { readonly partition: number; readonly nextOffset: bigint }[];
  readonly notify: boolean;
}

/**
 * A fold's row changes by kind. The fold started from the rows as read under
 * the partitions' locks, so it knows what exists: new rows are inserts,
 * existing ones updates, and no history row of an applied event exists yet.
 */
export interface FoldWrites {
  readonly createdViews: readonly FoldedTask[];
  /** Existing tasks whose title or description changed: their `search` tsvector is computed again. */
  readonly retitledViews: readonly FoldedTask[];
  /** Existing tasks with the same title and description: updated without those columns, so `search` is kept. */
  readonly changedViews: readonly FoldedTask[];
  readonly history: readonly PositionedEvent[];
  /** Reminder rows of tasks that had none. */
  readonly addedReminders: readonly ExistingTask[];
  /** Reminder rows that exist and change. */
  readonly movedReminders: readonly ExistingTask[];
  /** Tasks whose reminder row goes. */
  readonly clearedReminders: readonly string[];
}

export function foldWrites(fold: BatchFold): FoldWrites {
  // Only reminders that change are written. A task has a reminder row exactly when reminderDueAt is set.
  const reminders = fold.tasks.filter((f) => reminderChanged(f.before, f.after));
  const pending = reminders.filter((f) => reminderDueAt(f.after) !== null);
  return {
    createdViews: fold.tasks.filter((f) => f.before === null),
    retitledViews: fold.tasks.filter((f) => f.before !== null && textChanged(f)),
    changedViews: fold.tasks.filter((f) => f.before !== null && !textChanged(f)),
    history: fold.applied,
    addedReminders: pending.filter((f) => reminderKey(f.before) === null).map((f) => f.after),
    movedReminders: pending.filter((f) => reminderKey(f.before) !== null).map((f) => f.after),
    clearedReminders: reminders.filter((f) => reminderDueAt(f.after) === null).map((f) => f.after.taskId),
  };
}

export interface WriteStatementOptions {
  /** The new rows (created views, history, added reminders) went in by COPY already (task-rows.copy.ts). */
  readonly newRowsCopied?: boolean;
}

export function batchWriteStatement(
  tables: ReadModelTables,
  fold: BatchFold,
  position: PositionUpdate | PositionsUpdate,
  options: WriteStatementOptions = {},
  writes: FoldWrites = foldWrites(fold),
): { text: string; values: unknown[] } {
  const positions: PositionsUpdate =
    'partitions' in position ? position : { ...position, partitions: [{ ...position }] };
  const p = new Params();
  const moved = p.add(JSON.stringify(positions.partitions.map((x) => [x.partition, x.nextOffset.toString()])), 'jsonb');
  const inserts = options.newRowsCopied
    ? []
    : [
        writes.createdViews.length > 0
          ? `v as (${insertRows(tables.taskView, writes.createdViews, VIEW_COLUMNS, p)})`
          : '',
        writes.history.length > 0 ? `h as (${insertRows(tables.taskHistory, writes.history, HISTORY_COLUMNS, p)})` : '',
        writes.addedReminders.length > 0
          ? `r as (${insertRows(tables.reminders, writes.addedReminders, REMINDER_COLUMNS, p)})`
          : '',
      ];
  const parts = [
    ...inserts,
    // The version guard never filters a row (the fold started from the row as locked); it states the rule.
    writes.retitledViews.length > 0
      ? `u as (${updateRows(tables.taskView, writes.retitledViews, VIEW_COLUMNS, 'task_id', p, 't.version < x.version')})`
      : '',
    writes.changedViews.length > 0
      ? `w as (${updateRows(tables.taskView, writes.changedViews, UNTITLED_VIEW_COLUMNS, 'task_id', p, 't.version < x.version')})`
      : '',
    fold.statsDelta.size > 0 ? `s as (${upsertStats(tables.userStats, fold, p)})` : '',
    writes.movedReminders.length > 0
      ? `m as (${updateRows(tables.reminders, writes.movedReminders, REMINDER_COLUMNS, 'task_id', p)})`
      : '',
    writes.clearedReminders.length > 0
      ? `d as (delete from ${tables.reminders} where task_id in
          (select jsonb_array_elements_text(${p.add(JSON.stringify(writes.clearedReminders), 'jsonb')})))`
      : '',
    `o as (${updatePositions(positions, moved, p)})`,
  ].filter(Boolean);
  const notify = positions.notify
    ? `(select count(pg_notify('${PROJECTION_CHANNEL}', concat_ws('|', current_schema(), ` +
      `${p.add(positions.projection, 'text')}, ${p.add(positions.topic, 'text')}, m->>0, m->>1))) ` +
      `from jsonb_array_elements(${moved}) m)`
    : 'null';
  return { text: `with ${parts.join(',\n')} select ${notify} as notified`, values: p.values };
}

/**
 * A column of a bulk write: its name, how it is read from the row's JSON
 * element (`r->>i` is text, `r->i` is jsonb), and its value per row.
 */
type Column<T> = readonly [name: string, cast: string, value: (row: T) => unknown];

const VIEW_COLUMNS: readonly Column<FoldedTask>[] = [
  ['task_id', 'text', (f) => f.after.taskId],
  ['owner_id', 'text', (f) => f.after.ownerId],
  ['title', 'text', (f) => f.after.title],
  ['description', 'text', (f) => f.after.description],
  ['status', 'text', (f) => f.after.status],
  ['due_date', 'timestamptz', (f) => f.after.dueDate],
  ['warning_offset', 'int', (f) => f.after.warningOffset],
  ['category', 'text', (f) => f.after.category],
  // A text[] literal inside the JSON row: cheaper to cast than to unpack a JSON array per row.
  ['tags', 'text[]', (f) => textArrayLiteral(f.after.tags)],
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

/**
 * The view columns but title and description. PostgreSQL computes a stored
 * generated column again only when an UPDATE sets a column it depends on:
 * without these two, `search` (to_tsvector, about 8 µs a row) is kept.
 */
const UNTITLED_VIEW_COLUMNS = VIEW_COLUMNS.filter(([name]) => name !== 'title' && name !== 'description');

const textChanged = (f: FoldedTask) =>
  f.before!.title !== f.after.title || f.before!.description !== f.after.description;

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
  ['payload', 'jsonb', (e) => e.recorded.event.data],
];

const REMINDER_COLUMNS: readonly Column<ExistingTask>[] = [
  ['task_id', 'text', (t) => t.taskId],
  ['owner_id', 'text', (t) => t.ownerId],
  ['due_date', 'timestamptz', (t) => t.dueDate],
  ['warning_offset', 'int', (t) => t.warningOffset],
  ['remind_at', 'timestamptz', (t) => reminderDueAt(t)],
];

/** A PostgreSQL text[] literal (elements quoted, `"` and `\` escaped), passed as a string: `pg`'s own array encoding costs more. */
export function textArrayLiteral(values: readonly string[]): string {
  let literal = '{';
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    literal += `${i > 0 ? ',' : ''}"${/["\\]/.test(value) ? value.replace(/["\\]/g, '\\$&') : value}"`;
  }
  return `${literal}}`;
}

/** The rows as one jsonb array of row arrays; the select list reads element i of each as column i. */
function rowsOf<T>(
  rows: readonly T[],
  columns: readonly Column<T>[],
  p: Params,
  named = false,
): { from: string; select: string } {
  const json = JSON.stringify(rows.map((row) => columns.map(([, , value]) => value(row) ?? null)));
  const select = columns.map(([name, cast], i) => {
    const value = cast === 'jsonb' ? `r->${i}` : `(r->>${i})::${cast}`;
    return named ? `${value} as ${name}` : value;
  });
  return { from: `jsonb_array_elements(${p.add(json, 'jsonb')}) as r`, select: select.join(', ') };
}

/** `update` of existing rows from JSON rows, matched on `key`; `guard` compares the row (t) and the new values (x). */
function updateRows<T>(
  table: string,
  rows: readonly T[],
  columns: readonly Column<T>[],
  key: string,
  p: Params,
  guard = '',
): string {
  const { from, select } = rowsOf(rows, columns, p, true);
  const sets = namesOf(columns)
    .filter((n) => n !== key)
    .map((n) => `${n} = x.${n}`);
  return `update ${table} t set ${sets.join(', ')} from (select ${select} from ${from}) x
    where t.${key} = x.${key}${guard ? ` and ${guard}` : ''}`;
}

const namesOf = (columns: readonly Column<never>[]) => columns.map(([name]) => name);

function insertRows<T>(table: string, rows: readonly T[], columns: readonly Column<T>[], p: Params): string {
  const { from, select } = rowsOf(rows, columns, p);
  return `insert into ${table} (${namesOf(columns).join(', ')}) select ${select} from ${from}`;
}

function upsertStats(table: string, fold: BatchFold, p: Params): string {
  // Sorted, so concurrent batches of different partitions lock owners in one order (no deadlocks).
  const owners = [...fold.statsDelta.keys()].sort();
  const columns: Column<string>[] = [
    ['owner_id', 'text', (o) => o],
    ...TASK_STATUSES.map((s): Column<string> => [statusColumn(s), 'int', (o) => fold.statsDelta.get(o)!.get(s) ?? 0]),
  ];
  const names = TASK_STATUSES.map(statusColumn);
  const { from, select } = rowsOf(owners, columns, p);
  return `insert into ${table} (owner_id, ${names.join(', ')}) select ${select} from ${from}
    on conflict (owner_id) do update set ${names.map((n) => `${n} = ${table}.${n} + excluded.${n}`).join(', ')},
      updated_at = now()`;
}

/** What a task's reminder row holds, as one comparable value (null: no row). */
function reminderKey(task: ExistingTask | null): string | null {
  const at = task === null ? null : reminderDueAt(task);
  return at === null ? null : `${at}|${task!.dueDate}|${task!.warningOffset}`;
}

/** Whether the task's reminder row changes; most events touch none of what it depends on. */
function reminderChanged(before: ExistingTask | null, after: ExistingTask): boolean {
  if (
    before !== null &&
    before.dueDate === after.dueDate &&
    before.warningOffset === after.warningOffset &&
    before.status === after.status &&
    before.deletedAt === after.deletedAt &&
    before.reminder.firedForDueDate === after.reminder.firedForDueDate
  )
    return false;
  return reminderKey(after) !== reminderKey(before);
}

function updatePositions(positions: PositionsUpdate, moved: string, p: Params): string {
  return `update projection_offsets o set next_offset = (m->>1)::bigint, updated_at = now()
    from jsonb_array_elements(${moved}) as m
    where o.projection = ${p.add(positions.projection, 'text')} and o.topic = ${p.add(positions.topic, 'text')}
      and o.partition = (m->>0)::int`;
}
