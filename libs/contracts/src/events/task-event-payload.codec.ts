// Domain events (and stored legacy versions) <-> the oneof of the
// TaskEventEnvelope. One mapping per event message, in both directions.
import type { MessageInitShape } from '@bufbuild/protobuf';
import { messageInit } from '../common/fast-binary.writer.js';
import type { TaskEvent } from '@tasklog/domain';
import * as pb from '../gen/tasklog/v1/events_pb.js';
import { patchFromProto, patchToProto } from '../common/details-patch.codec.js';
import { statusFromProto, statusToProto } from '../common/task-status.codec.js';
import { fromOptionalTimestamp, fromTimestamp, toOptionalTimestamp, toTimestamp } from '../common/time.codec.js';
import { ContractDecodingError } from '../common/contract.errors.js';
import type { StoredTaskEvent } from './legacy-task.events.js';

export type EnvelopeEvent = pb.TaskEventEnvelope['event'];
/** The envelope's event as an init object (encoded without create()). */
export type EnvelopeEventInit = NonNullable<MessageInitShape<typeof pb.TaskEventEnvelopeSchema>['event']>;

export function eventToProto(event: TaskEvent): EnvelopeEventInit {
  const { data } = event;
  switch (event.type) {
    case 'TaskCreated':
      return { case: 'taskCreated', value: taskCreatedToProto(event) };
    case 'TaskDetailsUpdated':
      return {
        case: 'taskDetailsUpdated',
        value: messageInit(pb.TaskDetailsUpdatedSchema, {
          taskId: data.taskId,
          changes: patchToProto(event.data.changes),
          updatedAt: toTimestamp(event.data.updatedAt, 'updatedAt'),
        }),
      };
    case 'TaskStatusChanged':
      return {
        case: 'taskStatusChanged',
        value: messageInit(pb.TaskStatusChangedSchema, {
          taskId: data.taskId,
          from: statusToProto(event.data.from),
          to: statusToProto(event.data.to),
          changedAt: toTimestamp(event.data.changedAt, 'changedAt'),
        }),
      };
    case 'TaskCompleted':
      return {
        case: 'taskCompleted',
        value: messageInit(pb.TaskCompletedSchema, {
          taskId: data.taskId,
          from: statusToProto(event.data.from),
          completedAt: toTimestamp(event.data.completedAt, 'completedAt'),
        }),
      };
    default:
      return lifecycleToProto(event);
  }
}

function lifecycleToProto(
  event: Extract<TaskEvent, { type: 'TaskDeleted' | 'TaskRestored' | 'TaskReminderDue' }>,
): EnvelopeEventInit {
  switch (event.type) {
    case 'TaskDeleted': {
      const { taskId, deletedAt } = event.data;
      return {
        case: 'taskDeleted',
        value: messageInit(pb.TaskDeletedSchema, { taskId, deletedAt: toTimestamp(deletedAt, 'deletedAt') }),
      };
    }
    case 'TaskRestored': {
      const { taskId, restoredAt } = event.data;
      return {
        case: 'taskRestored',
        value: messageInit(pb.TaskRestoredSchema, { taskId, restoredAt: toTimestamp(restoredAt, 'restoredAt') }),
      };
    }
    case 'TaskReminderDue': {
      const { data } = event;
      const value = messageInit(pb.TaskReminderDueSchema, {
        taskId: data.taskId,
        dueDate: toTimestamp(data.dueDate, 'dueDate'),
        warningOffset: data.warningOffset,
        remindAt: toTimestamp(data.remindAt, 'remindAt'),
        firedAt: toTimestamp(data.firedAt, 'firedAt'),
      });
      return { case: 'taskReminderDue', value };
    }
  }
}

function taskCreatedToProto({ data }: Extract<TaskEvent, { type: 'TaskCreated' }>) {
  return messageInit(pb.TaskCreatedSchema, {
    taskId: data.taskId,
    ownerId: data.ownerId,
    title: data.title,
    description: data.description,
    status: statusToProto(data.status),
    dueDate: toOptionalTimestamp(data.dueDate, 'dueDate'),
    warningOffset: data.warningOffset ?? undefined,
    category: data.category ?? undefined,
    tags: [...data.tags],
    createdAt: toTimestamp(data.createdAt, 'createdAt'),
  });
}

export function eventFromProto(event: EnvelopeEvent): StoredTaskEvent {
  switch (event.case) {
    case 'taskCreatedV1': {
      const v = event.value;
      const data = { ...createdCommon(v), dueDate: fromOptionalTimestamp(v.dueDate, 'dueDate') };
      return { type: 'TaskCreated', schemaVersion: 1, data };
    }
    case 'taskCreated': {
      const v = event.value;
      const data = {
        ...createdCommon(v),
        status: statusFromProto(v.status, 'status'),
        dueDate: fromOptionalTimestamp(v.dueDate, 'dueDate'),
        category: v.category ?? null,
        tags: [...v.tags],
      };
      return { type: 'TaskCreated', schemaVersion: 2, data };
    }
    case 'taskDetailsUpdated': {
      const v = event.value;
      const data = {
        taskId: v.taskId,
        changes: patchFromProto(v.changes),
        updatedAt: fromTimestamp(v.updatedAt, 'updatedAt'),
      };
      return { type: 'TaskDetailsUpdated', schemaVersion: 1, data };
    }
    case 'taskStatusChanged': {
      const v = event.value;
      const from = statusFromProto(v.from, 'from');
      const data = {
        taskId: v.taskId,
        from,
        to: statusFromProto(v.to, 'to'),
        changedAt: fromTimestamp(v.changedAt, 'changedAt'),
      };
      return { type: 'TaskStatusChanged', schemaVersion: 1, data };
    }
    default:
      return laterEventFromProto(event);
  }
}

function laterEventFromProto(event: EnvelopeEvent): StoredTaskEvent {
  switch (event.case) {
    case 'taskCompleted': {
      const { taskId, from, completedAt } = event.value;
      const data = {
        taskId,
        from: statusFromProto(from, 'from'),
        completedAt: fromTimestamp(completedAt, 'completedAt'),
      };
      return { type: 'TaskCompleted', schemaVersion: 1, data };
    }
    case 'taskDeleted':
      return {
        type: 'TaskDeleted',
        schemaVersion: 1,
        data: { taskId: event.value.taskId, deletedAt: fromTimestamp(event.value.deletedAt, 'deletedAt') },
      };
    case 'taskRestored':
      return {
        type: 'TaskRestored',
        schemaVersion: 1,
        data: { taskId: event.value.taskId, restoredAt: fromTimestamp(event.value.restoredAt, 'restoredAt') },
      };
    case 'taskReminderDue': {
      const v = event.value;
      const data = {
        taskId: v.taskId,
        dueDate: fromTimestamp(v.dueDate, 'dueDate'),
        warningOffset: v.warningOffset,
        remindAt: fromTimestamp(v.remindAt, 'remindAt'),
        firedAt: fromTimestamp(v.firedAt, 'firedAt'),
      };
      return { type: 'TaskReminderDue', schemaVersion: 1, data };
    }
    default:
      throw new ContractDecodingError(`the event envelope holds no known event (${String(event.case)})`);
  }
}

// The fields TaskCreated v1 and v2 share.
function createdCommon(v: pb.TaskCreated | pb.TaskCreatedV1) {
  return {
    taskId: v.taskId,
    ownerId: v.ownerId,
    title: v.title,
    description: v.description,
    warningOffset: v.warningOffset ?? null,
    createdAt: fromTimestamp(v.createdAt, 'createdAt'),
  };
}
