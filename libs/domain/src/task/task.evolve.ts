// evolve folds one event into the task state. It trusts the event's data but
// checks that the event fits the state it lands on (right task, right
// "from" status, not deleted): an event that does not fit means a corrupt
// log or a decider bug, never a business outcome, so it throws.
import { NO_REMINDER, type ExistingTask, type TaskState } from './task.state.js';
import type { TaskCreated, TaskDetailsUpdated, TaskEvent } from './task.events.js';

export class EventNotApplicableError extends Error {
  override readonly name = 'EventNotApplicableError';
  constructor(
    readonly eventType: string,
    reason: string,
  ) {
    super(`${eventType} cannot apply: ${reason}`);
  }
}

export function evolve(state: TaskState, event: TaskEvent): TaskState {
  if (event.type === 'TaskCreated') {
    if (state.exists) throw new EventNotApplicableError(event.type, `task ${state.taskId} already exists`);
    return created(event);
  }
  if (!state.exists) throw new EventNotApplicableError(event.type, 'the task does not exist');
  if (event.data.taskId !== state.taskId) {
    throw new EventNotApplicableError(event.type, `it belongs to task ${event.data.taskId}, not ${state.taskId}`);
  }
  if (state.deletedAt !== null && event.type !== 'TaskRestored') {
    throw new EventNotApplicableError(event.type, 'the task is deleted');
  }
  return { ...applyToExisting(state, event), version: state.version + 1 };
}

function applyToExisting(state: ExistingTask, event: Exclude<TaskEvent, TaskCreated>): ExistingTask {
  switch (event.type) {
    case 'TaskDetailsUpdated':
      return detailsUpdated(state, event);
    case 'TaskStatusChanged': {
      expectStatus(state, event.type, event.data.from);
      // Completion is always TaskCompleted, so that completedAt is always set.
      if (event.data.to === 'COMPLETED' || event.data.to === event.data.from) {
        throw new EventNotApplicableError(event.type, `${event.data.from} -> ${event.data.to} is not a status change`);
      }
      // Reopening a completed task makes it not completed any more.
      const completedAt = event.data.from === 'COMPLETED' ? null : state.completedAt;
      return { ...state, status: event.data.to, completedAt, updatedAt: event.data.changedAt };
    }
    case 'TaskCompleted':
      expectStatus(state, event.type, event.data.from);
      return { ...state, status: 'COMPLETED', completedAt: event.data.completedAt, updatedAt: event.data.completedAt };
    case 'TaskDeleted':
      return { ...state, deletedAt: event.data.deletedAt, updatedAt: event.data.deletedAt };
    case 'TaskRestored':
      if (state.deletedAt === null) throw new EventNotApplicableError(event.type, 'the task is not deleted');
      return { ...state, deletedAt: null, updatedAt: event.data.restoredAt };
    case 'TaskReminderDue':
      // A reminder is a fact about the task, not a change to it: updatedAt stays.
      return { ...state, reminder: { firedForDueDate: event.data.dueDate, firedAt: event.data.firedAt } };
  }
}

function created({ data }: TaskCreated): ExistingTask {
  return {
    exists: true,
    taskId: data.taskId,
    ownerId: data.ownerId,
    title: data.title,
    description: data.description,
    status: data.status,
    dueDate: data.dueDate,
    warningOffset: data.warningOffset,
    category: data.category,
    tags: [...data.tags],
    createdAt: data.createdAt,
    updatedAt: data.createdAt,
    completedAt: data.status === 'COMPLETED' ? data.createdAt : null,
    deletedAt: null,
    reminder: NO_REMINDER,
    version: 1,
  };
}

function detailsUpdated(state: ExistingTask, { data }: TaskDetailsUpdated): ExistingTask {
  const { changes } = data;
  return {
    ...state,
    title: changes.title ?? state.title,
    description: changes.description ?? state.description,
    dueDate: changes.dueDate === undefined ? state.dueDate : changes.dueDate,
    warningOffset: changes.warningOffset === undefined ? state.warningOffset : changes.warningOffset,
    category: changes.category === undefined ? state.category : changes.category,
    tags: changes.tags === undefined ? state.tags : [...changes.tags],
    updatedAt: data.updatedAt,
  };
}

function expectStatus(state: ExistingTask, eventType: string, from: string): void {
  if (state.status !== from) {
    throw new EventNotApplicableError(eventType, `it starts from ${from} but the task is ${state.status}`);
  }
}
