// FireReminder comes from the scheduler, which works from a read model that
// may lag behind the log. A reminder that no longer applies (task finished,
// due date moved, already fired, not yet due) is therefore not an error: the
// command is accepted and records nothing.
import { accepted, rejected } from '../shared/decider.js';
import { addMinutes, compareInstants } from '../shared/instant.js';
import { rejections } from './task.rejections.js';
import type { ExistingTask } from './task.state.js';
import type { FireReminder } from './task.commands.js';
import type { TaskDecision } from './task.decision.js';
import { isTerminal } from './task-status.machine.js';
import { validDueDateOfReminder, type FieldErrors } from './task.validation.js';

export function decideReminder(command: FireReminder, state: ExistingTask, at: string): TaskDecision {
  const errors: FieldErrors = [];
  const requestedDueDate = validDueDateOfReminder(command.data.dueDate, errors);
  if (errors.length > 0) return rejected(rejections.validation(errors, state.version));
  const remindAt = reminderDueAt(state);
  if (remindAt === null || state.dueDate !== requestedDueDate) return accepted();
  if (compareInstants(at, remindAt) < 0) return accepted();
  return accepted({
    type: 'TaskReminderDue',
    schemaVersion: 1,
    data: { taskId: state.taskId, dueDate: state.dueDate, warningOffset: state.warningOffset!, remindAt, firedAt: at },
  });
}

/**
 * When the task's reminder is due, or null when it has none pending: no due
 * date or offset, a completed/cancelled/deleted task, or already fired for
 * this due date. The scheduler's read model uses the same rule.
 */
export function reminderDueAt(state: ExistingTask): string | null {
  const { dueDate, warningOffset } = state;
  if (dueDate === null || warningOffset === null) return null;
  if (isTerminal(state.status) || state.deletedAt !== null) return null;
  if (state.reminder.firedForDueDate === dueDate) return null;
  return addMinutes(dueDate, -warningOffset);
}
