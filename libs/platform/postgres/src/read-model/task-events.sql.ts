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
import type { BatchFold } from './task-batch.fold.js';

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

function upsertViews(table: string, fold: BatchFold, p: Params): string {
  const t = fold.tasks.map((f) => f.after);
  const col = <T>(pick: (task: (typeof t)[number]) => T) => t.map(pick);
  const columns = [
    [
      'task_id',
      p.add(
        col((x) => x.taskId),
        'text[]',
      ),
    ],
    [
      'owner_id',
      p.add(
        col((x) => x.ownerId),
        'text[]',
      ),
    ],
    [
      'title',
      p.add(
        col((x) => x.title),
        'text[]',
      ),
    ],
    [
      'description',
      p.add(
        col((x) => x.description),
        'text[]',
      ),
    ],
    [
      'status',
      p.add(
        col((x) => x.status),
        'text[]',
      ),
    ],
    [
      'due_date',
      p.add(
        col((x) => x.dueDate),
        'timestamptz[]',
      ),
    ],
    [
      'warning_offset',
      p.add(
        col((x) => x.warningOffset),
        'int[]',
      ),
    ],
    [
      'category',
      p.add(
        col((x) => x.category),
        'text[]',
      ),
    ],
    [
      'tags',
      p.add(
        col((x) => JSON.stringify(x.tags)),
        'jsonb[]',
      ),
    ],
    [
      'created_at',
      p.add(
        col((x) => x.createdAt),
        'timestamptz[]',
      ),
    ],
    [
      'updated_at',
      p.add(
        col((x) => x.updatedAt),
        'timestamptz[]',
      ),
    ],
    [
      'completed_at',
      p.add(
        col((x) => x.completedAt),
        'timestamptz[]',
      ),
    ],
    [
      'deleted_at',
      p.add(
        col((x) => x.deletedAt),
        'timestamptz[]',
      ),
    ],
    [
      'reminder_fired_for_due_date',
      p.add(
        col((x) => x.reminder.firedForDueDate),
        'timestamptz[]',
      ),
    ],
    [
      'reminder_fired_at',
      p.add(
        col((x) => x.reminder.firedAt),
        'timestamptz[]',
      ),
    ],
    [
      'version',
      p.add(
        col((x) => x.version),
        'int[]',
      ),
    ],
    [
      'event_partition',
      p.add(
        fold.tasks.map((f) => f.last.partition),
        'int[]',
      ),
    ],
    [
      'event_offset',
      p.add(
        fold.tasks.map((f) => f.last.offset.toString()),
        'bigint[]',
      ),
    ],
  ] as const;
  const names = columns.map(([name]) => name);
  const selected = names.map((n) => (n === 'tags' ? 'array(select jsonb_array_elements_text(u.tags))' : `u.${n}`));
  const updates = names.filter((n) => n !== 'task_id').map((n) => `${n} = excluded.${n}`);
  return `insert into ${table} (${names.join(', ')})
    select ${selected.join(', ')} from unnest(${columns.map(([, param]) => param).join(', ')}) as u(${names.join(', ')})
    on conflict (task_id) do update set ${updates.join(', ')} where ${table}.version < excluded.version`;
}

function insertHistory(table: string, fold: BatchFold, p: Params): string {
  const e = fold.applied;
  const columns: [string, string][] = [
    [
      'event_partition',
      p.add(
        e.map((x) => x.partition),
        'int[]',
      ),
    ],
    [
      'event_offset',
      p.add(
        e.map((x) => x.offset.toString()),
        'bigint[]',
      ),
    ],
    [
      'task_id',
      p.add(
        e.map((x) => x.recorded.metadata.taskId),
        'text[]',
      ),
    ],
    [
      'version',
      p.add(
        e.map((x) => x.recorded.metadata.version),
        'int[]',
      ),
    ],
    [
      'event_id',
      p.add(
        e.map((x) => x.recorded.metadata.eventId),
        'text[]',
      ),
    ],
    [
      'event_type',
      p.add(
        e.map((x) => x.recorded.event.type),
        'text[]',
      ),
    ],
    [
      'schema_version',
      p.add(
        e.map((x) => TASK_EVENT_SCHEMA_VERSIONS[x.recorded.event.type]),
        'int[]',
      ),
    ],
    [
      'stored_schema_version',
      p.add(
        e.map((x) => x.storedVersion),
        'int[]',
      ),
    ],
    [
      'recorded_at',
      p.add(
        e.map((x) => x.recorded.metadata.recordedAt),
        'timestamptz[]',
      ),
    ],
    [
      'actor_id',
      p.add(
        e.map((x) => x.recorded.metadata.actorId),
        'text[]',
      ),
    ],
    [
      'causation_id',
      p.add(
        e.map((x) => x.recorded.metadata.causationId),
        'text[]',
      ),
    ],
    [
      'correlation_id',
      p.add(
        e.map((x) => x.recorded.metadata.correlationId ?? null),
        'text[]',
      ),
    ],
    [
      'payload',
      p.add(
        e.map((x) => JSON.stringify(x.recorded.event.data)),
        'jsonb[]',
      ),
    ],
  ];
  return `insert into ${table} (${columns.map(([n]) => n).join(', ')})
    select * from unnest(${columns.map(([, param]) => param).join(', ')})
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
  const due = fold.tasks
    .map((f) => ({ task: f.after, at: reminderDueAt(f.after), before: reminderKey(f.before) }))
    .filter((d) => reminderKey(d.task) !== d.before);
  const pending = due.filter((d) => d.at !== null);
  const cleared = due.filter((d) => d.at === null).map((d) => d.task.taskId);
  const parts: string[] = [];
  if (pending.length > 0) {
    const columns = [
      p.add(
        pending.map((d) => d.task.taskId),
        'text[]',
      ),
      p.add(
        pending.map((d) => d.task.ownerId),
        'text[]',
      ),
      p.add(
        pending.map((d) => d.task.dueDate),
        'timestamptz[]',
      ),
      p.add(
        pending.map((d) => d.task.warningOffset),
        'int[]',
      ),
      p.add(
        pending.map((d) => d.at),
        'timestamptz[]',
      ),
    ];
    parts.push(`r as (insert into ${table} (task_id, owner_id, due_date, warning_offset, remind_at)
      select * from unnest(${columns.join(', ')})
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
