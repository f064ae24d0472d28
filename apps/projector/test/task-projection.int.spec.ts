// The batch projection against the real PostgreSQL: each event type lands in
// the read models as the domain folds it, a batch delivered twice changes
// nothing, and any split of the log into batches (with redeliveries) gives
// the read model a single replay gives. Everything runs on both write paths
// (ADR 0047): new rows in the JSON statement, and new rows by COPY; the
// fast-check replay takes the other path than its pieces.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { reminderDueAt, type ExistingTask } from '@tasklog/domain';
import { READ_MODEL_TABLES, sqlPool, taskStats, type PositionedEvent, type SqlPool } from '@tasklog/platform/postgres';
import { arbCommand } from '@tasklog/testing';
import { createTestDatabase } from '../../../libs/testing/src/infra.js';
import { EventLogFixture, WRITE_PATHS, applyBatch, dumpReadModel, readModelTask } from './event-log.fixture.js';

const TOPIC = 'test.tasklog.task-events.v1';
const T = (minutes: number) => new Date(Date.parse('2026-03-01T00:00:00.000Z') + minutes * 60_000).toISOString();
const meta = (taskId: string, minutes: number, actorId = 'user-1') => ({
  commandId: `c-${taskId}-${minutes}`,
  taskId,
  actorId,
  issuedAt: T(minutes),
  ...(actorId === 'scheduler' ? { actorIsAdmin: true } : {}),
});

