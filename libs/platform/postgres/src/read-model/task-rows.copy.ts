// The read models' rows in COPY text format, as the SQL path writes them
// (task-events.sql.ts): the rebuild's bulk load and the projector's large
// batches (ADR 0047) send new rows this way. PostgreSQL reads COPY text with
// each column's input function, without the jsonb parse of the statement path.
import { TASK_EVENT_SCHEMA_VERSIONS, reminderDueAt, type ExistingTask } from '@tasklog/domain';
import { arrayLiteral, copyField, copyRows } from './pg-copy.js';
import type { ReadModelTables } from './read-model.tables.js';
import type { SqlClient } from './sql-client.js';
import type { PositionedEvent } from './task-batch.fold.js';
import type { FoldWrites } from './task-events.sql.js';

export const VIEW_COLUMNS = [
  'task_id',
  'owner_id',
  'title',
  'description',
  'status',
  'due_date',
  'warning_offset',
  'category',
  'tags',
  'created_at',
  'updated_at',
  'completed_at',
  'deleted_at',
  'reminder_fired_for_due_date',
  'reminder_fired_at',
  'version',
  'event_partition',
  'event_offset',
] as const;

export function viewRow(t: ExistingTask, partition: number, offset: bigint): string {
  return `${copyField(t.taskId)}\t${copyField(t.ownerId)}\t${copyField(t.title)}\t${copyField(t.description)}\t${copyField(
    t.status,
  )}\t${copyField(t.dueDate)}\t${copyField(t.warningOffset)}\t${copyField(t.category)}\t${copyField(
    arrayLiteral(t.tags),
  )}\t${copyField(t.createdAt)}\t${copyField(t.updatedAt)}\t${copyField(t.completedAt)}\t${copyField(
    t.deletedAt,
  )}\t${copyField(t.reminder.firedForDueDate)}\t${copyField(t.reminder.firedAt)}\t${t.version}\t${partition}\t${offset}\n`;
}

export const HISTORY_COLUMNS = [
  'event_partition',
  'event_offset',
  'task_id',
  'version',
  'event_id',
  'event_type',
  'schema_version',
  'stored_schema_version',
  'recorded_at',
  'actor_id',
  'causation_id',
  'correlation_id',
  'payload',
] as const;

export function historyRow(e: PositionedEvent): string {
  const { event, metadata: m } = e.recorded;
  return `${e.partition}\t${e.offset}\t${copyField(m.taskId)}\t${m.version}\t${copyField(m.eventId)}\t${copyField(
    event.type,
  )}\t${TASK_EVENT_SCHEMA_VERSIONS[event.type]}\t${e.storedVersion}\t${copyField(m.recordedAt)}\t${copyField(
    m.actorId,
  )}\t${copyField(m.causationId)}\t${copyField(m.correlationId ?? null)}\t${copyField(JSON.stringify(event.data))}\n`;
}

export const REMINDER_COLUMNS = ['task_id', 'owner_id', 'due_date', 'warning_offset', 'remind_at'] as const;

export function reminderRow(t: ExistingTask): string {
  const at = reminderDueAt(t);
  if (at === null) return '';
  return `${copyField(t.taskId)}\t${copyField(t.ownerId)}\t${copyField(t.dueDate)}\t${copyField(t.warningOffset)}\t${copyField(at)}\n`;
}

/** Rows per CopyData message: pieces of about a megabyte. */
const PIECE_ROWS = 2_000;

function pieces<T>(rows: readonly T[], row: (value: T) => string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rows.length; i += PIECE_ROWS) {
    let piece = '';
    for (let j = i; j < Math.min(rows.length, i + PIECE_ROWS); j++) piece += row(rows[j]!);
    out.push(piece);
  }
  return out;
}

/** A fold's new rows in COPY text: its history, its created tasks and their reminders. */
export interface NewRowsCopy {
  readonly history: readonly string[];
  readonly views: readonly string[];
  readonly reminders: readonly string[];
}

/** Encoded before the transaction, so a writer that folds ahead (ADR 0048) does it while the previous one writes. */
export function newRowsCopy(writes: FoldWrites): NewRowsCopy {
  return {
    history: pieces(writes.history, historyRow),
    views: pieces(writes.createdViews, (f) => viewRow(f.after, f.last.partition, f.last.offset)),
    reminders: pieces(writes.addedReminders, reminderRow),
  };
}

/**
 * A fold's new rows by COPY, inside the caller's transaction. The write
 * statement then only updates (batchWriteStatement's `newRowsCopied`).
 */
export async function copyNewRows(client: SqlClient, tables: ReadModelTables, rows: NewRowsCopy): Promise<void> {
  await copyRows(client, tables.taskHistory, HISTORY_COLUMNS, rows.history);
  await copyRows(client, tables.taskView, VIEW_COLUMNS, rows.views);
  await copyRows(client, tables.reminders, REMINDER_COLUMNS, rows.reminders);
}
