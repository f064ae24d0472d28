// Command outcomes (topic tasklog.task-command-results.v1): accepted with the
// task's new version and the position of its last event (the API's
// consistency token), or rejected with the decider's rejection.
import { create } from '@bufbuild/protobuf';
import { isRejectionCode, type Rejection } from '@tasklog/domain';
import * as pb from '../gen/tasklog/v1/command_results_pb.js';
import { ContractDecodingError } from '../common/contract.errors.js';
import { taskViewFromProto, taskViewToProto } from '../common/task-state.codec.js';
import type { TaskRepresentation } from '../common/task-representation.js';
import { decodeBinary } from '../common/fast-binary.js';
import { encodeBinary } from '../common/fast-binary.writer.js';

export type CommandOutcome =
  | {
      readonly kind: 'accepted';
      readonly newVersion: number;
      /** The task after the command. */
      readonly task: TaskRepresentation | null;
      readonly partition: number;
      /** Offset of the task's last event; null when the task has none yet known. */
      readonly offset: string | null;
    }
  | { readonly kind: 'rejected'; readonly rejection: Rejection };

export interface CommandResult {
  readonly commandId: string;
  readonly taskId: string;
  readonly outcome: CommandOutcome;
}

export function commandResultToProto(result: CommandResult): pb.CommandResult {
  const { outcome } = result;
  const message = create(pb.CommandResultSchema, { commandId: result.commandId, taskId: result.taskId });
  if (outcome.kind === 'accepted') {
    const accepted = create(pb.CommandAcceptedSchema, {
      taskId: result.taskId,
      newVersion: outcome.newVersion,
      task: outcome.task === null ? undefined : taskViewToProto(outcome.task),
      partition: outcome.partition,
      offset: outcome.offset ?? undefined,
    });
    message.outcome = { case: 'accepted', value: accepted };
  } else {
    const { rejection } = outcome;
    const rejected = create(pb.CommandRejectedSchema, {
      code: rejection.code,
      message: rejection.message,
      currentVersion: rejection.currentVersion,
      fieldErrors: (rejection.fieldErrors ?? []).map((error) => create(pb.FieldErrorSchema, error)),
    });
    message.outcome = { case: 'rejected', value: rejected };
  }
  return message;
}

export function commandResultFromProto(message: pb.CommandResult): CommandResult {
  const base = { commandId: message.commandId, taskId: message.taskId };
  const { outcome } = message;
  switch (outcome.case) {
    case 'accepted': {
      const { newVersion, task, partition, offset } = outcome.value;
      const accepted = {
        kind: 'accepted',
        newVersion,
        task: task ? taskViewFromProto(task) : null,
        partition,
        offset: offset ?? null,
      } as const;
      return { ...base, outcome: accepted };
    }
    case 'rejected':
      return { ...base, outcome: { kind: 'rejected', rejection: rejectionFromProto(outcome.value) } };
    default:
      throw new ContractDecodingError(`command result ${message.commandId} has no outcome`);
  }
}

export function encodeCommandResult(result: CommandResult): Uint8Array {
  return encodeBinary(pb.CommandResultSchema, commandResultToProto(result));
}

export function decodeCommandResult(bytes: Uint8Array): CommandResult {
  let message: pb.CommandResult;
  try {
    message = decodeBinary(pb.CommandResultSchema, bytes);
  } catch (cause) {
    throw new ContractDecodingError('the value is not a CommandResult', { cause });
  }
  return commandResultFromProto(message);
}

function rejectionFromProto(rejected: pb.CommandRejected): Rejection {
  if (!isRejectionCode(rejected.code)) throw new ContractDecodingError(`unknown rejection code ${rejected.code}`);
  const fieldErrors = rejected.fieldErrors.map(({ field, message }) => ({ field, message }));
  return {
    code: rejected.code,
    message: rejected.message,
    currentVersion: rejected.currentVersion,
    ...(fieldErrors.length > 0 ? { fieldErrors } : {}),
  };
}
