// Command outcomes (topic tasklog.task-command-results.v1): accepted with the
// task's new version and the position of its last event (the API's
// consistency token), or rejected with the decider's rejection.
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { isRejectionCode, type Rejection } from '@tasklog/domain';
import * as pb from '../gen/tasklog/v1/command_results_pb.js';
import { ContractDecodingError } from '../common/contract.errors.js';
import { taskViewFromProto, taskViewInit } from '../common/task-state.codec.js';
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

/**
 * A result kept as the bytes the results topic got: the processor's
 * idempotency window holds thousands of outcomes per partition, and bytes
 * cost the garbage collector far less than their object graphs (ADR 0059).
 */
export interface EncodedCommandResult {
  readonly commandId: string;
  readonly encoded: Uint8Array;
}

export function isEncodedCommandResult(result: CommandResult | EncodedCommandResult): result is EncodedCommandResult {
  return 'encoded' in result;
}

export function commandResultToProto(result: CommandResult): pb.CommandResult {
  return create(pb.CommandResultSchema, commandResultInit(result));
}

/** The result as an init object: what the encoders take without create(). */
export function commandResultInit(result: CommandResult): MessageInitShape<typeof pb.CommandResultSchema> {
  const { outcome } = result;
  const base = { commandId: result.commandId, taskId: result.taskId };
  if (outcome.kind === 'accepted') {
    const accepted = {
      taskId: result.taskId,
      newVersion: outcome.newVersion,
      task: outcome.task === null ? undefined : taskViewInit(outcome.task),
      partition: outcome.partition,
      offset: outcome.offset ?? undefined,
    };
    return { ...base, outcome: { case: 'accepted', value: accepted } };
  }
  const { rejection } = outcome;
  const rejected = {
    code: rejection.code,
    message: rejection.message,
    currentVersion: rejection.currentVersion,
    fieldErrors: (rejection.fieldErrors ?? []).map((error) => ({ ...error })),
  };
  return { ...base, outcome: { case: 'rejected', value: rejected } };
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
  return encodeBinary(pb.CommandResultSchema, commandResultInit(result));
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
