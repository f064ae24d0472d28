// CreateTask and UpdateTaskDetails: validation of the writable fields and the
// "only what changed" rule of TaskDetailsUpdated.
import { accepted, rejected } from '../shared/decider.js';
import { rejections } from './task.rejections.js';
import type { ExistingTask, TaskState } from './task.state.js';
import type { TaskEvent } from './task.events.js';
import type { CreateTask, TaskDetailsChanges, UpdateTaskDetails } from './task.commands.js';
import type { TaskDecision } from './task.decision.js';
import { statusChangeEvents } from './task-status.decider.js';
import * as rules from './task.validation.js';

export function decideCreate(command: CreateTask, state: TaskState, at: string): TaskDecision {
  const { metadata, data } = command;
  if (state.exists) return rejected(rejections.alreadyExists(metadata.taskId, state.version));
  const expected = metadata.expectedVersion;
  if (expected !== undefined && expected !== 0) return rejected(rejections.versionConflict(expected, 0));
  const errors: rules.FieldErrors = [];
  const limits = rules.TASK_LIMITS;
  const created = {
    taskId: metadata.taskId,
    ownerId: rules.requiredText(data.ownerId, 'ownerId', limits.ownerIdMaxLength, errors),
    title: rules.requiredText(data.title, 'title', limits.titleMaxLength, errors),
    description: rules.optionalText(data.description, 'description', limits.descriptionMaxLength, errors),
    status: data.status === undefined ? 'NOT_STARTED' : rules.validStatus(data.status, 'status', errors),
    dueDate: rules.nullableInstant(data.dueDate, 'dueDate', errors),
    warningOffset: rules.nullableWarningOffset(data.warningOffset, 'warningOffset', errors),
    category: rules.nullableText(data.category, 'category', limits.categoryMaxLength, errors),
    tags: rules.validTags(data.tags, 'tags', errors),
    createdAt: at,
  } as const;
  if (errors.length > 0) return rejected(rejections.validation(errors, 0));
  return accepted<TaskEvent>({ type: 'TaskCreated', schemaVersion: 2, data: created });
}

export function decideUpdate(command: UpdateTaskDetails, state: ExistingTask, at: string): TaskDecision {
  const errors: rules.FieldErrors = [];
  const changes = rules.validChanges(command.data.changes ?? {}, errors);
  const status = command.data.status;
  if (status !== undefined) rules.validStatus(status, 'status', errors);
  if (errors.length > 0) return rejected(rejections.validation(errors, state.version));
  const statusEvents = status === undefined ? [] : statusChangeEvents(state, status, at);
  if (!Array.isArray(statusEvents)) return rejected(statusEvents);
  const changed = changedFields(state, changes);
  const detailEvents: TaskEvent[] =
    Object.keys(changed).length === 0
      ? []
      : [
          {
            type: 'TaskDetailsUpdated',
            schemaVersion: 1,
            data: { taskId: state.taskId, changes: changed, updatedAt: at },
          },
        ];
  return accepted(...detailEvents, ...statusEvents);
}

function changedFields(state: ExistingTask, changes: TaskDetailsChanges): TaskDetailsChanges {
  const changed: { -readonly [K in keyof TaskDetailsChanges]: TaskDetailsChanges[K] } = {};
  for (const field of ['title', 'description', 'dueDate', 'warningOffset', 'category'] as const) {
    const value = changes[field];
    if (value !== undefined && value !== state[field]) Object.assign(changed, { [field]: value });
  }
  if (changes.tags !== undefined && !sameTagSet(changes.tags, state.tags)) changed.tags = changes.tags;
  return changed;
}

// Tags are a set: the same tags in another order are not a change.
function sameTagSet(a: readonly string[], b: readonly string[]): boolean {
  const set = new Set(b);
  return a.length === b.length && a.every((tag) => set.has(tag));
}
