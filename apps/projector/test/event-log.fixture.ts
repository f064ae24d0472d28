// An in-memory event log for projection tests: commands are decided by the
// real domain against the tasks' states, and the events get partitions and
// offsets as the command processor would give them (with the occasional
// offset taken by a transaction marker, as in a real transactional log).
import { randomUUID } from 'node:crypto';
import {
  decide,
  foldTask,
  initialState,
  recordEvents,
  type ExistingTask,
  type TaskCommand,
  type TaskEvent,
  type TaskState,
} from '@tasklog/domain';
import {
  READ_MODEL_TABLES,
  TASK_VIEW_PROJECTION,
  findTask,
  inTransaction,
  projectTaskEvents,
  taskFromRow,
  type PositionedEvent,
  type ProjectOptions,
  type ProjectionOutcome,
  type SqlPool,
} from '@tasklog/platform/postgres';

export class EventLogFixture {
  readonly events: PositionedEvent[] = [];
  readonly states = new Map<string, TaskState>();
  private readonly ends = new Map<number, bigint>();

  constructor(readonly partitions = 3) {}

  partitionOf(taskId: string): number {
    let hash = 0;
    for (const ch of taskId) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
    return hash % this.partitions;
  }

  /** Decides the command; appends the events it yields. Returns them. */
  run(command: TaskCommand): PositionedEvent[] {
    const { taskId } = command.metadata;
    const state = this.states.get(taskId) ?? initialState();
    const decision = decide(command, state);
    if (decision.kind === 'rejected' || decision.events.length === 0) return [];
    const recorded = recordEvents<TaskEvent>(decision.events, {
      command: command.metadata,
      versionBefore: state.version,
      recordedAt: command.metadata.issuedAt,
      newEventId: () => randomUUID(),
    });
    this.states.set(taskId, foldTask(decision.events, state));
    const partition = this.partitionOf(taskId);
    const appended = recorded.map((r) => {
      const offset = this.ends.get(partition) ?? 0n;
      this.ends.set(partition, offset + 1n + (offset % 7n === 3n ? 1n : 0n));
      return { partition, offset, recorded: r, storedVersion: r.event.schemaVersion };
    });
    this.events.push(...appended);
    return appended;
  }

  ofPartition(partition: number): PositionedEvent[] {
    return this.events.filter((e) => e.partition === partition);
  }

  existing(): ExistingTask[] {
    return [...this.states.values()].filter((s): s is ExistingTask => s.exists);
  }
}

/** Applies events of one partition as one batch (endOffset = last offset + 1). */
export function applyBatch(
  pool: SqlPool,
  topic: string,
  events: readonly PositionedEvent[],
  options: ProjectOptions = {},
): Promise<ProjectionOutcome> {
  const partition = events[0]!.partition;
  const endOffset = events[events.length - 1]!.offset + 1n;
  const target = { tables: READ_MODEL_TABLES, projection: TASK_VIEW_PROJECTION, topic, notify: true };
  return inTransaction(pool, (client) => projectTaskEvents(client, target, { partition, events, endOffset }, options));
}

/** The two ways a batch's new rows reach PostgreSQL (ADR 0047): the JSON statement, and COPY. */
export const WRITE_PATHS: readonly [string, ProjectOptions][] = [
  ['new rows in the JSON statement', { copyFromEvents: Number.POSITIVE_INFINITY }],
  ['new rows by COPY', { copyFromEvents: 0 }],
];

/** Every read-model table, sorted, as plain data: two dumps are equal iff the read models are. */
export async function dumpReadModel(pool: SqlPool): Promise<Record<string, unknown[]>> {
  const t = READ_MODEL_TABLES;
  const query = async (sql: string) => (await pool.query(sql)).rows;
  return {
    taskView: await query(`select * from ${t.taskView} order by task_id`),
    history: await query(`select * from ${t.taskHistory} order by event_partition, event_offset`),
    stats: await query(`select * from ${t.userStats} where ${statusSum()} > 0 order by owner_id`).then((rows) =>
      rows.map(({ updated_at: _ignored, ...rest }) => rest),
    ),
    reminders: await query(`select * from ${t.reminders} order by task_id`),
  };
}

function statusSum(): string {
  return 'not_started + in_progress + blocked + deferred + completed + cancelled';
}

/** The read model's task equals the fold of its events. */
export async function readModelTask(pool: SqlPool, taskId: string): Promise<ExistingTask | undefined> {
  const row = await findTask(pool, READ_MODEL_TABLES, taskId);
  return row === undefined ? undefined : taskFromRow(row);
}
