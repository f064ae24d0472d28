import { fold } from '../shared/decider.js';
import { initialState, type TaskState } from './task.state.js';
import type { TaskEvent } from './task.events.js';
import { evolve } from './task.evolve.js';

/** Folds a task's events, from its initial state unless one is given. */
export function foldTask(events: Iterable<TaskEvent>, state: TaskState = initialState()): TaskState {
  return fold(evolve, events, state);
}
