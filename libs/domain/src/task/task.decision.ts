import type { Decision } from '../shared/decider.js';
import type { Rejection } from './task.rejections.js';
import type { TaskEvent } from './task.events.js';

/** What decide answers for a task command. */
export type TaskDecision = Decision<TaskEvent, Rejection>;
