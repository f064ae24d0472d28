// Commands the Task decider judges. Everything the domain would otherwise
// take from its surroundings (clock, ids, acting user) is in the metadata.
import type { TaskStatus } from './task-status.machine.js';

export interface CommandMetadata {
  readonly commandId: string;
  readonly taskId: string;
  /** The authenticated principal issuing the command (a user or the scheduler). */
  readonly actorId: string;
  /** ISO 8601 instant: the only clock the domain reads. */
  readonly issuedAt: string;
  /** From If-Match: reject unless the task is at exactly this version. */
  readonly expectedVersion?: number;
  readonly correlationId?: string;
  /**
   * The actor may act on any user's task (the admin scope, the scheduler).
   * Anyone else acting on a task they do not own is told it does not exist.
   */
  readonly actorIsAdmin?: boolean;
}

/**
 * A partial change of the writable details. An absent (undefined) field is
 * left unchanged; null clears a nullable field.
 */
export interface TaskDetailsChanges {
  readonly title?: string;
  readonly description?: string;
  readonly dueDate?: string | null;
  readonly warningOffset?: number | null;
  readonly category?: string | null;
  readonly tags?: readonly string[];
}

interface Command<Type extends string, Data> {
  readonly type: Type;
  readonly data: Data;
  readonly metadata: CommandMetadata;
}

export type CreateTask = Command<
  'CreateTask',
  {
    readonly ownerId: string;
    readonly title: string;
    readonly description?: string;
    /** Defaults to NOT_STARTED. */
    readonly status?: TaskStatus;
    readonly dueDate?: string | null;
    readonly warningOffset?: number | null;
    readonly category?: string | null;
    readonly tags?: readonly string[];
  }
>;

/** PATCH semantics: any subset of the writable fields, the status included. */
export type UpdateTaskDetails = Command<
  'UpdateTaskDetails',
  { readonly changes: TaskDetailsChanges; readonly status?: TaskStatus }
>;

export type ChangeTaskStatus = Command<'ChangeTaskStatus', { readonly status: TaskStatus }>;
export type CompleteTask = Command<'CompleteTask', Record<string, never>>;
export type DeleteTask = Command<'DeleteTask', Record<string, never>>;
export type RestoreTask = Command<'RestoreTask', Record<string, never>>;

/** Sent by the scheduler; dueDate is the one it computed the reminder from. */
export type FireReminder = Command<'FireReminder', { readonly dueDate: string }>;

export type TaskCommand =
  CreateTask | UpdateTaskDetails | ChangeTaskStatus | CompleteTask | DeleteTask | RestoreTask | FireReminder;

export type TaskCommandType = TaskCommand['type'];

export const TASK_COMMAND_TYPES: readonly TaskCommandType[] = [
  'CreateTask',
  'UpdateTaskDetails',
  'ChangeTaskStatus',
  'CompleteTask',
  'DeleteTask',
  'RestoreTask',
  'FireReminder',
];