describe.each(WRITE_PATHS)('task projection (PostgreSQL, %s)', (path, options) => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: SqlPool;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = await sqlPool(db.orm);
  });
  afterAll(async () => {
    await db.drop();
  });

  const apply = (events: readonly PositionedEvent[]) => applyBatch(pool, TOPIC, events, options);
  const otherPath = WRITE_PATHS.find(([name]) => name !== path)![1];

  const reset = () =>
    pool.query(
      `truncate ${Object.values(READ_MODEL_TABLES).join(', ')}; delete from projection_offsets where topic = '${TOPIC}'`,
    );

  async function expectFolded(log: EventLogFixture): Promise<void> {
    for (const state of log.existing()) expect(await readModelTask(pool, state.taskId)).toEqual(state);
  }

  it('projects every event type as the domain folds it, with history, stats and reminders', async () => {
    await reset();
    const log = new EventLogFixture(1);
    const id = 'task-every-type';
    const steps = [
      log.run({
        type: 'CreateTask',
        data: { ownerId: 'user-1', title: 'Plan', dueDate: T(600), warningOffset: 30, tags: ['a', 'b'] },
        metadata: meta(id, 0),
      }),
      log.run({
        type: 'UpdateTaskDetails',
        data: { changes: { description: 'Quarterly planning', category: 'work' } },
        metadata: meta(id, 1),
      }),
      log.run({ type: 'ChangeTaskStatus', data: { status: 'IN_PROGRESS' }, metadata: meta(id, 2) }),
      log.run({ type: 'FireReminder', data: { dueDate: T(600) }, metadata: meta(id, 580, 'scheduler') }),
      log.run({ type: 'CompleteTask', data: {}, metadata: meta(id, 590) }),
      log.run({ type: 'DeleteTask', data: {}, metadata: meta(id, 591) }),
      log.run({ type: 'RestoreTask', data: {}, metadata: meta(id, 592) }),
    ];
    const types = steps.map((s) => s.map((e) => e.recorded.event.type));
    expect(types.flat()).toEqual([
      'TaskCreated',
      'TaskDetailsUpdated',
      'TaskStatusChanged',
      'TaskReminderDue',
      'TaskCompleted',
      'TaskDeleted',
      'TaskRestored',
    ]);
    const expectations: ((t: ExistingTask) => void)[] = [
      (t) => expect(t).toMatchObject({ status: 'NOT_STARTED', tags: ['a', 'b'], version: 1 }),
      (t) => expect(t).toMatchObject({ description: 'Quarterly planning', category: 'work', version: 2 }),
      (t) => expect(t).toMatchObject({ status: 'IN_PROGRESS', version: 3 }),
      (t) => expect(t.reminder).toEqual({ firedForDueDate: T(600), firedAt: T(580) }),
      (t) => expect(t).toMatchObject({ status: 'COMPLETED', completedAt: T(590) }),
      (t) => expect(t.deletedAt).toBe(T(591)),
      (t) => expect(t).toMatchObject({ deletedAt: null, version: 7 }),
    ];
    let expected = 0;
    for (const [index, events] of steps.entries()) {
      await apply(events);
      expected += events.length;
      const task = (await readModelTask(pool, id))!;
      expectations[index]!(task);
      const { rows } = await pool.query<{ n: string }>(`select count(*) as n from task_history where task_id = $1`, [
        id,
      ]);
      expect(Number(rows[0]!.n)).toBe(expected);
    }
    await expectFolded(log);
    const stats = await taskStats(pool, READ_MODEL_TABLES, 'user-1', new Date(T(595)));
    expect(stats).toMatchObject({ total: 1, byStatus: { COMPLETED: 1 }, completedLast7Days: 1, overdue: 0 });
  });

  it('keeps a reminder row exactly while reminderDueAt says one is pending', async () => {
    await reset();
    const log = new EventLogFixture(1);
    const id = 'task-reminder';
    const create = { ownerId: 'user-1', title: 'Call', dueDate: T(120), warningOffset: 15 };
    await apply(log.run({ type: 'CreateTask', data: create, metadata: meta(id, 0) }));
    const remindAt = async () =>
      (await pool.query<{ at: string }>(`select remind_at::text as at from task_reminders where task_id = $1`, [id]))
        .rows[0]?.at;
    expect(await remindAt()).toBe('2026-03-01 01:45:00+00');
    const move = { changes: { dueDate: T(240) } };
    await apply(log.run({ type: 'UpdateTaskDetails', data: move, metadata: meta(id, 1) }));
    expect(await remindAt()).toBe('2026-03-01 03:45:00+00');
    await apply(log.run({ type: 'CompleteTask', data: {}, metadata: meta(id, 2) }));
    expect(await remindAt()).toBeUndefined();
    expect(reminderDueAt(log.existing()[0]!)).toBeNull();
  });

  it('changes nothing when a batch is delivered twice, or its events once more in another batch', async () => {
    await reset();
    const log = new EventLogFixture(2);
    for (let i = 0; i < 20; i++) {
      const id = `task-dup-${i}`;
      log.run({ type: 'CreateTask', data: { ownerId: `user-${i % 3}`, title: `T${i}` }, metadata: meta(id, i) });
      log.run({ type: 'CompleteTask', data: {}, metadata: meta(id, 100 + i) });
    }
    for (const p of [0, 1]) await apply(log.ofPartition(p));
    const once = await dumpReadModel(pool);
    for (const p of [0, 1]) {
      const again = await apply(log.ofPartition(p));
      expect(again.fold.applied).toHaveLength(0);
      await apply(log.ofPartition(p).slice(3, 9));
    }
    // Even with the stored position wound back, the version guards keep the rows as they are.
    await pool.query(`update projection_offsets set next_offset = 0 where topic = $1`, [TOPIC]);
    for (const p of [0, 1]) await apply(log.ofPartition(p));
    expect(await dumpReadModel(pool)).toEqual(once);
    await expectFolded(log);
  });

  it('keeps title, description and their search vector right across batches that change them or not', async () => {
    await reset();
    const log = new EventLogFixture(1);
    const id = 'task-search';
    const matches = async (word: string) =>
      (
        await pool.query<{ n: string }>(
          `select count(*) as n from task_view where task_id = $1 and search @@ to_tsquery('simple', $2)`,
          [id, word],
        )
      ).rows[0]!.n === '1';
    const create = { ownerId: 'user-1', title: 'alpha', description: 'charlie' };
    await apply(log.run({ type: 'CreateTask', data: create, metadata: meta(id, 0) }));
    const retitle = { changes: { title: 'bravo' } };
    await apply(log.run({ type: 'UpdateTaskDetails', data: retitle, metadata: meta(id, 1) }));
    expect([await matches('alpha'), await matches('bravo'), await matches('charlie')]).toEqual([false, true, true]);
    await apply(log.run({ type: 'ChangeTaskStatus', data: { status: 'IN_PROGRESS' }, metadata: meta(id, 2) }));
    expect([await matches('bravo'), await matches('charlie')]).toEqual([true, true]);
    const redescribe = { changes: { description: 'delta' } };
    await apply(log.run({ type: 'UpdateTaskDetails', data: redescribe, metadata: meta(id, 3) }));
    expect([await matches('bravo'), await matches('charlie'), await matches('delta')]).toEqual([true, false, true]);
    await expectFolded(log);
  });

  it('fails the batch and moves no position when a history row it would insert exists (a corrupt read model)', async () => {
    await reset();
    const log = new EventLogFixture(1);
    const id = 'task-corrupt';
    await apply(log.run({ type: 'CreateTask', data: { ownerId: 'user-1', title: 'One' }, metadata: meta(id, 0) }));
    const update = log.run({ type: 'UpdateTaskDetails', data: { changes: { title: 'Two' } }, metadata: meta(id, 1) });
    // Version 2's history row, there before its event: the read model and its log disagree.
    await pool.query(
      `insert into task_history (event_partition, event_offset, task_id, version, event_id, event_type, schema_version,
         stored_schema_version, recorded_at, actor_id, causation_id, payload)
       values (0, 999, $1, 2, 'e-stray', 'TaskDetailsUpdated', 1, 1, now(), 'user-1', 'c-stray', '{}')`,
      [id],
    );
    await expect(apply(update)).rejects.toThrow(/task_history_pkey/);
    const { rows } = await pool.query<{ next: string }>(
      `select next_offset::text as next from projection_offsets where topic = $1`,
      [TOPIC],
    );
    expect(rows).toEqual([{ next: update[0]!.offset.toString() }]);
    expect(await readModelTask(pool, id)).toMatchObject({ title: 'One', version: 1 });
  });

  it('gives the same read model for any split into batches, redeliveries included, as one replay (fast-check)', async () => {
    const ids = ['task-p-1', 'task-p-2', 'task-p-3', 'task-p-4'];
    const arbStream = fc.array(
      fc.constantFrom(...ids).chain((id) => arbCommand(id)),
      { minLength: 1, maxLength: 60 },
    );
    const arbCuts = fc.array(fc.tuple(fc.nat(), fc.boolean()), { maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(arbStream, arbCuts, async (commands, cuts) => {
        const log = new EventLogFixture(2);
        for (const c of commands) log.run(c);
        await reset();
        for (const p of [0, 1]) {
          const events = log.ofPartition(p);
          if (events.length > 0) await applyBatch(pool, TOPIC, events, otherPath);
        }
        const replayed = await dumpReadModel(pool);
        await reset();
        for (const p of [0, 1]) await applyInPieces(log.ofPartition(p), cuts);
        expect(await dumpReadModel(pool)).toEqual(replayed);
        await expectFolded(log);
      }),
      { numRuns: 40 },
    );
  });

  /** Splits at the cut points; a cut flagged true redelivers the piece before it. */
  async function applyInPieces(events: readonly PositionedEvent[], cuts: readonly [number, boolean][]): Promise<void> {
    if (events.length === 0) return;
    const points = [...new Set(cuts.map(([n]) => n % events.length))].sort((a, b) => a - b);
    let start = 0;
    for (const [index, point] of [...points, events.length].entries()) {
      if (point <= start) continue;
      const piece = events.slice(start, point);
      await apply(piece);
      if (cuts[index]?.[1]) await apply(piece);
      start = point;
    }
  }
});
