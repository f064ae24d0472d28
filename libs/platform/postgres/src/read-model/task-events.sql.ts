// The projection's bulk writes as one statement: every read-model change of a
// batch (one or several partitions) plus the partitions' new positions, as
// data-modifying CTEs over JSON rows (one round trip, one row per task, no
// ORM unit of work). Each table's rows travel as one jsonb parameter, an
// array of row arrays: JSON.stringify is native and several times cheaper
// than `pg`'s per-element array-literal escaping, PostgreSQL parses it faster
// than text arrays, and event payloads go in as JSON values without being
// serialized twice (ADR 0033). Upserts only ever move a row forward
// (`version` guard), history rows are keyed by (task, version): replaying a
// batch changes nothing.
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

export function batchWriteStatement(
  tables: ReadModelTables,
  fold: BatchFold,
  position: PositionUpdate | PositionsUpdate,
): { text: string; values: unknown[] } {
  const positions: PositionsUpdate =
    'partitions' in position ? position : { ...position, partitions: [{ ...position }] };
  const p = new Params();
  const moved = p.add(JSON.stringify(positions.partitions.map((x) => [x.partition, x.nextOffset.toString()])), 'jsonb');
  const parts = [
    fold.tasks.length > 0 ? `v as (${upsertViews(tables.taskView, fold, p)})` : '',
    fold.applied.length > 0 ? `h as (${insertHistory(tables.taskHistory, fold, p)})` : '',
    fold.statsDelta.size > 0 ? `s as (${upsertStats(tables.userStats, fold, p)})` : '',
    ...reminderChanges(tables.reminders, fold, p),
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
function rowsOf<T>(rows: readonly T[], columns: readonly Column<T>[], p: Params): { from: string; select: string } {
  const json = JSON.stringify(rows.map((row) => columns.map(([, , value]) => value(row) ?? null)));
  const select = columns.map(([, cast], i) => (cast === 'jsonb' ? `r->${i}` : `(r->>${i})::${cast}`));
  return { from: `jsonb_array_elements(${p.add(json, 'jsonb')}) as r`, select: select.join(', ') };
}

const namesOf = (columns: readonly Column<never>[]) => columns.map(([name]) => name);

function upsertViews(table: string, fold: BatchFold, p: Params): string {
  const names = namesOf(VIEW_COLUMNS);
  const { from, select } = rowsOf(fold.tasks, VIEW_COLUMNS, p);
  const updates = names.filter((n) => n !== 'task_id').map((n) => `${n} = excluded.${n}`);
  return `insert into ${table} (${names.join(', ')}) select ${select} from ${from}
    on conflict (task_id) do update set ${updates.join(', ')} where ${table}.version < excluded.version`;
}

function insertHistory(table: string, fold: BatchFold, p: Params): string {
  const { from, select } = rowsOf(fold.applied, HISTORY_COLUMNS, p);
  return `insert into ${table} (${namesOf(HISTORY_COLUMNS).join(', ')}) select ${select} from ${from}
    on conflict (task_id, version) do nothing`;
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

function reminderChanges(table: string, fold: BatchFold, p: Params): string[] {
  // Only reminders that change are written.
  const changed = fold.tasks.filter((f) => reminderChanged(f.before, f.after)).map((f) => f.after);
  const pending = changed.filter((t) => reminderDueAt(t) !== null);
  const cleared = changed.filter((t) => reminderDueAt(t) === null).map((t) => t.taskId);
  const parts: string[] = [];
  if (pending.length > 0) {
    const { from, select } = rowsOf(pending, REMINDER_COLUMNS, p);
    parts.push(`r as (insert into ${table} (${namesOf(REMINDER_COLUMNS).join(', ')}) select ${select} from ${from}
      on conflict (task_id) do update set owner_id = excluded.owner_id, due_date = excluded.due_date,
        warning_offset = excluded.warning_offset, remind_at = excluded.remind_at)`);
  }
  if (cleared.length > 0) {
    parts.push(`d as (delete from ${table} where task_id in
      (select jsonb_array_elements_text(${p.add(JSON.stringify(cleared), 'jsonb')})))`);
  }
  return parts;
}

function updatePositions(positions: PositionsUpdate, moved: string, p: Params): string {
  return `update projection_offsets o set next_offset = (m->>1)::bigint, updated_at = now()
    from jsonb_array_elements(${moved}) as m
    where o.projection = ${p.add(positions.projection, 'text')} and o.topic = ${p.add(positions.topic, 'text')}
      and o.partition = (m->>0)::int`;
}
