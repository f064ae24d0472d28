// ExistingTask <-> tasklog.v1.TaskState, and TaskRepresentation <-> TaskView.
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import type { ExistingTask } from '@tasklog/domain';
import * as pb from '../gen/tasklog/v1/task_pb.js';
import { statusFromProto, statusToProto } from './task-status.codec.js';
import { fromOptionalTimestamp, fromTimestamp, toOptionalTimestamp, toTimestamp } from './time.codec.js';
import type { TaskRepresentation } from './task-representation.js';

export function taskStateToProto(state: ExistingTask): pb.TaskState {
  return create(pb.TaskStateSchema, taskStateInit(state));
}

/** The state as an init object: what the encoders take without create(). */
export function taskStateInit(state: ExistingTask): MessageInitShape<typeof pb.TaskStateSchema> {
  return {
    taskId: state.taskId,
    ownerId: state.ownerId,
    title: state.title,
    description: state.description,
    status: statusToProto(state.status),
    dueDate: toOptionalTimestamp(state.dueDate, 'dueDate'),
    warningOffset: state.warningOffset ?? undefined,
    category: state.category ?? undefined,
    tags: [...state.tags],
    createdAt: toTimestamp(state.createdAt, 'createdAt'),
    updatedAt: toTimestamp(state.updatedAt, 'updatedAt'),
    completedAt: toOptionalTimestamp(state.completedAt, 'completedAt'),
    deletedAt: toOptionalTimestamp(state.deletedAt, 'deletedAt'),
    reminder: {
      firedForDueDate: toOptionalTimestamp(state.reminder.firedForDueDate, 'reminder.firedForDueDate'),
      firedAt: toOptionalTimestamp(state.reminder.firedAt, 'reminder.firedAt'),
    },
    version: state.version,
  };
}

export function taskStateFromProto(state: pb.TaskState): ExistingTask {
  return {
    exists: true,
    taskId: state.taskId,
    ownerId: state.ownerId,
    title: state.title,
    description: state.description,
    status: statusFromProto(state.status, 'status'),
    dueDate: fromOptionalTimestamp(state.dueDate, 'dueDate'),
    warningOffset: state.warningOffset ?? null,
    category: state.category ?? null,
    tags: [...state.tags],
    createdAt: fromTimestamp(state.createdAt, 'createdAt'),
    updatedAt: fromTimestamp(state.updatedAt, 'updatedAt'),
    completedAt: fromOptionalTimestamp(state.completedAt, 'completedAt'),
    deletedAt: fromOptionalTimestamp(state.deletedAt, 'deletedAt'),
    reminder: {
      firedForDueDate: fromOptionalTimestamp(state.reminder?.firedForDueDate, 'reminder.firedForDueDate'),
      firedAt: fromOptionalTimestamp(state.reminder?.firedAt, 'reminder.firedAt'),
    },
    version: state.version,
  };
}

export function taskViewToProto(task: TaskRepresentation): pb.TaskView {
  return create(pb.TaskViewSchema, taskViewInit(task));
}

/** The view as an init object: what the encoders take without create(). */
export function taskViewInit(task: TaskRepresentation): MessageInitShape<typeof pb.TaskViewSchema> {
  return {
    taskId: task.taskId,
    userId: task.userId,
    taskTitle: task.taskTitle,
    taskDescription: task.taskDescription,
    taskStatus: statusToProto(task.taskStatus),
    dueDate: toOptionalTimestamp(task.dueDate, 'dueDate'),
    warningOffset: task.warningOffset ?? undefined,
    category: task.category ?? undefined,
    tags: [...task.tags],
    createdAt: toTimestamp(task.createdAt, 'createdAt'),
    updatedAt: toTimestamp(task.updatedAt, 'updatedAt'),
    completedAt: toOptionalTimestamp(task.completedAt, 'completedAt'),
    deletedAt: toOptionalTimestamp(task.deletedAt, 'deletedAt'),
    version: task.version,
  };
}

export function taskViewFromProto(view: pb.TaskView): TaskRepresentation {
  return {
    taskId: view.taskId,
    userId: view.userId,
    taskTitle: view.taskTitle,
    taskDescription: view.taskDescription,
    taskStatus: statusFromProto(view.taskStatus, 'taskStatus'),
    dueDate: fromOptionalTimestamp(view.dueDate, 'dueDate'),
    warningOffset: view.warningOffset ?? null,
    category: view.category ?? null,
    tags: [...view.tags],
    createdAt: fromTimestamp(view.createdAt, 'createdAt'),
    updatedAt: fromTimestamp(view.updatedAt, 'updatedAt'),
    completedAt: fromOptionalTimestamp(view.completedAt, 'completedAt'),
    deletedAt: fromOptionalTimestamp(view.deletedAt, 'deletedAt'),
    version: view.version,
  };
}
