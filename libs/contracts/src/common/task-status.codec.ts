import type { TaskStatus } from '@tasklog/domain';
import { TaskStatus as ProtoTaskStatus } from '../gen/tasklog/v1/task_pb.js';
import { ContractDecodingError } from './contract.errors.js';

const TO_PROTO: Readonly<Record<TaskStatus, ProtoTaskStatus>> = {
  NOT_STARTED: ProtoTaskStatus.NOT_STARTED,
  IN_PROGRESS: ProtoTaskStatus.IN_PROGRESS,
  BLOCKED: ProtoTaskStatus.BLOCKED,
  DEFERRED: ProtoTaskStatus.DEFERRED,
  COMPLETED: ProtoTaskStatus.COMPLETED,
  CANCELLED: ProtoTaskStatus.CANCELLED,
};

const FROM_PROTO = new Map(Object.entries(TO_PROTO).map(([domain, proto]) => [proto, domain as TaskStatus]));

export function statusToProto(status: TaskStatus): ProtoTaskStatus {
  return TO_PROTO[status];
}

/** UNSPECIFIED or an unknown number is a malformed record. */
export function statusFromProto(status: ProtoTaskStatus, field: string): TaskStatus {
  const domain = FROM_PROTO.get(status);
  if (domain === undefined) throw new ContractDecodingError(`${field} has no valid task status (${status})`);
  return domain;
}

/** For fields where UNSPECIFIED means "not given". */
export function optionalStatusFromProto(status: ProtoTaskStatus, field: string): TaskStatus | undefined {
  return status === ProtoTaskStatus.UNSPECIFIED ? undefined : statusFromProto(status, field);
}
