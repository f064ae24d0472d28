// Folding ahead (ADR 0048) against the real PostgreSQL: a projection
// prepared on a writer's base is written only while the database still
// stands where it was folded; another writer of its partitions, or a new
// projection generation, makes it refuse, write nothing, and leave the locks
// to the ordinary path in the same transaction.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ExistingTask } from '@tasklog/domain';
import {
  READ_MODEL_TABLES,
  TASK_VIEW_PROJECTION,
  applyPreparedProjection,
  currentTasks,
  inTransaction,
  prepareProjection,
  projectTaskEventBatches,
  readPositions,
  sqlPool,
  type PositionedEvent,
  type ProjectionOutcome,
  type ProjectionBase,
  type SqlPool,
} from '@tasklog/platform/postgres';
import { createTestDatabase } from '../../../libs/testing/src/infra.js';
import { EventLogFixture, applyBatch, dumpReadModel } from './event-log.fixture.js';

const TOPIC = 'test.prepared.task-events.v1';
const target = { tables: READ_MODEL_TABLES, projection: TASK_VIEW_PROJECTION, topic: TOPIC, notify: false };
const meta = (taskId: string, n: number) => ({
  commandId: `c-${taskId}-${n}`,
  taskId,
  actorId: 'user-1',
  issuedAt: new Date(Date.parse('2026-03-01T00:00:00.000Z') + n * 60_000).toISOString(),
});

describe('projection prepared ahead (PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: SqlPool;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = await sqlPool(db.orm);
  });
  afterAll(async () => {
    await db.drop();
  });

  const reset = () =>
    pool.query(
      `truncate ${Object.values(READ_MODEL_TABLES).join(', ')}; delete from projection_offsets where topic = '${TOPIC}';
       delete from projection_generations where projection = '${TASK_VIEW_PROJECTION}'`,
    );

  /** Three tasks in one partition: created, renamed, completed. */
  function threeTasks(): { log: EventLogFixture; first: PositionedEvent[]; second: PositionedEvent[] } {
    const log = new EventLogFixture(1);
    const ids = ['task-a', 'task-b', 'task-c'];
    const first = ids.flatMap((id, i) =>
      log.run({ type: 'CreateTask', data: { ownerId: 'user-1', title: id }, metadata: meta(id, i) }),
    );
    const second = ids.flatMap((id, i) => [
      ...log.run({ type: 'UpdateTaskDetails', data: { changes: { title: `${id}!` } }, metadata: meta(id, 10 + i) }),
      ...log.run({ type: 'CompleteTask', data: {}, metadata: meta(id, 20 + i) }),
    ]);
    return { log, first, second };
  }

  /** The base a writer keeps after committing `outcome` (one partition's batch). */
  const baseAfter = (outcome: ProjectionOutcome, partition = 0): ProjectionBase => ({
    generation: outcome.generation,
    positions: new Map([[partition, outcome.nextOffset]]),
    tasks: new Map<string, ExistingTask>(outcome.fold.tasks.map((t) => [t.after.taskId, t.after])),
  });

  const batchOf = (events: readonly PositionedEvent[]) => ({
    partition: events[0]!.partition,
    events,
    endOffset: events[events.length - 1]!.offset + 1n,
  });

  const prepare = (base: ProjectionBase, events: readonly PositionedEvent[]) =>
    prepareProjection(target, [batchOf(events)], base, (ids) => currentTasks(pool, READ_MODEL_TABLES, ids));

  async function replayOf(events: readonly PositionedEvent[]): Promise<Record<string, unknown[]>> {
    await reset();
    await applyBatch(pool, TOPIC, events);
    return dumpReadModel(pool);
  }

  it('writes the prepared batch when the database holds its base', async () => {
    const { log, first, second } = threeTasks();
    const expected = await replayOf(log.events);
    await reset();
    const base = baseAfter(await applyBatch(pool, TOPIC, first));
    const prepared = (await prepare(base, second))!;
    expect(prepared.fold.applied).toHaveLength(second.length);
    const outcome = await inTransaction(pool, (client) => applyPreparedProjection(client, target, prepared));
    expect(outcome).not.toBeNull();
    expect((await dumpReadModel(pool)).taskView).toEqual(expected.taskView);
    expect(await dumpReadModel(pool)).toEqual(expected);
  });

  it('reads the tasks its base does not hold from the database', async () => {
    const { log, first, second } = threeTasks();
    const expected = await replayOf(log.events);
    await reset();
    const outcome = await applyBatch(pool, TOPIC, first);
    const base = { ...baseAfter(outcome), tasks: new Map<string, ExistingTask>() };
    const prepared = (await prepare(base, second))!;
    expect(await inTransaction(pool, (client) => applyPreparedProjection(client, target, prepared))).not.toBeNull();
    expect(await dumpReadModel(pool)).toEqual(expected);
  });

  it('refuses, writing nothing, when another writer moved a partition; the ordinary path then gets it right', async () => {
    const { log, first, second } = threeTasks();
    const expected = await replayOf(log.events);
    await reset();
    const base = baseAfter(await applyBatch(pool, TOPIC, first));
    const prepared = (await prepare(base, second))!;
    // A zombie writes part of the same log meanwhile: the partition's position moves.
    await applyBatch(pool, TOPIC, second.slice(0, 2));
    const between = await dumpReadModel(pool);
    const outcome = await inTransaction(pool, async (client) => {
      const refused = await applyPreparedProjection(client, target, prepared);
      expect(refused).toBeNull();
      expect(await dumpReadModel(pool)).toEqual(between);
      return projectTaskEventBatches(client, target, [batchOf(second)]);
    });
    expect(outcome.fold.applied).toHaveLength(second.length - 2);
    expect(await dumpReadModel(pool)).toEqual(expected);
  });

  it('refuses when the projection generation changed (a rebuild swapped the tables)', async () => {
    const { first, second } = threeTasks();
    await reset();
    const base = baseAfter(await applyBatch(pool, TOPIC, first));
    const prepared = (await prepare(base, second))!;
    await pool.query(
      `insert into projection_generations (projection, generation) values ($1, $2)
       on conflict (projection) do update set generation = excluded.generation`,
      [TASK_VIEW_PROJECTION, base.generation + 1],
    );
    const before = await dumpReadModel(pool);
    expect(await inTransaction(pool, (client) => applyPreparedProjection(client, target, prepared))).toBeNull();
    expect(await dumpReadModel(pool)).toEqual(before);
    expect(await readPositions(pool, TASK_VIEW_PROJECTION, TOPIC)).toEqual(
      new Map([[first[0]!.partition, first[first.length - 1]!.offset + 1n]]),
    );
  });

  it('cannot prepare a partition whose position the base does not hold', async () => {
    const { second } = threeTasks();
    const base: ProjectionBase = { generation: 1, positions: new Map(), tasks: new Map() };
    expect(await prepare(base, second)).toBeNull();
  });
});
