// How a command was answered, independent of the transport: REST and gRPC
// both render it, and the idempotency store keeps it for replays.
import type { CommandResult, TaskRepresentation } from '@tasklog/contracts';
import type { Rejection, TaskCommandType } from '@tasklog/domain';
import { problem, type FieldProblem, type ProblemException } from '@tasklog/platform/http';

export type CommandReply =
  | {
      readonly kind: 'accepted';
      readonly commandId: string;
      readonly taskId: string;
      readonly commandType: TaskCommandType;
      /** The task after the command (null only if the processor did not send it). */
      readonly task: TaskRepresentation | null;
      readonly version: number;
      /** `<partition>:<offset>` of the task's last event: read-your-writes on the query side. */
      readonly consistencyToken: string | null;
    }
  | {
      readonly kind: 'rejected';
      readonly commandId: string;
      readonly taskId: string;
      readonly commandType: TaskCommandType;
      readonly rejection: Rejection;
    }
  /** Stored on the command log; the outcome is not known yet (202). */
  | {
      readonly kind: 'pending';
      readonly commandId: string;
      readonly taskId: string;
      readonly commandType: TaskCommandType;
    };

/** A reply and whether it repeats the answer given to an earlier request with the same Idempotency-Key. */
export interface DispatchedReply {
  readonly reply: CommandReply;
  readonly replayed: boolean;
}

export function replyFromResult(commandType: TaskCommandType, result: CommandResult): CommandReply {
  const { commandId, taskId, outcome } = result;
  if (outcome.kind === 'rejected')
    return { kind: 'rejected', commandId, taskId, commandType, rejection: outcome.rejection };
  return {
    kind: 'accepted',
    commandId,
    taskId,
    commandType,
    task: outcome.task,
    version: outcome.newVersion,
    consistencyToken: consistencyToken(outcome.partition, outcome.offset),
  };
}

export function consistencyToken(partition: number, offset: string | null): string | null {
  return offset === null ? null : `${partition}:${offset}`;
}

/** The problem a rejection answers with: its code, currentVersion, and invalid fields under their public names. */
export function rejectionProblem(rejection: Rejection): ProblemException {
  const errors = groupFieldErrors(rejection.fieldErrors ?? []);
  return problem(rejection.code, rejection.message, {
    currentVersion: rejection.currentVersion,
    ...(errors.length > 0 ? { errors } : {}),
  });
}

// The domain names fields after its state; clients know the public names.
const PUBLIC_FIELD_NAMES: Readonly<Record<string, string>> = {
  title: 'taskTitle',
  description: 'taskDescription',
  status: 'taskStatus',
  ownerId: 'userId',
  'metadata.expectedVersion': 'If-Match',
  'metadata.taskId': 'taskId',
};

export function publicFieldName(field: string): string {
  if (PUBLIC_FIELD_NAMES[field]) return PUBLIC_FIELD_NAMES[field];
  const match = /^([A-Za-z]+)(\[\d+\].*)$/.exec(field);
  return match ? (PUBLIC_FIELD_NAMES[match[1]!] ?? match[1]!) + match[2]! : field;
}

function groupFieldErrors(errors: Rejection['fieldErrors'] & object): FieldProblem[] {
  const byField = new Map<string, string[]>();
  for (const { field, message } of errors) {
    const name = publicFieldName(field);
    byField.set(name, [...(byField.get(name) ?? []), `${name} ${message}`]);
  }
  return [...byField].map(([field, messages]) => ({ field, messages }));
}
