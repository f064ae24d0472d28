// Snapshot-topic values: a task's state with its recent command outcomes, or
// a partition checkpoint, both inside a SnapshotRecord.
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ExistingTask } from '@tasklog/domain';
import * as pb from '../gen/tasklog/v1/snapshots_pb.js';
import { ContractDecodingError } from '../common/contract.errors.js';
import { taskStateFromProto, taskStateInit } from '../common/task-state.codec.js';
import { fromTimestamp, toTimestamp } from '../common/time.codec.js';
import {
  commandResultFromProto,
  encodeCommandResult,
  isEncodedCommandResult,
  type CommandResult,
  type EncodedCommandResult,
} from '../results/command-result.codec.js';
import { TaskStateSchema } from '../gen/tasklog/v1/task_pb.js';
import { decodeBinary } from '../common/fast-binary.js';
import { encodeBinary } from '../common/fast-binary.writer.js';

export interface TaskSnapshot {
  readonly state: ExistingTask;
  /** Outcomes of the task's latest commands, for idempotent retries (decoded: always CommandResults). */
  readonly recentCommandResults: readonly (CommandResult | EncodedCommandResult)[];
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
  if (content.kind === 'task-snapshot') return encodeTaskSnapshot(content.snapshot);
  const { partition, nextEventOffset, writtenAt } = content.checkpoint;
  const value = { partition, nextEventOffset, writtenAt: toTimestamp(writtenAt, 'writtenAt') };
  const record: MessageInitShape<typeof pb.SnapshotRecordSchema> = { record: { case: 'partitionCheckpoint', value } };
  return encodeBinary(pb.SnapshotRecordSchema, record);
}

/**
 * SnapshotRecord { task_snapshot = 1: TaskSnapshot { state = 1, repeated
 * recent_command_results = 2, last_event_offset = 3 } }, assembled around
 * the recent results' bytes, which the processor keeps encoded (ADR 0059).
 * Byte for byte what the reflective encoder writes (unit test).
 */
function encodeTaskSnapshot({ state, recentCommandResults, lastEventOffset }: TaskSnapshot): Uint8Array {
  const stateBytes = encodeBinary(TaskStateSchema, taskStateInit(state));
  const results = recentCommandResults.map((r) => (isEncodedCommandResult(r) ? r.encoded : encodeCommandResult(r)));
  const offset = lastEventOffset === null ? null : BigInt(lastEventOffset);
  let inner = 1 + varintLength(stateBytes.length) + stateBytes.length;
  for (const bytes of results) inner += 1 + varintLength(bytes.length) + bytes.length;
  if (offset !== null) inner += 1 + varintLength(offset);
  const out = Buffer.allocUnsafe(1 + varintLength(inner) + inner);
  let o = 0;
  out[o++] = (1 << 3) | LENGTH_DELIMITED; // SnapshotRecord.task_snapshot
  o = writeVarint(out, o, inner);
  out[o++] = (1 << 3) | LENGTH_DELIMITED; // TaskSnapshot.state
  o = writeVarint(out, o, stateBytes.length);
  out.set(stateBytes, o);
  o += stateBytes.length;
  for (const bytes of results) {
    out[o++] = (2 << 3) | LENGTH_DELIMITED; // TaskSnapshot.recent_command_results
    o = writeVarint(out, o, bytes.length);
    out.set(bytes, o);
    o += bytes.length;
  }
  if (offset !== null) {
    out[o++] = 3 << 3; // TaskSnapshot.last_event_offset, a varint
    writeVarint(out, o, offset);
  }
  return out;
}

const LENGTH_DELIMITED = 2;

function varintLength(value: number | bigint): number {
  if (typeof value === 'number')
    return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
  let length = 1;
  for (let v = value; v >= 0x80n; v >>= 7n) length++;
  return length;
}

function writeVarint(out: Buffer, offset: number, value: number | bigint): number {
  if (typeof value === 'number') {
    while (value >= 0x80) {
      out[offset++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    out[offset++] = value;
    return offset;
  }
  let v = value;
  while (v >= 0x80n) {
    out[offset++] = Number(v & 0x7fn) | 0x80;
    v >>= 7n;
  }
  out[offset++] = Number(v);
  return offset;
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
