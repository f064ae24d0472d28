// Status decisions shared by ChangeTaskStatus, CompleteTask and the status
// part of UpdateTaskDetails: whichever way a task reaches COMPLETED, the fact
// is TaskCompleted, so completedAt is always set the same way.
import { rejections, type Rejection } from './task.rejections.js';
import type { ExistingTask } from './task.state.js';
import type { TaskEvent } from './task.events.js';
import { canTransition, type TaskStatus } from './task-status.machine.js';

/** The events that move the task to `to`, none when it is already there. */
export function statusChangeEvents(state: ExistingTask, to: TaskStatus, at: string): TaskEvent[] | Rejection {
  const from = state.status;
  if (from === to) return [];
  if (!canTransition(from, to)) return rejections.invalidTransition(from, to, state.version);
  if (to === 'COMPLETED') {
    return [{ type: 'TaskCompleted', schemaVersion: 1, data: { taskId: state.taskId, from, completedAt: at } }];
  }
  return [{ type: 'TaskStatusChanged', schemaVersion: 1, data: { taskId: state.taskId, from, to, changedAt: at } }];
}
