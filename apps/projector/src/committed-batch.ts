// One fetched batch of the event log on its way through the projector: the
// records decoded at the edge (an undecodable one is kept aside for the
// dead-letter topic), and, once committed, what it does to the metrics.
import type kafkajs from 'kafkajs';
import { readTaskEventRecord } from '@tasklog/contracts';
import type { PositionedEvent, ProjectionOutcome } from '@tasklog/platform/postgres';
import type { ProjectorMetrics } from './projector.metrics.js';

export interface DecodedBatch {
  readonly events: PositionedEvent[];
  readonly undecodable: { message: kafkajs.KafkaMessage; error: Error }[];
  readonly byOffset: Map<bigint, kafkajs.KafkaMessage>;
}

export function observeBatch(
  metrics: ProjectorMetrics,
  batch: kafkajs.Batch,
  messages: kafkajs.KafkaMessage[],
  outcome: ProjectionOutcome,
  { started, committedAt }: { started: number; committedAt: number },
): void {
  const partition = String(batch.partition);
  const appendTimes = messages.map((m) => Number(m.timestamp));
  const byType = new Map<string, number>();
  for (const event of outcome.fold.applied)
    byType.set(event.recorded.event.type, (byType.get(event.recorded.event.type) ?? 0) + 1);
  for (const [type, count] of byType) metrics.eventsApplied.inc({ type }, count);
  for (const at of appendTimes) metrics.eventLagSeconds.observe(Math.max(0, committedAt - at) / 1000);
  metrics.batchSize.observe(messages.length);
  metrics.batchSeconds.observe((performance.now() - started) / 1000);
  const end = BigInt(batch.highWatermark);
  metrics.lagOffsets.set({ partition }, Number(end > outcome.nextOffset ? end - outcome.nextOffset : 0n));
  metrics.lagSeconds.set({ partition }, Math.max(0, committedAt - appendTimes[appendTimes.length - 1]!) / 1000);
}

export function changedTasks(outcome: ProjectionOutcome): { taskId: string; version: number }[] {
  return outcome.fold.tasks.map((t) => ({ taskId: t.after.taskId, version: t.after.version }));
}

export function decode(partition: number, messages: readonly kafkajs.KafkaMessage[]): DecodedBatch {
  const events: PositionedEvent[] = [];
  const undecodable: DecodedBatch['undecodable'] = [];
  const byOffset = new Map<bigint, kafkajs.KafkaMessage>();
  for (const message of messages) {
    const offset = BigInt(message.offset);
    try {
      const { recorded, storedVersion } = readTaskEventRecord(message);
      events.push({ partition, offset, recorded, storedVersion });
      byOffset.set(offset, message);
    } catch (error) {
      undecodable.push({ message, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }
  return { events, undecodable, byOffset };
}
