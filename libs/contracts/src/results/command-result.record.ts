// Command-result records, keyed by task id like the command they answer.
import type { CloudEventAttributes } from '../cloudevents/cloud-events.headers.js';
import { ContractDecodingError } from '../common/contract.errors.js';
import {
  incomingRecord,
  outgoingRecord,
  type IncomingKafkaRecord,
  type KafkaRecord,
  type RecordOptions,
} from '../common/kafka-record.js';
import { decodeCommandResult, encodeCommandResult, type CommandResult } from './command-result.codec.js';

export const COMMAND_RESULT_CE_TYPE = 'tasklog.command.result.v1';

export interface CommandResultRecordOptions extends RecordOptions {
  /** When the outcome was decided. */
  readonly time: string;
  readonly correlationId?: string;
}

/** `encoded`: the result's bytes when the caller has them already. */
export function commandResultRecord(
  result: CommandResult,
  options: CommandResultRecordOptions,
  encoded: Uint8Array = encodeCommandResult(result),
): KafkaRecord {
  return outgoingRecord(result.taskId, encoded, {
    ...options,
    // One result per command, so the command id identifies the result too.
    id: result.commandId,
    type: COMMAND_RESULT_CE_TYPE,
    subject: result.taskId,
    causationId: result.commandId,
  });
}

export function readCommandResultRecord(message: IncomingKafkaRecord): {
  result: CommandResult;
  attributes: CloudEventAttributes;
} {
  const { payload, attributes } = incomingRecord(message);
  if (attributes.type !== COMMAND_RESULT_CE_TYPE) {
    throw new ContractDecodingError(`ce_type ${attributes.type} is not ${COMMAND_RESULT_CE_TYPE}`);
  }
  const result = decodeCommandResult(payload);
  if (result.taskId !== attributes.subject) {
    throw new ContractDecodingError(`ce_subject ${attributes.subject} is not the result's task ${result.taskId}`);
  }
  return { result, attributes };
}
