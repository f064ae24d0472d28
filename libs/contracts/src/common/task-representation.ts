// The task as the public API represents it (field names of the reference
// documents: userId, taskTitle, taskStatus...). Derived from the state in one
// place so the command results, the HTTP API and the projector agree.
import type { ExistingTask, TaskStatus } from '@tasklog/domain';

export interface TaskRepresentation {
  readonly taskId: string;
  readonly userId: string;
  readonly taskTitle: string;
  readonly taskDescription: string;
  readonly taskStatus: TaskStatus;
  readonly dueDate: string | null;
  readonly warningOffset: number | null;
  readonly category: string | null;
  readonly tags: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly completedAt: string | null;
  readonly deletedAt: string | null;
  readonly version: number;
}

export function toTaskRepresentation(state: ExistingTask): TaskRepresentation {
  return {
    taskId: state.taskId,
    userId: state.ownerId,
    taskTitle: state.title,
    taskDescription: state.description,
    taskStatus: state.status,
    dueDate: state.dueDate,
    warningOffset: state.warningOffset,
    category: state.category,
    tags: [...state.tags],
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    completedAt: state.completedAt,
    deletedAt: state.deletedAt,
    version: state.version,
  };
}
