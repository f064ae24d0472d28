// Public API of the Task domain: pure deciders, commands, events, state.
// Nothing here imports a framework, Kafka, SQL or Redis (a unit spec checks).
export { accepted, fold, rejected, type Decider, type Decision } from './shared/decider.js';
export { addMinutes, compareInstants, isCanonicalInstant, parseInstant } from './shared/instant.js';
export {
  recordEvents,
  type EventMetadata,
  type RecordedEvent,
  type RecordingContext,
} from './shared/recorded-event.js';
export {
  ALLOWED_TRANSITIONS,
  TASK_STATUSES,
  TERMINAL_STATUSES,
  canTransition,
  isTaskStatus,
  isTerminal,
  type TaskStatus,
} from './task/task-status.machine.js';
export * from './task/task.commands.js';
export * from './task/task.events.js';
export * from './task/task.rejections.js';
export {
  NO_REMINDER,
  initialState,
  type AbsentTask,
  type ExistingTask,
  type ReminderState,
  type TaskState,
} from './task/task.state.js';
export type { TaskDecision } from './task/task.decision.js';
export { TASK_LIMITS } from './task/task.validation.js';
export { decide, taskDecider } from './task/task.decider.js';
export { evolve, EventNotApplicableError } from './task/task.evolve.js';
export { reminderDueAt } from './task/task-reminder.decider.js';

/** Folds a task's events from the initial state. */
export { foldTask } from './task/task.fold.js';
