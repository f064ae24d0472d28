// Rebuild of the task view from a pre-filled event log of 1M events (× scale;
// 12 partitions, 10 events per task): the whole runner (shadow load, index
// build, catch-up, swap, drop) from begin to done. Beside it, in the same run
// and on the same PostgreSQL, a raw COPY (psql \copy) of exactly the rows the
// rebuild wrote, into tables with the same DDL, then the same indexes.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOPICS } from '@tasklog/contracts';
import { kafkaSection, postgresSection } from '@tasklog/platform/config';
import { createKafka } from '@tasklog/platform/kafka';
import { createLogger } from '@tasklog/platform/observability';
import {
  READ_MODEL_TABLES,
  TASK_VIEW_PROJECTION,
  beginRebuild,
  buildShadowIndexes,
  createOrm,
  createShadowTables,
  migrate,
  sqlPool,
  suffixedTables,
  type SqlPool,
} from '@tasklog/platform/postgres';
import { SyntheticLog, produceAll } from '../../libs/platform/postgres/test/rebuild-log.fixture.js';
import type { BenchRow, BenchScenario } from '../bench.harness.js';
import { platformEnv } from '../bench.settings.js';

const logger = createLogger('bench', 'warn');
const PARTITIONS = 12;
const PER_TASK = 10;

/** Non-generated columns, so COPY can write them back. */
const COPY_COLUMNS: Record<keyof typeof READ_MODEL_TABLES, string> = {
  taskView: `task_id, owner_id, title, description, status, due_date, warning_offset, category, tags, created_at,
    updated_at, completed_at, deleted_at, reminder_fired_for_due_date, reminder_fired_at, version, event_partition, event_offset`,
  taskHistory: '*',
  userStats: '*',
  reminders: '*',
};

function psql(url: string, schema: string, command: string): void {
  execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-q', '-c', `set search_path = ${schema}`, '-c', command], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** Dumps the live read model with COPY TO, then times COPY FROM into same-DDL tables and their index build. */
async function rawCopy(pool: SqlPool, url: string, schema: string) {
  const dir = mkdtempSync(join(tmpdir(), 'tasklog-copy-'));
  const raw = suffixedTables('_raw');
  await createShadowTables(pool, raw);
  const keys = Object.keys(READ_MODEL_TABLES) as (keyof typeof READ_MODEL_TABLES)[];
  const cols = (k: keyof typeof READ_MODEL_TABLES) =>
    COPY_COLUMNS[k] === '*' ? '' : `(${COPY_COLUMNS[k].replace(/\s+/g, ' ')})`;
  const select = (k: keyof typeof READ_MODEL_TABLES) =>
    COPY_COLUMNS[k] === '*'
      ? READ_MODEL_TABLES[k]
      : `(select ${COPY_COLUMNS[k].replace(/\s+/g, ' ')} from ${READ_MODEL_TABLES[k]})`;
  for (const k of keys) psql(url, schema, `\\copy ${select(k)} to '${join(dir, k)}' with (format binary)`);
  const started = performance.now();
  for (const k of keys) psql(url, schema, `\\copy ${raw[k]} ${cols(k)} from '${join(dir, k)}' with (format binary)`);
  const copySeconds = (performance.now() - started) / 1000;
  await buildShadowIndexes(pool, raw);
  const withIndexesSeconds = (performance.now() - started) / 1000;
  const { rows } = await pool.query<{ n: string }>(
    `select (select count(*) from ${raw.taskHistory}) + (select count(*) from ${raw.taskView}) as n`,
  );
  rmSync(dir, { recursive: true, force: true });
  return { copySeconds, withIndexesSeconds, rows: Number(rows[0]!.n) };
}

async function run(scale: number): Promise<BenchRow[]> {
  const prefix = `bench-${randomUUID().slice(0, 8)}.`;
  const kafkaConfig = kafkaSection(platformEnv({ TASKLOG_TOPIC_PREFIX: prefix }));
  const kafka = createKafka(kafkaConfig, logger);
  const topic = prefix + TOPICS.events;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
  });
  const schema = `bench_${randomUUID().slice(0, 8)}`;
  const pg = postgresSection(platformEnv({ DATABASE_SCHEMA: schema, DATABASE_STATEMENT_TIMEOUT_MS: '0' }));
  const orm = await createOrm(pg, logger);
  try {
    await migrate(orm, schema);
    const pool = await sqlPool(orm);
    const wanted = Math.round(1_000_000 * scale);
    const fillStarted = performance.now();
    // Deleted tasks get no more events: a few more tasks make up for them.
    const total = await produceAll(
      kafka,
      topic,
      new SyntheticLog().records(Math.round((wanted / PER_TASK) * 1.12), PER_TASK),
      5000,
    );
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    const phases: Record<string, number> = {};
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const rebuild = await beginRebuild({ pool, kafka, topic, logger, kafkaConfig }, TASK_VIEW_PROJECTION, {
      tuning: { onPhase: (phase) => void (phases[phase] = (performance.now() - started) / 1000) },
    });
    const done = await rebuild.run();
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    if (done.state !== 'done') throw new Error(`rebuild ended ${done.state}`);
    const copy = await rawCopy(pool, pg.url, schema);
    const rate = Math.round(total / seconds);
    return [
      {
        metric: 'events in the log',
        value: total,
        unit: 'events',
        note: `${PARTITIONS} partitions, written in ${fillSeconds.toFixed(1)} s`,
      },
      {
        metric: 'rebuild of the task view',
        value: +seconds.toFixed(2),
        unit: 's',
        target: `≤ ${(20 * scale).toFixed(1)} s`,
        note: `${rate} events/s (target ≥ 50,000)`,
      },
      { metric: '  of which load (to indexing)', value: +(phases['indexing'] ?? 0).toFixed(2), unit: 's' },
      {
        metric: '  of which indexes',
        value: +((phases['catching-up'] ?? 0) - (phases['indexing'] ?? 0)).toFixed(2),
        unit: 's',
      },
      {
        metric: '  of which catch-up, swap, drop',
        value: +(seconds - (phases['catching-up'] ?? 0)).toFixed(2),
        unit: 's',
      },
      {
        metric: '  CPU of this process (all threads)',
        value: +((cpu.user + cpu.system) / 1e6).toFixed(1),
        unit: 's',
        note: 'reading, decoding and folding run in worker threads (ADR 0027)',
      },
      {
        metric: 'raw COPY of the same rows (same run)',
        value: +copy.copySeconds.toFixed(2),
        unit: 's',
        note: `${copy.rows} view+history rows, ${Math.round(copy.rows / copy.copySeconds)} rows/s`,
      },
      { metric: 'raw COPY + the same indexes', value: +copy.withIndexesSeconds.toFixed(2), unit: 's' },
    ];
  } finally {
    await orm.em
      .getConnection()
      .execute(`drop schema if exists "${schema}" cascade`)
      .catch(() => undefined);
    await orm.close(true);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

export const rebuildBench: BenchScenario = {
  name: 'rebuild',
  summary: 'rebuild of the task view from 1M events (× scale) beside a raw PostgreSQL COPY of the same rows',
  run: ({ scale }) => run(scale),
};
