// Folds one batch of events onto the tasks' current read-model state, in
// memory, before anything is written: each task is then written once per
// batch whatever its number of events. Events at or below a task's stored
// version were applied before (a redelivery) and are skipped, which makes
// applying a batch twice a no-op even without the offset check.
import { evolve, type ExistingTask, type RecordedEvent, type TaskEvent, type TaskStatus } from '@tasklog/domain';

/** A decoded event with its position in the log. */
export interface PositionedEvent {
  readonly partition: number;
  readonly offset: bigint;
  readonly recorded: RecordedEvent<TaskEvent>;
  /** Schema version the event was stored with (before upcasting). */
  readonly storedVersion: number;
}

/** An event that decodes but does not fit its task (a corrupt log): dead-lettered, never retried. */
export interface RejectedEvent {
  readonly event: PositionedEvent;
  readonly error: Error;
}

export interface FoldedTask {
  /** The row before the batch; null for a task the read model did not have. */
  readonly before: ExistingTask | null;
  readonly after: ExistingTask;
  /** The last event applied to it: its position is stored with the row. */
  readonly last: PositionedEvent;
}

export interface BatchFold {
  /** Tasks whose version advanced, in first-seen order. */
  readonly tasks: FoldedTask[];
  /** Applied events in log order (the history rows). */
  readonly applied: PositionedEvent[];
  readonly rejected: RejectedEvent[];
  /** Per owner, per status: the change of the live-task counts. */
  readonly statsDelta: Map<string, Map<TaskStatus, number>>;
}

export function foldBatch(current: ReadonlyMap<string, ExistingTask>, events: readonly PositionedEvent[]): BatchFold {
  const states = new Map<string, { before: ExistingTask | null; after: ExistingTask | null; last?: PositionedEvent }>();
  const applied: PositionedEvent[] = [];
  const rejected: RejectedEvent[] = [];
  for (const positioned of events) {
    const { event, metadata } = positioned.recorded;
    let entry = states.get(metadata.taskId);
    if (!entry) {
      const before = current.get(metadata.taskId) ?? null;
      entry = { before, after: before };
      states.set(metadata.taskId, entry);
    }
    if (entry.after !== null && metadata.version <= entry.after.version) continue;
    try {
      const next = evolve(entry.after ?? { exists: false, version: 0 }, event);
      // The log's version is authoritative: after a dead-lettered event the
      // count of applied events and the stream version would part ways.
      entry.after = { ...(next as ExistingTask), version: metadata.version };
      entry.last = positioned;
      applied.push(positioned);
    } catch (error) {
      rejected.push({ event: positioned, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }
  const tasks: FoldedTask[] = [];
  for (const { before, after, last } of states.values()) {
    if (after !== null && last !== undefined) tasks.push({ before, after, last });
  }
  return { tasks, applied, rejected, statsDelta: statsDelta(tasks) };
}

/** Live tasks count in their owner's statistics; deleted ones do not. */
function countedStatus(task: ExistingTask | null): TaskStatus | null {
  return task !== null && task.deletedAt === null ? task.status : null;
}

function statsDelta(tasks: readonly FoldedTask[]): Map<string, Map<TaskStatus, number>> {
  const delta = new Map<string, Map<TaskStatus, number>>();
  const add = (owner: string, status: TaskStatus | null, by: number) => {
    if (status === null) return;
    const byStatus = delta.get(owner) ?? new Map<TaskStatus, number>();
    byStatus.set(status, (byStatus.get(status) ?? 0) + by);
    delta.set(owner, byStatus);
  };
  for (const { before, after } of tasks) {
    add(after.ownerId, countedStatus(before), -1);
    add(after.ownerId, countedStatus(after), +1);
  }
  for (const [owner, byStatus] of delta) {
    for (const [status, by] of byStatus) if (by === 0) byStatus.delete(status);
    if (byStatus.size === 0) delta.delete(owner);
  }
  return delta;
}
