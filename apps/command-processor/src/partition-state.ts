// The in-memory state of one partition of the event log: every task in it,
// the outcomes of each task's latest commands (the idempotency window), and
// the position up to which the log has been folded in.
import {
  evolve,
  initialState,
  type ExistingTask,
  type RecordedEvent,
  type TaskEvent,
  type TaskState,
} from '@tasklog/domain';
import {
  decodeCommandResult,
  isEncodedCommandResult,
  toTaskRepresentation,
  type CommandResult,
  type EncodedCommandResult,
  type TaskSnapshot,
} from '@tasklog/contracts';

interface TaskEntry {
  state: TaskState;
  /** Newest last; bounded by the configured window. Encoded once written to the results topic (ADR 0059). */
  recent: (CommandResult | EncodedCommandResult)[];
  lastEventOffset: string | null;
}

export class PartitionState {
  private readonly tasks = new Map<string, TaskEntry>();
  /** Tasks whose state or outcomes changed since the last snapshot. */
  readonly changed = new Set<string>();
  eventsSinceSnapshot = 0;
  /** The partition's high watermark as of our last commit or read (transaction markers included). */
  logEnd = 0n;
  lastSnapshotAt = Date.now();

  constructor(
    readonly partition: number,
    /** The event-log offset the state covers: everything below it is folded in. */
    public nextEventOffset: bigint,
    private readonly window: number,
  ) {}

  get size(): number {
    return this.tasks.size;
  }

  state(taskId: string): TaskState {
    return this.tasks.get(taskId)?.state ?? initialState();
  }

  lastEventOffset(taskId: string): string | null {
    return this.tasks.get(taskId)?.lastEventOffset ?? null;
  }

  /** The outcome of a command already handled, if it is still in the window. */
  outcomeOf(taskId: string, commandId: string): CommandResult | undefined {
    const found = this.tasks.get(taskId)?.recent.find((r) => r.commandId === commandId);
    return found !== undefined && isEncodedCommandResult(found) ? decodeCommandResult(found.encoded) : found;
  }

  loadSnapshot(snapshot: TaskSnapshot): void {
    this.tasks.set(snapshot.state.taskId, {
      state: snapshot.state,
      recent: [...snapshot.recentCommandResults],
      lastEventOffset: snapshot.lastEventOffset,
    });
  }

  /**
   * Folds one event from the log in. The accepted outcome of the command that
   * caused it is rebuilt from the event too, so a retried command is still
   * recognised after a failover even when no snapshot holds its outcome.
   */
  applyRecorded(recorded: RecordedEvent<TaskEvent>, offset: bigint): void {
    const { taskId, causationId } = recorded.metadata;
    const entry = this.entry(taskId);
    entry.state = evolve(entry.state, recorded.event);
    entry.lastEventOffset = offset.toString();
    this.rememberIn(entry, {
      commandId: causationId,
      taskId,
      outcome: {
        kind: 'accepted',
        newVersion: entry.state.version,
        task: entry.state.exists ? toTaskRepresentation(entry.state) : null,
        partition: this.partition,
        offset: offset.toString(),
      },
    });
    this.changed.add(taskId);
    this.eventsSinceSnapshot++;
    if (offset >= this.nextEventOffset) this.nextEventOffset = offset + 1n;
  }

  /** Folds freshly decided events in before their offsets are known. */
  applyDecided(taskId: string, events: readonly TaskEvent[]): ExistingTask | null {
    const entry = this.entry(taskId);
    for (const event of events) entry.state = evolve(entry.state, event);
    this.changed.add(taskId);
    this.eventsSinceSnapshot += events.length;
    return entry.state.exists ? entry.state : null;
  }

  setLastEventOffset(taskId: string, offset: bigint): void {
    this.entry(taskId).lastEventOffset = offset.toString();
    if (offset >= this.nextEventOffset) this.nextEventOffset = offset + 1n;
  }

  remember(result: CommandResult): void {
    this.rememberIn(this.entry(result.taskId), result);
    this.changed.add(result.taskId);
  }

  /** Keeps a remembered result as the bytes written for it (the object is let go). */
  keepEncoded(result: CommandResult, encoded: Uint8Array): void {
    const recent = this.tasks.get(result.taskId)?.recent;
    const index = recent?.indexOf(result) ?? -1;
    if (index >= 0) recent![index] = { commandId: result.commandId, encoded };
  }

  /** Snapshots of the tasks changed since the last snapshot. */
  changedSnapshots(): TaskSnapshot[] {
    const snapshots: TaskSnapshot[] = [];
    for (const taskId of this.changed) {
      const entry = this.tasks.get(taskId);
      if (entry?.state.exists) {
        snapshots.push({
          state: entry.state,
          recentCommandResults: entry.recent,
          lastEventOffset: entry.lastEventOffset,
        });
      }
    }
    return snapshots;
  }

  markSnapshotted(now: number): void {
    this.changed.clear();
    this.eventsSinceSnapshot = 0;
    this.lastSnapshotAt = now;
  }

  /** Every task, for comparisons with a full replay. */
  entries(): IterableIterator<[string, TaskEntry]> {
    return this.tasks.entries();
  }

  private entry(taskId: string): TaskEntry {
    let entry = this.tasks.get(taskId);
    if (!entry) {
      entry = { state: initialState(), recent: [], lastEventOffset: null };
      this.tasks.set(taskId, entry);
    }
    return entry;
  }

  private rememberIn(entry: TaskEntry, result: CommandResult | EncodedCommandResult): void {
    const index = entry.recent.findIndex((r) => r.commandId === result.commandId);
    if (index >= 0) entry.recent.splice(index, 1);
    entry.recent.push(result);
    if (entry.recent.length > this.window) entry.recent.splice(0, entry.recent.length - this.window);
  }
}
