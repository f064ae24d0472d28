// Facts about a task, in past tense. Each event type has its own schema
// version; the contracts library keeps older versions decodable and upcasts
// them, so the domain only ever sees the current shapes below. Events hold
// domain data only: event id, stream position and causation travel in the
// envelope (RecordedEvent).
import type { TaskDetailsChanges } from './task.commands.js';
import type { TaskStatus } from './task-status.machine.js';

export const TASK_EVENT_SCHEMA_VERSIONS = {
  TaskCreated: 2,
  TaskDetailsUpdated: 1,
  TaskStatusChanged: 1,
  TaskCompleted: 1,
  TaskDeleted: 1,
  TaskRestored: 1,
  TaskReminderDue: 1,
} as const;

type Versions = typeof TASK_EVENT_SCHEMA_VERSIONS;

interface Event<Type extends keyof Versions, Data> {
  readonly type: Type;
  readonly schemaVersion: Versions[Type];
  readonly data: Data;
}

/** Version 2 added the initial status, category and tags. */
export type TaskCreated = Event<
  'TaskCreated',
  {
    readonly taskId: string;
    readonly ownerId: string;
    readonly title: string;
    readonly description: string;
    readonly status: TaskStatus;
    readonly dueDate: string | null;
    readonly warningOffset: number | null;
    readonly category: string | null;
    readonly tags: readonly string[];
    readonly createdAt: string;
  }
>;

/** Carries only the fields whose value changed. */
export type TaskDetailsUpdated = Event<
  'TaskDetailsUpdated',
  { readonly taskId: string; readonly changes: TaskDetailsChanges; readonly updatedAt: string }
>;

/** Any status change except into COMPLETED, which is TaskCompleted. */
export type TaskStatusChanged = Event<
  'TaskStatusChanged',
  { readonly taskId: string; readonly from: TaskStatus; readonly to: TaskStatus; readonly changedAt: string }
>;

export type TaskCompleted = Event<
  'TaskCompleted',
  { readonly taskId: string; readonly from: TaskStatus; readonly completedAt: string }
>;

export type TaskDeleted = Event<'TaskDeleted', { readonly taskId: string; readonly deletedAt: string }>;

export type TaskRestored = Event<'TaskRestored', { readonly taskId: string; readonly restoredAt: string }>;

export type TaskReminderDue = Event<
  'TaskReminderDue',
  {
    readonly taskId: string;
    readonly dueDate: string;
    readonly warningOffset: number;
    /** dueDate minus warningOffset. */
    readonly remindAt: string;
    readonly firedAt: string;
  }
>;

export type TaskEvent =
  TaskCreated | TaskDetailsUpdated | TaskStatusChanged | TaskCompleted | TaskDeleted | TaskRestored | TaskReminderDue;

export type TaskEventType = TaskEvent['type'];

export const TASK_EVENT_TYPES = Object.keys(TASK_EVENT_SCHEMA_VERSIONS) as TaskEventType[];
