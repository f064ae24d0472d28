// Builders for task commands and events with readable defaults, so a spec
// states only what matters to its rule.
import type {
  CommandMetadata,
  TaskCommand,
  TaskCreated,
  TaskDetailsChanges,
  TaskEvent,
  TaskStatus,
} from '@tasklog/domain';

export const TASK_ID = '01936f2e-8c4b-7d2a-9e1f-3a5b7c9d1e2f';
export const OWNER_ID = 'user-1';
export const T0 = '2026-01-10T09:00:00.000Z';

let sequence = 0;

/** Command metadata at `issuedAt` (default T0); each call gets a new command id. */
export function meta(overrides: Partial<CommandMetadata> = {}): CommandMetadata {
  sequence += 1;
  return { commandId: `cmd-${sequence}`, taskId: TASK_ID, actorId: OWNER_ID, issuedAt: T0, ...overrides };
}

type DataOf<Type extends TaskCommand['type']> = Extract<TaskCommand, { type: Type }>['data'];

export const commands = {
  create: (data: Partial<DataOf<'CreateTask'>> = {}, metadata = meta()): TaskCommand => ({
    type: 'CreateTask',
    data: { ownerId: OWNER_ID, title: 'Write the design', ...data },
    metadata,
  }),
  update: (changes: TaskDetailsChanges, metadata = meta(), status?: TaskStatus): TaskCommand => ({
    type: 'UpdateTaskDetails',
    data: status === undefined ? { changes } : { changes, status },
    metadata,
  }),
  changeStatus: (status: TaskStatus, metadata = meta()): TaskCommand => ({
    type: 'ChangeTaskStatus',
    data: { status },
    metadata,
  }),
  complete: (metadata = meta()): TaskCommand => ({ type: 'CompleteTask', data: {}, metadata }),
  delete: (metadata = meta()): TaskCommand => ({ type: 'DeleteTask', data: {}, metadata }),
  restore: (metadata = meta()): TaskCommand => ({ type: 'RestoreTask', data: {}, metadata }),
  fireReminder: (dueDate: string, metadata = meta()): TaskCommand => ({
    type: 'FireReminder',
    data: { dueDate },
    metadata,
  }),
};

export const events = {
  created: (data: Partial<TaskCreated['data']> = {}): TaskEvent => ({
    type: 'TaskCreated',
    schemaVersion: 2,
    data: {
      taskId: TASK_ID,
      ownerId: OWNER_ID,
      title: 'Write the design',
      description: '',
      status: 'NOT_STARTED',
      dueDate: null,
      warningOffset: null,
      category: null,
      tags: [],
      createdAt: T0,
      ...data,
    },
  }),
  detailsUpdated: (changes: TaskDetailsChanges, updatedAt = T0): TaskEvent => ({
    type: 'TaskDetailsUpdated',
    schemaVersion: 1,
    data: { taskId: TASK_ID, changes, updatedAt },
  }),
  statusChanged: (from: TaskStatus, to: TaskStatus, changedAt = T0): TaskEvent => ({
    type: 'TaskStatusChanged',
    schemaVersion: 1,
    data: { taskId: TASK_ID, from, to, changedAt },
  }),
  completed: (from: TaskStatus, completedAt = T0): TaskEvent => ({
    type: 'TaskCompleted',
    schemaVersion: 1,
    data: { taskId: TASK_ID, from, completedAt },
  }),
  deleted: (deletedAt = T0): TaskEvent => ({
    type: 'TaskDeleted',
    schemaVersion: 1,
    data: { taskId: TASK_ID, deletedAt },
  }),
  restored: (restoredAt = T0): TaskEvent => ({
    type: 'TaskRestored',
    schemaVersion: 1,
    data: { taskId: TASK_ID, restoredAt },
  }),
  reminderDue: (dueDate: string, warningOffset: number, remindAt: string, firedAt = T0): TaskEvent => ({
    type: 'TaskReminderDue',
    schemaVersion: 1,
    data: { taskId: TASK_ID, dueDate, warningOffset, remindAt, firedAt },
  }),
};

/** An ISO instant `minutes` after T0 (negative for before). */
export function at(minutes: number): string {
  return new Date(Date.parse(T0) + minutes * 60_000).toISOString();
}
