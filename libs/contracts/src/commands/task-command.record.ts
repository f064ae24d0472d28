// Command records: keyed by task id, ce_id = command id, so that a command
// lands in the partition number its task's events live in.
import type { TaskCommand, TaskCommandType } from '@tasklog/domain';
import type { CloudEventAttributes } from '../cloudevents/cloud-events.headers.js';
import { ContractDecodingError } from '../common/contract.errors.js';
import {
  incomingRecord,
  outgoingRecord,
  type IncomingKafkaRecord,
  type KafkaRecord,
  type RecordOptions,
} from '../common/kafka-record.js';
import { decodeTaskCommand, encodeTaskCommand } from './task-command.codec.js';

/** e.g. tasklog.command.create-task.v1 */
export function commandCeType(type: TaskCommandType): string {
  let ceType = CE_TYPES.get(type);
  if (ceType === undefined) {
    ceType = `tasklog.command.${type.replace(/[A-Z]/g, (c, i: number) => (i === 0 ? '' : '-') + c.toLowerCase())}.v1`;
    CE_TYPES.set(type, ceType);
  }
  return ceType;
}

// Every command record written and read names its type: computed once per type.
const CE_TYPES = new Map<string, string>();

export function taskCommandRecord(command: TaskCommand, options: RecordOptions): KafkaRecord {
  const { metadata } = command;
  return outgoingRecord(metadata.taskId, encodeTaskCommand(command), {
    ...options,
    id: metadata.commandId,
    type: commandCeType(command.type),
    time: metadata.issuedAt,
    subject: metadata.taskId,
    ...(metadata.correlationId === undefined ? {} : { correlationId: metadata.correlationId }),
  });
}

export function readTaskCommandRecord(message: IncomingKafkaRecord): {
  command: TaskCommand;
  attributes: CloudEventAttributes;
} {
  const { payload, attributes } = incomingRecord(message);
  const command = decodeTaskCommand(payload);
  if (commandCeType(command.type) !== attributes.type) {
    throw new ContractDecodingError(`ce_type ${attributes.type} does not match the payload (${command.type})`);
  }
  if (command.metadata.taskId !== attributes.subject) {
    throw new ContractDecodingError(
      `ce_subject ${attributes.subject} is not the command's task ${command.metadata.taskId}`,
    );
  }
  return { command, attributes };
}
