// The Task aggregate's state: what decide needs to judge a command, and what
// the command processor snapshots. A task id with no events is Absent.
import type { TaskStatus } from './task-status.machine.js';

export interface ReminderState {
  /** The due date the reminder last fired for: it fires at most once per due date. */
  readonly firedForDueDate: string | null;
  readonly firedAt: string | null;
}

export interface AbsentTask {
  readonly exists: false;
  readonly version: 0;
}

export interface ExistingTask {
  readonly exists: true;
  readonly taskId: string;
  /** The userId of the public representation. */
  readonly ownerId: string;
  readonly title: string;
  readonly description: string;
  readonly status: TaskStatus;
  /** Canonical ISO 8601 instants throughout (see shared/instant.ts). */
  readonly dueDate: string | null;
  /** Minutes before dueDate at which the reminder fires. */
  readonly warningOffset: number | null;
  readonly category: string | null;
  readonly tags: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly completedAt: string | null;
  /** Set while the task is soft-deleted. */
  readonly deletedAt: string | null;
  readonly reminder: ReminderState;
  /** Number of events applied. */
  readonly version: number;
}

export type TaskState = AbsentTask | ExistingTask;

export function initialState(): TaskState {
  return { exists: false, version: 0 };
}

export const NO_REMINDER: ReminderState = { firedForDueDate: null, firedAt: null };
