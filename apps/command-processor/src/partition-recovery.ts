// Rebuilds the state of newly owned partitions: the latest snapshot of each
// task and the partition's checkpoint from the compacted snapshot topic, then
// every event after the checkpoint, all read read_committed up to the end.
// Callers fence the previous owner (init their transactional producer)
// before asking, so "the end" cannot move under them.
import type { KafkaClient } from '@tasklog/platform/kafka';
import { highWatermarks, readPartitionRanges } from '@tasklog/platform/kafka';
import { readSnapshotRecord, readTaskEventRecord } from '@tasklog/contracts';
import type { Logger } from '@tasklog/platform/observability';
import { PartitionState } from './partition-state.js';
import type { ProcessorTopics } from './processor.config.js';

export interface RecoveryOptions {
  readonly window: number;
  /** Skip the snapshot topic and fold the whole log (verification, benches). */
  readonly ignoreSnapshots?: boolean;
}

export interface RecoveryReport {
  readonly states: Map<number, PartitionState>;
  readonly snapshotsLoaded: number;
  readonly eventsReplayed: number;
  readonly durationMs: number;
}

export async function recoverPartitions(
  kafka: KafkaClient,
  topics: Pick<ProcessorTopics, 'events' | 'snapshots'>,
  partitions: readonly number[],
  options: RecoveryOptions,
  logger?: Logger,
): Promise<RecoveryReport> {
  const started = performance.now();
  const states = new Map(partitions.map((p) => [p, new PartitionState(p, 0n, options.window)]));
  const snapshotsLoaded = options.ignoreSnapshots ? 0 : await loadSnapshots(kafka, topics.snapshots, states);
  const ends = await highWatermarks(kafka, topics.events);
  let eventsReplayed = 0;
  await readPartitionRanges(
    kafka,
    partitions.map((p) => ({
      topic: topics.events,
      partition: p,
      from: states.get(p)!.nextEventOffset,
      end: ends.get(p) ?? 0n,
    })),
    {
      timeoutMs: 600_000,
      onBatch: (messages) => {
        for (const { partition, offset, message } of messages) {
          // The log is the source of truth: an event this code cannot read is
          // a deployment error, and guessing past it would corrupt the state.
          const { recorded } = readTaskEventRecord(message);
          states.get(partition)!.applyRecorded(recorded, offset);
        }
        eventsReplayed += messages.length;
      },
    },
  );
  for (const [p, state] of states) {
    state.nextEventOffset = ends.get(p) ?? state.nextEventOffset;
    state.logEnd = state.nextEventOffset;
  }
  const durationMs = performance.now() - started;
  logger?.info(
    { partitions, snapshotsLoaded, eventsReplayed, durationMs: Math.round(durationMs) },
    'partitions recovered',
  );
  return { states, snapshotsLoaded, eventsReplayed, durationMs };
}

async function loadSnapshots(kafka: KafkaClient, topic: string, states: Map<number, PartitionState>): Promise<number> {
  const ends = await highWatermarks(kafka, topic);
  const latest = new Map<number, Map<string, ReturnType<typeof readSnapshotRecord>['content']>>();
  await readPartitionRanges(
    kafka,
    [...states.keys()].map((p) => ({ topic, partition: p, from: 0n, end: ends.get(p) ?? 0n })),
    {
      // A compacted topic read for its latest values: wherever it starts now.
      belowLogStart: 'clamp',
      timeoutMs: 600_000,
      onBatch: (messages) => {
        for (const { partition, message } of messages) {
          const { content } = readSnapshotRecord(message);
          const key = content.kind === 'task-snapshot' ? content.snapshot.state.taskId : '__checkpoint__';
          let byKey = latest.get(partition);
          if (!byKey) latest.set(partition, (byKey = new Map()));
          byKey.set(key, content);
        }
      },
    },
  );
  let loaded = 0;
  for (const [partition, byKey] of latest) {
    const state = states.get(partition)!;
    const checkpoint = byKey.get('__checkpoint__');
    // Task snapshots are only ever written together with a checkpoint, so
    // without one there is nothing consistent to start from.
    if (checkpoint?.kind !== 'partition-checkpoint') continue;
    state.nextEventOffset = BigInt(checkpoint.checkpoint.nextEventOffset);
    for (const content of byKey.values()) {
      if (content.kind === 'task-snapshot') {
        state.loadSnapshot(content.snapshot);
        loaded++;
      }
    }
    state.markSnapshotted(Date.now());
  }
  return loaded;
}
