// A projector beside a command processor on the real broker, PostgreSQL and
// Redis, isolated per test file (topic prefix, groups, schema, key prefix),
// plus the checks every projector test makes: caught up with the log, and
// the read model equal to the fold of the log, task by task.
import { expect } from '@jest/globals';
import { readTaskEventRecord } from '@tasklog/contracts';
import { foldTask, type ExistingTask, type TaskEvent } from '@tasklog/domain';
import { highWatermarks, readPartitionRanges, type KafkaClient } from '@tasklog/platform/kafka';
import { TASK_VIEW_PROJECTION, readPositions, sqlPool, type SqlPool } from '@tasklog/platform/postgres';
import { createTestDatabase, testLogger, testPostgresConfig, uniqueName } from '../../../libs/testing/src/infra.js';
import {
  processorFixture,
  waitUntil,
  type LoggedEvent,
  type ProcessorFixture,
} from '../../command-processor/test/processor.fixture.js';
import { projectorConfig } from '../src/projector.config.js';
import { startProjector, type ProjectorOptions, type RunningProjector } from '../src/projector.app.js';
import { readModelTask } from './event-log.fixture.js';

export async function projectorFixture(options: { processor?: Record<string, string> } = {}) {
  const fx: ProcessorFixture = await processorFixture(options.processor);
  const db = await createTestDatabase();
  const pool: SqlPool = await sqlPool(db.orm);
  const prefix = fx.config.kafka.topicPrefix;
  const env: Record<string, string | undefined> = {
    ...fx.env,
    DATABASE_URL: testPostgresConfig(db.schema).url,
    DATABASE_SCHEMA: db.schema,
    REDIS_KEY_PREFIX: `${uniqueName('proj')}:`,
    PROJECTOR_GROUP_ID: `${prefix}projector`,
    PROJECTOR_PORT: '0',
  };
  const running: RunningProjector[] = [];

  const fixture = {
    fx,
    db,
    pool,
    env,
    topic: fx.config.topics.events,
    async start(overrides: Record<string, string> = {}, opts: ProjectorOptions = {}): Promise<RunningProjector> {
      const p = await startProjector(projectorConfig({ ...env, ...overrides }), {
        http: false,
        logger: testLogger,
        ...opts,
      });
      running.push(p);
      return p;
    },
    /** Waits until the stored positions are past the last event of every partition. */
    async waitCaughtUp(timeoutMs = 60_000): Promise<LoggedEvent[]> {
      const events = await readLog(fx.kafka, fixture.topic);
      const wanted = new Map<number, bigint>();
      for (const e of events)
        if ((wanted.get(e.partition) ?? -1n) < e.offset + 1n) wanted.set(e.partition, e.offset + 1n);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const stored = await readPositions(pool, TASK_VIEW_PROJECTION, fixture.topic);
        if ([...wanted].every(([p, next]) => (stored.get(p) ?? 0n) >= next)) return events;
        if (Date.now() > deadline) throw new Error(`projector did not catch up: ${JSON.stringify([...stored])}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    /** The read model equals the fold of the log, task by task; every event is in the history exactly once. */
    async expectReadModelEqualsLog(events: readonly LoggedEvent[]): Promise<Map<string, ExistingTask>> {
      const byTask = new Map<string, TaskEvent[]>();
      for (const e of events)
        byTask.set(e.recorded.metadata.taskId, [...(byTask.get(e.recorded.metadata.taskId) ?? []), e.recorded.event]);
      const folded = new Map<string, ExistingTask>();
      for (const [taskId, taskEvents] of byTask) {
        const state = foldTask(taskEvents) as ExistingTask;
        folded.set(taskId, state);
        expect(await readModelTask(pool, taskId)).toEqual(state);
      }
      const { rows } = await pool.query<{ n: string; distinct_events: string }>(
        'select count(*) as n, count(distinct event_id) as distinct_events from task_history',
      );
      expect(Number(rows[0]!.n)).toBe(events.length);
      expect(Number(rows[0]!.distinct_events)).toBe(events.length);
      const views = await pool.query<{ n: string }>('select count(*) as n from task_view');
      expect(Number(views.rows[0]!.n)).toBe(byTask.size);
      return folded;
    },
    async drop(): Promise<void> {
      for (const p of running) await p.stop().catch(() => undefined);
      await fx.drop();
      await db.drop();
    },
  };
  return fixture;
}

export type ProjectorFixture = Awaited<ReturnType<typeof projectorFixture>>;

/** Every decodable event of the log with its position (records that cannot be decoded are left out). */
export async function readLog(kafka: KafkaClient, topic: string): Promise<LoggedEvent[]> {
  const ends = await highWatermarks(kafka, topic);
  const events: LoggedEvent[] = [];
  await readPartitionRanges(
    kafka,
    [...ends].map(([partition, end]) => ({ topic, partition, from: 0n, end })),
    {
      onBatch: (messages) => {
        for (const m of messages) {
          try {
            events.push({ ...readTaskEventRecord(m.message), partition: m.partition, offset: m.offset });
          } catch {
            // an undecodable record: the projector dead-letters it, the fold never sees it
          }
        }
      },
    },
  );
  return events;
}
export { waitUntil };
