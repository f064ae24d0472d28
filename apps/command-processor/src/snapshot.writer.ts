// Snapshot records of a partition: the tasks changed since the last snapshot,
// then the checkpoint marker saying which event offset they all cover. Both go
// into the batch's transaction, so a reader never sees one without the other.
import { snapshotRecord, type KafkaRecord } from '@tasklog/contracts';
import type { PartitionState } from './partition-state.js';
import { uuidv7 } from './uuid-v7.js';

export function snapshotRecords(state: PartitionState): KafkaRecord[] {
  const time = new Date().toISOString();
  const options = { source: SOURCE, time };
  const records = state
    .changedSnapshots()
    .map((snapshot) => snapshotRecord({ kind: 'task-snapshot', snapshot }, { ...options, id: uuidv7() }));
  records.push(
    snapshotRecord(
      {
        kind: 'partition-checkpoint',
        checkpoint: { partition: state.partition, nextEventOffset: state.nextEventOffset.toString(), writtenAt: time },
      },
      { ...options, id: uuidv7() },
    ),
  );
  return records;
}

export const SOURCE = '/tasklog/command-processor';
