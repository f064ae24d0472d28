// Snapshot-topic values: a task's state with its recent command outcomes, or
// a partition checkpoint, both inside a SnapshotRecord.
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ExistingTask } from '@tasklog/domain';
import * as pb from '../gen/tasklog/v1/snapshots_pb.js';
import { ContractDecodingError } from '../common/contract.errors.js';
import { taskStateFromProto, taskStateInit } from '../common/task-state.codec.js';
import { fromTimestamp, toTimestamp } from '../common/time.codec.js';
import { commandResultFromProto, commandResultInit, type CommandResult } from '../results/command-result.codec.js';
import { decodeBinary } from '../common/fast-binary.js';
import { encodeBinary } from '../common/fast-binary.writer.js';

export interface TaskSnapshot {
  readonly state: ExistingTask;
  /** Outcomes of the task's latest commands, for idempotent retries. */
  readonly recentCommandResults: readonly CommandResult[];
  /** Offset of the last event the state includes. */
  readonly lastEventOffset: string | null;
}

export interface PartitionCheckpoint {
  readonly partition: number;
  /** Every snapshot written before this checkpoint covers the events below this offset. */
  readonly nextEventOffset: string;
  readonly writtenAt: string;
}

export type SnapshotContent =
  | { readonly kind: 'task-snapshot'; readonly snapshot: TaskSnapshot }
  | { readonly kind: 'partition-checkpoint'; readonly checkpoint: PartitionCheckpoint };

export function encodeSnapshotContent(content: SnapshotContent): Uint8Array {
  let record: MessageInitShape<typeof pb.SnapshotRecordSchema>;
  if (content.kind === 'task-snapshot') {
    const { state, recentCommandResults, lastEventOffset } = content.snapshot;
    const value = {
      state: taskStateInit(state),
      recentCommandResults: recentCommandResults.map(commandResultInit),
      lastEventOffset: lastEventOffset ?? undefined,
    };
    record = { record: { case: 'taskSnapshot', value } };
  } else {
    const { partition, nextEventOffset, writtenAt } = content.checkpoint;
    const value = { partition, nextEventOffset, writtenAt: toTimestamp(writtenAt, 'writtenAt') };
    record = { record: { case: 'partitionCheckpoint', value } };
  }
  return encodeBinary(pb.SnapshotRecordSchema, record);
}

export function decodeSnapshotContent(bytes: Uint8Array): SnapshotContent {
  let record: pb.SnapshotRecord;
  try {
    record = decodeBinary(pb.SnapshotRecordSchema, bytes);
  } catch (cause) {
    throw new ContractDecodingError('the value is not a SnapshotRecord', { cause });
  }
  const content = record.record;
  switch (content.case) {
    case 'taskSnapshot': {
      const { state, recentCommandResults, lastEventOffset } = content.value;
      if (state === undefined) throw new ContractDecodingError('the task snapshot has no state');
      const snapshot = {
        state: taskStateFromProto(state),
        recentCommandResults: recentCommandResults.map(commandResultFromProto),
        lastEventOffset: lastEventOffset ?? null,
      };
      return { kind: 'task-snapshot', snapshot };
    }
    case 'partitionCheckpoint': {
      const { partition, nextEventOffset, writtenAt } = content.value;
      const checkpoint = { partition, nextEventOffset, writtenAt: fromTimestamp(writtenAt, 'writtenAt') };
      return { kind: 'partition-checkpoint', checkpoint };
    }
    default:
      throw new ContractDecodingError('the snapshot record is empty');
  }
}
