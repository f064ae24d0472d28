// Rebuild of the task view against the real broker and PostgreSQL: the shadow
// build swaps in at an offset vector no smaller than the live one (the live
// "projector" here keeps applying the log while it runs), verify agrees with
// a fresh fold and catches tampering, a second rebuild is refused, a rebuild
// whose process lost its connections halfway resumes, and cancel discards.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { highWatermarks, type KafkaClient } from '@tasklog/platform/kafka';
import {
  READ_MODEL_TABLES,
  RETIRED_TABLES,
  SHADOW_TABLES,
  TASK_VIEW_PROJECTION,
  beginRebuild,
  cancelRebuildOf,
  createOrm,
  inTransaction,
  latestRebuild,
  projectionStatus,
  readGeneration,
  readPositions,
  rebuildHistoryPositionsName,
  rebuildPositionsName,
  shadowTablesExist,
  sqlPool,
  verifyProjection,
  RebuildRefused,
  type RebuildDeps,
  type SqlPool,
} from '@tasklog/platform/postgres';
import {
  createTestDatabase,
  createTestTopics,
  testKafka,
  testKafkaConfig,
  testLogger,
} from '../../../testing/src/infra.js';
import { applyLogRanges } from '../src/rebuild/log-range.applier.js';
import { arrayLiteral, copyField, copyRows } from '../src/read-model/pg-copy.js';
import { SyntheticLog, produceAll } from './rebuild-log.fixture.js';

