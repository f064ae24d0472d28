// The Task decider: decide(command, state) judges a command against the
// current state; evolve folds the resulting events. Order of checks, the
// same for every command: metadata → existence → expected version →
// soft-deletion → payload → business rules.
import { accepted, rejected, type Decider } from '../shared/decider.js';
import { parseInstant } from '../shared/instant.js';
import { rejections, type Rejection } from './task.rejections.js';
import { initialState, type ExistingTask, type TaskState } from './task.state.js';
import type { TaskEvent } from './task.events.js';
import type { TaskCommand } from './task.commands.js';
import type { TaskDecision } from './task.decision.js';
import { decideCreate, decideUpdate } from './task-details.decider.js';
import { decideReminder } from './task-reminder.decider.js';
import { statusChangeEvents } from './task-status.decider.js';
import { evolve } from './task.evolve.js';
import { validateMetadata, validStatus, type FieldErrors } from './task.validation.js';

export function decide(command: TaskCommand, state: TaskState): TaskDecision {
  const errors: FieldErrors = [];
  validateMetadata(command.metadata, errors);
  if (errors.length > 0) return rejected(rejections.validation(errors, state.version));
  const at = parseInstant(command.metadata.issuedAt)!;
  if (command.type === 'CreateTask') return decideCreate(command, state, at);
  const refusal = guardExisting(command, state);
  if (refusal !== null) return rejected(refusal);
  return decideOnExisting(command, state as ExistingTask, at);
}

function decideOnExisting(command: Exclude<TaskCommand, { type: 'CreateTask' }>, state: ExistingTask, at: string) {
  switch (command.type) {
    case 'UpdateTaskDetails':
      return decideUpdate(command, state, at);
    case 'ChangeTaskStatus':
      return decideStatus(state, command.data.status, at);
    case 'CompleteTask':
      return decideStatus(state, 'COMPLETED', at);
    case 'DeleteTask':
      return accepted<TaskEvent>({
        type: 'TaskDeleted',
        schemaVersion: 1,
        data: { taskId: state.taskId, deletedAt: at },
      });
    case 'RestoreTask':
      return decideRestore(state, at);
    case 'FireReminder':
      return decideReminder(command, state, at);
  }
}

function guardExisting(command: TaskCommand, state: TaskState): Rejection | null {
  const { taskId, expectedVersion, actorId, actorIsAdmin } = command.metadata;
  // Another user's task is indistinguishable from a missing one (never a 403).
  if (!state.exists || (state.ownerId !== actorId && actorIsAdmin !== true)) return rejections.notFound(taskId);
  if (state.taskId !== taskId) {
    return rejections.validation([{ field: 'metadata.taskId', message: 'does not match the task' }], state.version);
  }
  if (expectedVersion !== undefined && expectedVersion !== state.version) {
    return rejections.versionConflict(expectedVersion, state.version);
  }
  if (state.deletedAt !== null && command.type !== 'RestoreTask') return rejections.deleted(taskId, state.version);
  return null;
}

function decideStatus(state: ExistingTask, status: unknown, at: string): TaskDecision {
  const errors: FieldErrors = [];
  const to = validStatus(status, 'status', errors);
  if (errors.length > 0) return rejected(rejections.validation(errors, state.version));
  const events = statusChangeEvents(state, to, at);
  return Array.isArray(events) ? accepted(...events) : rejected(events);
}

// Restoring a task that is not deleted changes nothing, so it records nothing.
function decideRestore(state: ExistingTask, at: string): TaskDecision {
  if (state.deletedAt === null) return accepted();
  return accepted<TaskEvent>({
    type: 'TaskRestored',
    schemaVersion: 1,
    data: { taskId: state.taskId, restoredAt: at },
  });
}

export const taskDecider: Decider<TaskCommand, TaskEvent, TaskState, Rejection> = {
  decide,
  evolve,
  initialState,
};
