// Snapshot-topic records. The topic is compacted, so the key decides what
// survives: the task id for a task snapshot (latest wins), and a reserved
// per-partition key for checkpoints, written to that partition explicitly.
import type { CloudEventAttributes } from '../cloudevents/cloud-events.headers.js';
import { ContractDecodingError } from '../common/contract.errors.js';
import {
  incomingRecord,
  outgoingRecord,
  type IncomingKafkaRecord,
  type KafkaRecord,
  type RecordOptions,
} from '../common/kafka-record.js';
import { decodeSnapshotContent, encodeSnapshotContent, type SnapshotContent } from './task-snapshot.codec.js';

export const TASK_SNAPSHOT_CE_TYPE = 'tasklog.task.snapshot.v1';
export const PARTITION_CHECKPOINT_CE_TYPE = 'tasklog.partition.checkpoint.v1';

/** The compaction key of partition p's checkpoint; never a valid task id. */
export function checkpointKey(partition: number): string {
  return `__checkpoint__/${partition}`;
}

export interface SnapshotRecordOptions extends RecordOptions {
  /** Unique id of this record (ce_id). */
  readonly id: string;
  readonly time: string;
}

export function snapshotRecord(content: SnapshotContent, options: SnapshotRecordOptions): KafkaRecord {
  const payload = encodeSnapshotContent(content);
  if (content.kind === 'task-snapshot') {
    const key = content.snapshot.state.taskId;
    return outgoingRecord(key, payload, { ...options, type: TASK_SNAPSHOT_CE_TYPE, subject: key });
  }
  const { partition } = content.checkpoint;
  const key = checkpointKey(partition);
  return {
    ...outgoingRecord(key, payload, { ...options, type: PARTITION_CHECKPOINT_CE_TYPE, subject: key }),
    partition,
  };
}

export function readSnapshotRecord(message: IncomingKafkaRecord): {
  content: SnapshotContent;
  attributes: CloudEventAttributes;
} {
  const { payload, attributes } = incomingRecord(message);
  const content = decodeSnapshotContent(payload);
  const expectedType = content.kind === 'task-snapshot' ? TASK_SNAPSHOT_CE_TYPE : PARTITION_CHECKPOINT_CE_TYPE;
  const subject =
    content.kind === 'task-snapshot' ? content.snapshot.state.taskId : checkpointKey(content.checkpoint.partition);
  if (attributes.type !== expectedType || attributes.subject !== subject) {
    throw new ContractDecodingError(
      `snapshot record ${attributes.id} headers do not match its ${content.kind} payload`,
    );
  }
  return { content, attributes };
}