describe('projection rebuild (real broker and PostgreSQL)', () => {
  const kafka: KafkaClient = testKafka();
  const log = new SyntheticLog();
  let topics: Awaited<ReturnType<typeof createTestTopics>>;
  let topic: string;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: SqlPool;
  let deps: RebuildDeps;

  /** The live projector's job, done by hand: apply the log up to its head to the live tables. */
  async function projectLive(): Promise<void> {
    const from = await readPositions(pool, TASK_VIEW_PROJECTION, topic);
    const ends = await highWatermarks(kafka, topic);
    const ranges = [...ends].map(([partition, end]) => ({ topic, partition, from: from.get(partition) ?? 0n, end }));
    const target = { tables: READ_MODEL_TABLES, projection: TASK_VIEW_PROJECTION, topic, notify: true };
    await applyLogRanges(kafka, ranges, {
      target,
      withClient: (w) => inTransaction(pool, w),
      chunkRecords: 500,
      parallel: 1,
    });
  }

  const tableCount = async (table: string) =>
    Number((await pool.query<{ n: string }>(`select count(*) as n from ${table}`)).rows[0]!.n);

  beforeAll(async () => {
    topics = await createTestTopics(kafka, ['task-events'], 3);
    topic = topics.topics[0]!;
    db = await createTestDatabase();
    pool = await sqlPool(db.orm);
    deps = { pool, kafka, topic, logger: testLogger };
    await produceAll(kafka, topic, log.records(300, 6));
    await projectLive();
  });
  afterAll(async () => {
    await topics.drop();
    await db.drop();
  });

  it('rebuilds into shadow tables while the live projection moves on, then swaps at a complete offset vector', async () => {
    const generationBefore = await readGeneration(pool, TASK_VIEW_PROJECTION);
    const started = await beginRebuild(deps, TASK_VIEW_PROJECTION, {
      requestedBy: 'test',
      tuning: {
        chunkRecords: 200,
        catchUpLag: 0,
        onPhase: async (phase) => {
          // New events the live side applies before the rebuild sees them: the swap must take them over.
          if (phase === 'catching-up' || phase === 'swapping') {
            await produceAll(kafka, topic, log.updates(40));
            await projectLive();
          }
        },
      },
    });
    expect(started.resumed).toBe(false);
    await expect(beginRebuild(deps, TASK_VIEW_PROJECTION)).rejects.toMatchObject({ reason: 'already-running' });
    const done = await started.run();

    expect(done.state).toBe('done');
    expect(done.generation).toBe(generationBefore + 1);
    expect(await readGeneration(pool, TASK_VIEW_PROJECTION)).toBe(generationBefore + 1);
    const live = await readPositions(pool, TASK_VIEW_PROJECTION, topic);
    const ends = await highWatermarks(kafka, topic);
    for (const [p, end] of ends) expect(live.get(p)).toBe(end);
    expect(Object.fromEntries([...live].map(([p, o]) => [String(p), o.toString()]))).toEqual(done.swapOffsets);
    expect((await readPositions(pool, rebuildPositionsName(TASK_VIEW_PROJECTION), topic)).size).toBe(0);
    expect(await shadowTablesExist(pool, SHADOW_TABLES)).toBe(false);
    expect(await shadowTablesExist(pool, RETIRED_TABLES)).toBe(false);
    const { rows } = await pool.query<{ indexname: string }>(
      `select indexname from pg_indexes where schemaname = current_schema() and tablename = 'task_view' order by 1`,
    );
    expect(rows.map((r) => r.indexname)).toContain('task_view_owner_created_idx');
    expect(rows.every((r) => r.indexname.startsWith('task_view_'))).toBe(true);
    // The bulk load wrote without the primary keys; they are back, under the live names.
    const keys = await pool.query<{ conname: string; def: string }>(
      `select conname, pg_get_constraintdef(oid) as def from pg_constraint
       where contype = 'p' and conrelid in ('task_view'::regclass, 'task_history'::regclass) order by 1`,
    );
    expect(keys.rows).toEqual([
      { conname: 'task_history_pkey', def: 'PRIMARY KEY (task_id, version)' },
      { conname: 'task_view_pkey', def: 'PRIMARY KEY (task_id)' },
    ]);

    const report = await verifyProjection(deps, TASK_VIEW_PROJECTION);
    expect(report.differences).toEqual([]);
    expect(report.equal).toBe(true);
    expect(report.tables.find((t) => t.table === 'task_view')!.liveRows).toBe(300);
  });

  it('verify reports a tampered row with its differing field, and a checksum difference', async () => {
    const { rows } = await pool.query<{ task_id: string; title: string }>(
      'select task_id, title from task_view order by task_id limit 1',
    );
    const { task_id: taskId, title } = rows[0]!;
    await pool.query(`update task_view set title = 'tampered' where task_id = $1`, [taskId]);
    try {
      const report = await verifyProjection(deps, TASK_VIEW_PROJECTION, { sample: 5 });
      expect(report.equal).toBe(false);
      expect(report.differences).toEqual([
        { taskId, kind: 'different', fields: [{ field: 'title', expected: title, live: 'tampered' }] },
      ]);
      expect(report.tables.find((t) => t.table === 'task_view')!.equal).toBe(false);
      expect(report.tables.filter((t) => t.table !== 'task_view').every((t) => t.equal)).toBe(true);
    } finally {
      await pool.query('update task_view set title = $2 where task_id = $1', [taskId, title]);
    }
    expect((await verifyProjection(deps, TASK_VIEW_PROJECTION)).equal).toBe(true);
  });

  it('resumes a rebuild whose runner lost every database connection halfway, and completes it', async () => {
    // The server ends the runner's sessions as a process death would: the advisory lock goes with them.
    const appName = `dying_${db.schema}`;
    const url = new URL(db.config.url);
    url.searchParams.set('application_name', appName);
    const dying = await createOrm({ ...db.config, url: url.toString() }, testLogger);
    let chunks = 0;
    const first = await beginRebuild({ ...deps, pool: await sqlPool(dying) }, TASK_VIEW_PROJECTION, {
      tuning: {
        chunkRecords: 100,
        parallel: 1,
        onApplied: async () => {
          if (++chunks !== 4) return;
          await pool.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [
            appName,
          ]);
          throw new Error('killed');
        },
      },
    });
    await expect(first.run()).rejects.toThrow('killed');
    await dying.close(true);
    const stopped = await latestRebuild(pool, TASK_VIEW_PROJECTION);
    expect(['building', 'failed']).toContain(stopped!.state);
    // The bulk load had committed history chunks (with their checkpoints), no partition's end yet.
    const historyPositions = rebuildHistoryPositionsName(TASK_VIEW_PROJECTION);
    const halfway = await readPositions(pool, historyPositions, topic);
    const appliedBefore = [...halfway.values()].reduce((a, b) => a + b, 0n);
    expect(appliedBefore).toBeGreaterThan(0n);
    expect(await tableCount('task_history_shadow')).toBe(Number(appliedBefore));
    expect((await readPositions(pool, rebuildPositionsName(TASK_VIEW_PROJECTION), topic)).size).toBe(0);
    const status = await projectionStatus(deps, TASK_VIEW_PROJECTION);
    expect(status.state).toBe(stopped!.state);
    expect(status.progress.applied).toBe(Number(appliedBefore));

    let resumedFrom = -1n;
    const second = await beginRebuild(deps, TASK_VIEW_PROJECTION, {
      tuning: {
        onPhase: async (phase) => {
          if (phase !== 'building' || resumedFrom >= 0n) return;
          const at = await readPositions(pool, historyPositions, topic);
          resumedFrom = [...at.values()].reduce((a, b) => a + b, 0n);
        },
      },
    });
    expect(second.resumed).toBe(true);
    expect(second.rebuild.rebuildId).toBe(stopped!.rebuildId);
    expect((await second.run()).state).toBe('done');
    expect(resumedFrom).toBeGreaterThanOrEqual(appliedBefore);
    // The folds were read again from 0; a history row below the checkpoints written again would have
    // broken the COPY on the primary key.
    expect((await readPositions(pool, historyPositions, topic)).size).toBe(0);
    expect((await verifyProjection(deps, TASK_VIEW_PROJECTION)).equal).toBe(true);
  });

  it('cancels a running rebuild: shadow tables dropped, live tables untouched', async () => {
    const viewRows = await tableCount('task_view');
    const generation = await readGeneration(pool, TASK_VIEW_PROJECTION);
    const started = await beginRebuild(deps, TASK_VIEW_PROJECTION, {
      tuning: {
        chunkRecords: 100,
        parallel: 1,
        onApplied: async () => void (await cancelRebuildOf(pool, TASK_VIEW_PROJECTION)),
      },
    });
    const final = await started.run();
    expect(final.state).toBe('cancelled');
    expect(await shadowTablesExist(pool, SHADOW_TABLES)).toBe(false);
    expect(await tableCount('task_view')).toBe(viewRows);
    expect(await readGeneration(pool, TASK_VIEW_PROJECTION)).toBe(generation);
    expect((await projectionStatus(deps, TASK_VIEW_PROJECTION)).state).toBe('live');
    await expect(cancelRebuildOf(pool, 'no-such-projection')).rejects.toBeInstanceOf(RebuildRefused);
  });

  it('reads and folds in worker threads (the compiled worker), swaps, and verifies equal', async () => {
    // The sources have no worker module to start: build dist/ (well under a second) and use its worker.
    const root = join(import.meta.dirname, '..', '..', '..', '..');
    execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'ignore' });
    const workerFile = join(root, 'dist', 'libs', 'platform', 'postgres', 'src', 'rebuild', 'bulk-load.worker.js');
    await produceAll(kafka, topic, log.records(50, 3));
    await projectLive();
    let chunks = 0;
    const started = await beginRebuild({ ...deps, kafkaConfig: testKafkaConfig() }, TASK_VIEW_PROJECTION, {
      tuning: { workers: 2, workerFile, chunkRecords: 150, onApplied: () => void chunks++ },
    });
    const done = await started.run();
    expect(done.state).toBe('done');
    expect(chunks).toBeGreaterThan(3);
    const report = await verifyProjection(deps, TASK_VIEW_PROJECTION);
    expect(report.equal).toBe(true);
    expect(report.tables.find((t) => t.table === 'task_view')!.liveRows).toBe(350);
    await expect(
      beginRebuild({ ...deps, kafkaConfig: testKafkaConfig() }, TASK_VIEW_PROJECTION, {
        tuning: { workerFile: join(root, 'no-such-worker.js') },
      }).then((r) => r.run()),
    ).rejects.toThrow('does not exist');
  });

  it('COPYs text, arrays, JSON and nulls exactly, whatever characters they hold', async () => {
    const nasty = 'tab\there, line\nbreak, cr\r, back\\slash \\N, quote " and {brace}, ünïcødé ✓';
    const tags = ['a,b', 'quote"d', 'back\\slash', '', 'NULL', '{x}'];
    const payload = { text: nasty, n: 1.5, none: null };
    await pool.query('create table copy_probe (t text, n int, tags text[], payload jsonb, missing text)');
    try {
      const client = await pool.connect();
      try {
        const line = [nasty, 42, arrayLiteral(tags), JSON.stringify(payload), null].map(copyField).join('\t') + '\n';
        expect(await copyRows(client, 'copy_probe', ['t', 'n', 'tags', 'payload', 'missing'], [line, line])).toBe(2);
        await expect(copyRows(client, 'copy_probe', ['t', 'n'], ['not-a-row\tx\n'])).rejects.toThrow();
      } finally {
        client.release();
      }
      const { rows } = await pool.query('select t, n, tags, payload, missing from copy_probe');
      expect(rows).toEqual([0, 1].map(() => ({ t: nasty, n: 42, tags, payload, missing: null })));
    } finally {
      await pool.query('drop table copy_probe');
    }
  });
});
