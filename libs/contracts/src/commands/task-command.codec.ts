// Task commands <-> TaskCommandEnvelope bytes (topic tasklog.task-commands.v1).
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { CommandMetadata, TaskCommand } from '@tasklog/domain';
import * as pb from '../gen/tasklog/v1/commands_pb.js';
import { ContractDecodingError } from '../common/contract.errors.js';
import { patchFromProto, patchToProto } from '../common/details-patch.codec.js';
import { optionalStatusFromProto, statusFromProto, statusToProto } from '../common/task-status.codec.js';
import { fromOptionalTimestamp, fromTimestamp, toOptionalTimestamp, toTimestamp } from '../common/time.codec.js';
import { decodeBinary } from '../common/fast-binary.js';
import { encodeBinary, messageInit } from '../common/fast-binary.writer.js';

type EnvelopeCommand = pb.TaskCommandEnvelope['command'];
type EnvelopeCommandInit = NonNullable<MessageInitShape<typeof pb.TaskCommandEnvelopeSchema>['command']>;

export function encodeTaskCommand(command: TaskCommand): Uint8Array {
  return encodeBinary(pb.TaskCommandEnvelopeSchema, {
    metadata: metadataToProto(command.metadata),
    command: commandToProto(command),
  });
}

export function decodeTaskCommand(bytes: Uint8Array): TaskCommand {
  let envelope: pb.TaskCommandEnvelope;
  try {
    envelope = decodeBinary(pb.TaskCommandEnvelopeSchema, bytes);
  } catch (cause) {
    throw new ContractDecodingError('the value is not a TaskCommandEnvelope', { cause });
  }
  if (envelope.metadata === undefined) throw new ContractDecodingError('the command envelope has no metadata');
  return commandFromProto(envelope.command, metadataFromProto(envelope.metadata));
}

function commandToProto(command: TaskCommand): EnvelopeCommandInit {
  switch (command.type) {
    case 'CreateTask': {
      const { data } = command;
      const value = messageInit(pb.CreateTaskSchema, {
        ownerId: data.ownerId,
        title: data.title,
        description: data.description ?? '',
        status: data.status === undefined ? 0 : statusToProto(data.status),
        dueDate: toOptionalTimestamp(data.dueDate, 'dueDate'),
        warningOffset: data.warningOffset ?? undefined,
        category: data.category ?? undefined,
        tags: [...(data.tags ?? [])],
      });
      return { case: 'createTask', value };
    }
    case 'UpdateTaskDetails': {
      const { changes, status } = command.data;
      const value = messageInit(pb.UpdateTaskDetailsSchema, {
        changes: patchToProto(changes),
        status: status === undefined ? 0 : statusToProto(status),
      });
      return { case: 'updateTaskDetails', value };
    }
    case 'ChangeTaskStatus':
      return {
        case: 'changeTaskStatus',
        value: messageInit(pb.ChangeTaskStatusSchema, { status: statusToProto(command.data.status) }),
      };
    case 'CompleteTask':
      return { case: 'completeTask', value: messageInit(pb.CompleteTaskSchema, {}) };
    case 'DeleteTask':
      return { case: 'deleteTask', value: messageInit(pb.DeleteTaskSchema, {}) };
    case 'RestoreTask':
      return { case: 'restoreTask', value: messageInit(pb.RestoreTaskSchema, {}) };
    case 'FireReminder':
      return {
        case: 'fireReminder',
        value: messageInit(pb.FireReminderSchema, { dueDate: toTimestamp(command.data.dueDate, 'dueDate') }),
      };
  }
}

function commandFromProto(command: EnvelopeCommand, metadata: CommandMetadata): TaskCommand {
  switch (command.case) {
    case 'createTask': {
      const v = command.value;
      const status = optionalStatusFromProto(v.status, 'status');
      const data = {
        ownerId: v.ownerId,
        title: v.title,
        description: v.description,
        ...(status === undefined ? {} : { status }),
        dueDate: fromOptionalTimestamp(v.dueDate, 'dueDate'),
        warningOffset: v.warningOffset ?? null,
        category: v.category ?? null,
        tags: [...v.tags],
      };
      return { type: 'CreateTask', data, metadata };
    }
    case 'updateTaskDetails': {
      const status = optionalStatusFromProto(command.value.status, 'status');
      const data = { changes: patchFromProto(command.value.changes), ...(status === undefined ? {} : { status }) };
      return { type: 'UpdateTaskDetails', data, metadata };
    }
    case 'changeTaskStatus':
      return { type: 'ChangeTaskStatus', data: { status: statusFromProto(command.value.status, 'status') }, metadata };
    case 'completeTask':
      return { type: 'CompleteTask', data: {}, metadata };
    case 'deleteTask':
      return { type: 'DeleteTask', data: {}, metadata };
    case 'restoreTask':
      return { type: 'RestoreTask', data: {}, metadata };
    case 'fireReminder':
      return { type: 'FireReminder', data: { dueDate: fromTimestamp(command.value.dueDate, 'dueDate') }, metadata };
    default:
      throw new ContractDecodingError(`the command envelope holds no known command (${String(command.case)})`);
  }
}

function metadataToProto(metadata: CommandMetadata) {
  return messageInit(pb.CommandMetadataSchema, {
    commandId: metadata.commandId,
    taskId: metadata.taskId,
    actorId: metadata.actorId,
    issuedAt: toTimestamp(metadata.issuedAt, 'metadata.issuedAt'),
    expectedVersion: metadata.expectedVersion,
    correlationId: metadata.correlationId,
    actorIsAdmin: metadata.actorIsAdmin ?? false,
  });
}

function metadataFromProto(metadata: pb.CommandMetadata): CommandMetadata {
  return {
    commandId: metadata.commandId,
    taskId: metadata.taskId,
    actorId: metadata.actorId,
    issuedAt: fromTimestamp(metadata.issuedAt, 'metadata.issuedAt'),
    ...(metadata.expectedVersion === undefined ? {} : { expectedVersion: metadata.expectedVersion }),
    ...(metadata.correlationId === undefined ? {} : { correlationId: metadata.correlationId }),
    ...(metadata.actorIsAdmin ? { actorIsAdmin: true } : {}),
  };
}
