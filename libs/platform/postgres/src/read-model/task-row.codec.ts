// Rows of the task view to and from the domain's ExistingTask. Instants are
// selected already formatted as the domain's canonical ISO 8601 form (UTC,
// milliseconds), so they round-trip exactly through timestamptz.
import type { ExistingTask, TaskStatus } from '@tasklog/domain';
import { toTaskRepresentation, type TaskRepresentation } from '@tasklog/contracts';

/** `col` as the canonical ISO 8601 text the domain uses (null stays null). */
export function isoOf(column: string, alias = column.replace(/^.*\./, '')): string {
  return `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ${alias}`;
}

export interface TaskRow {
  readonly task_id: string;
  readonly owner_id: string;
  readonly title: string;
  readonly description: string;
  readonly status: string;
  readonly due_date: string | null;
  readonly warning_offset: number | null;
  readonly category: string | null;
  readonly tags: string[];
  readonly created_at: string;
  readonly updated_at: string;
  readonly completed_at: string | null;
  readonly deleted_at: string | null;
  readonly reminder_fired_for_due_date: string | null;
  readonly reminder_fired_at: string | null;
  readonly version: number;
}

/** The select list that produces a TaskRow (columns qualified with `alias.` when given). */
export function taskRowColumns(alias = ''): string {
  const q = (c: string) => (alias ? `${alias}.${c}` : c);
  const plain = ['task_id', 'owner_id', 'title', 'description', 'status', 'warning_offset', 'category', 'tags'];
  const instants = [
    'due_date',
    'created_at',
    'updated_at',
    'completed_at',
    'deleted_at',
    'reminder_fired_for_due_date',
    'reminder_fired_at',
  ];
  return [...plain.map(q), ...instants.map((c) => isoOf(q(c), c)), q('version')].join(', ');
}

export function taskFromRow(row: TaskRow): ExistingTask {
  return {
    exists: true,
    taskId: row.task_id,
    ownerId: row.owner_id,
    title: row.title,
    description: row.description,
    status: row.status as TaskStatus,
    dueDate: row.due_date,
    warningOffset: row.warning_offset,
    category: row.category,
    tags: row.tags,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at,
    deletedAt: row.deleted_at,
    reminder: { firedForDueDate: row.reminder_fired_for_due_date, firedAt: row.reminder_fired_at },
    version: row.version,
  };
}

export function representationFromRow(row: TaskRow): TaskRepresentation {
  return toTaskRepresentation(taskFromRow(row));
}
