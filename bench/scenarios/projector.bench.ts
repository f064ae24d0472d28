// The projector as a process of its own (dist/apps/projector, as deployed):
// (1) events/s applying a pre-filled event log (written by transactional
// producers, as the command processor writes it) into a fresh schema;
// (2) projection lag per event (appended to the log → committed in the read
// model, seen through the projector's NOTIFY) while 1,000 commands/s flow
// through a real command processor process.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { TOPICS, taskCommandRecord, taskEventRecord, type KafkaRecord } from '@tasklog/contracts';
import { recordEvents, type TaskCommand, type TaskEvent } from '@tasklog/domain';
import { postgresSection } from '@tasklog/platform/config';
import { createKafka, highWatermarks, type KafkaClient } from '@tasklog/platform/kafka';
import { createLogger } from '@tasklog/platform/observability';
import {
  PROJECTION_CHANNEL,
  TASK_VIEW_PROJECTION,
  createOrm,
  migrate,
  readPositions,
  sqlPool,
  type SqlPool,
} from '@tasklog/platform/postgres';
import { projectorConfig, type ProjectorConfig } from '../../apps/projector/src/projector.config.js';
import { provisionTopics } from '../../apps/projector/src/projector.app.js';
import { percentile, processCpuSeconds, type BenchRow, type BenchScenario } from '../bench.harness.js';
import { benchSettings, platformEnv } from '../bench.settings.js';

const logger = createLogger('bench', 'warn');
// For the lag scenarios' clients: kafkajs logs, at error level, answers it
// retries and then gets through (CONCURRENT_TRANSACTIONS when a transaction
// begins right after the previous commit, NOT_LEADER on a topic just made).
// A real failure still throws from the call that hit it.
const quietLogger = createLogger('bench', 'fatal');
const ROOT = join(import.meta.dirname, '..', '..', '..');
const USERS = 1000;

function isolatedEnv(): Record<string, string | undefined> {
  const id = randomUUID().slice(0, 8);
  const prefix = `bench-proj-${id}.`;
  return {
    ...platformEnv(),
    TASKLOG_TOPIC_PREFIX: prefix,
    DATABASE_SCHEMA: `bench_proj_${id}`,
    REDIS_KEY_PREFIX: `bench-proj-${id}:`,
    PROJECTOR_GROUP_ID: `${prefix}projector`,
    PROCESSOR_GROUP_ID: `${prefix}processor`,
    PROCESSOR_TRANSACTIONAL_ID_PREFIX: `${prefix}writer-`,
    LOG_LEVEL: 'warn',
  };
}

async function cleanUp(kafka: KafkaClient, config: ProjectorConfig): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(config.kafka.topicPrefix));
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.deleteGroups([config.groupId]).catch(() => undefined);
  await admin.disconnect();
  const orm = await createOrm(postgresSection(platformEnv({ DATABASE_SCHEMA: 'public' })));
  await orm.em.getConnection().execute(`drop schema if exists "${config.postgres.schema}" cascade`);
  await orm.close(true);
}

const STATUS_PATH = ['NOT_STARTED', 'IN_PROGRESS', 'BLOCKED', 'IN_PROGRESS'] as const;

/** Rounds 3, 6, 9: NOT_STARTED → IN_PROGRESS → BLOCKED → IN_PROGRESS. */
function statusChange(taskId: string, round: number, changedAt: string): TaskEvent {
  const step = round / 3;
  return {
    type: 'TaskStatusChanged',
    schemaVersion: 1,
    data: { taskId, from: STATUS_PATH[step - 1]!, to: STATUS_PATH[step]!, changedAt },
  };
}

/**
 * Events of `tasks` tasks: a creation, then updates, round by round over
 * `window` tasks at a time. window = tasks: every task's events spread over
 * the whole log (each batch touches as many tasks as it has events, the
 * worst case); a small window: a task's events close together (bursts).
 */
function* eventLog(tasks: number, perTask: number, window: number): Generator<KafkaRecord> {
  const ids = Array.from({ length: tasks }, () => randomUUID());
  const at = (n: number) => new Date(Date.parse('2026-01-01T00:00:00.000Z') + n * 1000).toISOString();
  for (let from = 0; from < tasks; from += window)
    for (let round = 0; round < perTask; round++)
      for (let i = from; i < Math.min(tasks, from + window); i++) {
        const id = ids[i]!;
        const event: TaskEvent =
          round === 0
            ? {
                type: 'TaskCreated',
                schemaVersion: 2,
                data: {
                  taskId: id,
                  ownerId: `user-${i % USERS}`,
                  title: `Quarterly report ${i}`,
                  description: 'Numbers for the board',
                  status: 'NOT_STARTED',
                  dueDate: at(86_400 + i),
                  warningOffset: 60,
                  category: 'work',
                  tags: ['q3'],
                  createdAt: at(0),
                },
              }
            : round % 3 === 0
              ? statusChange(id, round, at(round))
              : {
                  type: 'TaskDetailsUpdated',
                  schemaVersion: 1,
                  data: { taskId: id, changes: { title: `Report ${i}.${round}` }, updatedAt: at(round) },
                };
        const [recorded] = recordEvents([event], {
          command: { commandId: randomUUID(), taskId: id, actorId: `user-${i % USERS}` },
          versionBefore: round,
          recordedAt: at(round),
          newEventId: () => randomUUID(),
        });
        yield taskEventRecord(recorded!, { source: '/bench' });
      }
}

/** Writes the log in transactions of `chunk` records, as the command processor does. */
async function prefill(kafka: KafkaClient, topic: string, records: Iterable<KafkaRecord>, chunk = 5000): Promise<void> {
  const producer = kafka.producer({
    transactionalId: `bench-fill-${randomUUID()}`,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  let batch: KafkaRecord[] = [];
  const flush = async () => {
    const tx = await producer.transaction();
    await tx.send({ topic, acks: -1, messages: batch });
    await tx.commit();
    batch = [];
  };
  for (const record of records) {
    batch.push(record);
    if (batch.length >= chunk) await flush();
  }
  if (batch.length > 0) await flush();
  await producer.disconnect();
}

/** The projector as its own process (dist/apps/projector), as deployed; extra node flags from BENCH_PROJECTOR_NODE_ARGS. */
function spawnProjector(env: Record<string, string | undefined>): ChildProcess {
  const extra = benchSettings().projectorNodeArgs;
  return spawn(process.execPath, [...extra, join(ROOT, 'dist/apps/projector/src/main.js')], {
    env: { ...env, PROJECTOR_PORT: '0' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function appliedOffsets(pool: SqlPool, topic: string): Promise<bigint> {
  const positions = await readPositions(pool, TASK_VIEW_PROJECTION, topic).catch(() => new Map<number, bigint>());
  return [...positions.values()].reduce((a, b) => a + b, 0n);
}

async function throughput(total: number, window: number, label: string): Promise<BenchRow[]> {
  const env = isolatedEnv();
  const config = projectorConfig(env);
  const kafka = createKafka({ ...config.kafka, clientId: 'bench-projector' }, logger);
  await provisionTopics(config, logger);
  const perTask = 10;
  const filled = performance.now();
  const tasks = Math.round(total / perTask);
  await prefill(kafka, config.topics.events, eventLog(tasks, perTask, Math.min(window, tasks)));
  const fillSeconds = (performance.now() - filled) / 1000;
  const ends = await highWatermarks(kafka, config.topics.events);
  // Each partition ends with a transaction marker: done when every position is one short of its end.
  const end = [...ends.values()].reduce((a, b) => a + b, 0n);
  const orm = await createOrm(config.postgres);
  await migrate(orm, config.postgres.schema);
  const pool = await sqlPool(orm);
  const started = performance.now();
  const child = spawnProjector(env);
  let first = 0;
  let firstCpu: number | undefined;
  let firstApplied = 0n;
  let applied = 0n;
  while (applied < end - BigInt(ends.size)) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    applied = await appliedOffsets(pool, config.topics.events);
    if (first === 0 && applied > 0n) {
      first = performance.now();
      firstCpu = await processCpuSeconds(child.pid);
      firstApplied = applied;
    }
  }
  const done = performance.now();
  const doneCpu = await processCpuSeconds(child.pid);
  const steadyEvents = Number(applied - firstApplied);
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  await orm.close(true);
  await cleanUp(kafka, config);
  return [
    {
      metric: `events in the log (${label})`,
      value: total,
      unit: 'events',
      note: `${tasks} tasks × ${perTask} events, ${USERS} users, 12 partitions; written in ${fillSeconds.toFixed(1)} s`,
    },
    {
      metric: `projector throughput (${label})`,
      value: Math.round(total / ((done - started) / 1000)),
      unit: 'events/s',
      target: '≥ 30,000',
      note: 'projector process: from spawn (boot, migrate, join, seek) to the last commit',
    },
    {
      metric: `projector throughput, steady (${label})`,
      value: Math.round(total / ((done - first) / 1000)),
      unit: 'events/s',
      note: 'from the first committed batch to the last',
    },
    ...(firstCpu !== undefined && doneCpu !== undefined && steadyEvents > 0
      ? [
          {
            metric: `projector CPU per event, steady (${label})`,
            value: +(((doneCpu - firstCpu) * 1e6) / steadyEvents).toFixed(1),
            unit: 'µs',
            note: 'the projector process (all its threads: GC, libuv) from the first committed batch to the last',
          },
        ]
      : []),
  ];
}

interface Observed {
  readonly partition: number;
  readonly offset: bigint;
  readonly appendedAt: number;
  readonly visibleAt: number;
}

/** Every event of the topic as a read_committed consumer sees it: when appended, when visible. */
async function watchEvents(kafka: KafkaClient, topic: string) {
  const seen: Observed[] = [];
  const consumer = kafka.consumer({
    groupId: `bench-watch-${randomUUID()}`,
    maxWaitTimeInMs: 5,
    readUncommitted: false,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const visibleAt = Date.now();
      for (const m of batch.messages)
        seen.push({ partition: batch.partition, offset: BigInt(m.offset), appendedAt: Number(m.timestamp), visibleAt });
    },
  });
  return { seen, stop: () => consumer.disconnect() };
}

/** The projector's NOTIFY at each commit: per partition, when each position was reached. */
async function watchPositions(pool: SqlPool, schema: string) {
  const reached = new Map<number, { next: bigint; at: number }[]>();
  const client = await pool.connect();
  client.on('notification', ({ payload }) => {
    const [from, , , partition, next] = (payload ?? '').split('|');
    if (from !== schema) return;
    const list = reached.get(Number(partition)) ?? [];
    list.push({ next: BigInt(next!), at: Date.now() });
    reached.set(Number(partition), list);
  });
  await client.query(`listen ${PROJECTION_CHANNEL}`);
  return {
    /** When the projection first passed the event's offset. */
    projectedAt(e: Observed): number | undefined {
      return reached.get(e.partition)?.find((r) => r.next > e.offset)?.at;
    },
    stop: () => client.release(),
  };
}

function spawnApp(app: string, env: Record<string, string | undefined>): ChildProcess {
  // BENCH_APP_LOG_DIR: keep each app's log lines (debugging a run).
  const logDir = benchSettings().appLogDir;
  const child = spawn(process.execPath, [join(ROOT, `dist/apps/${app}/src/main.js`)], {
    env: { PROCESSOR_PORT: '0', PROJECTOR_PORT: '0', ...env, ...(logDir ? { LOG_LEVEL: 'debug' } : {}) },
    stdio: ['ignore', logDir ? 'pipe' : 'ignore', 'inherit'],
  });
  if (logDir) child.stdout!.pipe(createWriteStream(join(logDir, `${app}-${child.pid}.log`)));
  return child;
}

/** 1,000 commands/s as a send of 10 every 10 ms (a steady trickle, not one burst per second). */
async function steadyLoad(send: (n: number) => void, ratePerSecond: number, seconds: number): Promise<number> {
  const tickMs = 10;
  const started = performance.now();
  let sent = 0;
  while (performance.now() - started < seconds * 1000) {
    const due = Math.floor(((performance.now() - started) * ratePerSecond) / 1000);
    if (due > sent) {
      send(due - sent);
      sent = due;
    }
    await new Promise((resolve) => setTimeout(resolve, tickMs));
  }
  return sent;
}

async function lagUnderLoad(ratePerSecond: number, seconds: number): Promise<BenchRow[]> {
  const env = isolatedEnv();
  const config = projectorConfig(env);
  const kafka = createKafka({ ...config.kafka, clientId: 'bench-lag' }, quietLogger);
  await provisionTopics(config, logger);
  const orm = await createOrm(config.postgres);
  await migrate(orm, config.postgres.schema);
  const pool = await sqlPool(orm);
  const positions = await watchPositions(pool, config.postgres.schema);
  const events = await watchEvents(kafka, config.topics.events);
  const apps = [spawnApp('command-processor', env), spawnApp('projector', env)];
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const ids: string[] = Array.from({ length: 2000 }, () => randomUUID());
  const meta = (taskId: string) => ({
    commandId: randomUUID(),
    taskId,
    actorId: 'user-1',
    issuedAt: new Date().toISOString(),
  });
  const send = (commands: TaskCommand[]) =>
    void producer.send({
      topic: config.kafka.topicPrefix + TOPICS.commands,
      acks: -1,
      messages: commands.map((c) => taskCommandRecord(c, { source: '/bench' })),
    });
  send(ids.map((id) => ({ type: 'CreateTask', data: { ownerId: 'user-1', title: 'lag' }, metadata: meta(id) })));
  while (events.seen.filter((e) => positions.projectedAt(e) !== undefined).length < ids.length)
    await new Promise((resolve) => setTimeout(resolve, 100));
  const warm = events.seen.length;
  let n = 0;
  const update = (count: number) =>
    send(
      Array.from(
        { length: count },
        () =>
          ({
            type: 'UpdateTaskDetails',
            data: { changes: { title: `lag ${n}` } },
            metadata: meta(ids[n++ % ids.length]!),
          }) as TaskCommand,
      ),
    );
  const sent = await steadyLoad(update, ratePerSecond, seconds);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  if (benchSettings().metricsDump) {
    for (const port of [env['PROCESSOR_PORT'], env['PROJECTOR_PORT']])
      if (port)
        process.stderr.write(
          (await (await fetch(`http://127.0.0.1:${port}/metrics`)).text())
            .split('\n')
            .filter((l) =>
              /tasklog_(processor_transaction|processor_batch|projector_batch|projection_event_lag)/.test(l),
            )
            .join('\n') + '\n',
        );
  }
  const measured = events.seen.slice(warm).map((e) => ({ e, at: positions.projectedAt(e) }));
  const lags = measured.filter((m) => m.at !== undefined).map((m) => m.at! - m.e.appendedAt);
  const own = measured.filter((m) => m.at !== undefined).map((m) => Math.max(0, m.at! - m.e.visibleAt));
  for (const app of apps) app.kill('SIGTERM');
  await Promise.all(apps.map((app) => new Promise((resolve) => app.once('exit', resolve))));
  await producer.disconnect();
  await events.stop();
  positions.stop();
  await orm.close(true);
  await cleanUp(kafka, config);
  return [
    {
      metric: 'commands sent (with the command processor)',
      value: sent,
      unit: 'commands',
      note: `${ratePerSecond}/s for ${seconds} s over 2,000 tasks`,
    },
    {
      metric: 'events measured',
      value: lags.length,
      unit: 'events',
      note: `${measured.length - lags.length} never projected`,
    },
    {
      metric: 'append → projected p50',
      value: percentile(lags, 50),
      unit: 'ms',
      note: 'event appended (processor) → read model committed',
    },
    { metric: 'append → projected p99', value: percentile(lags, 99), unit: 'ms' },
    { metric: 'append → projected max', value: percentile(lags, 100), unit: 'ms' },
    {
      metric: 'visible in Kafka → projected p50',
      value: percentile(own, 50),
      unit: 'ms',
      note: "the projector's own share (after the processor's commit)",
    },
    { metric: 'visible in Kafka → projected p99', value: percentile(own, 99), unit: 'ms' },
  ];
}

function updateEvent(taskId: string, version: number, owner: string): KafkaRecord {
  const at = new Date().toISOString();
  const event: TaskEvent =
    version === 0
      ? {
          type: 'TaskCreated',
          schemaVersion: 2,
          data: {
            taskId,
            ownerId: owner,
            title: 'lag',
            description: '',
            status: 'NOT_STARTED',
            dueDate: null,
            warningOffset: null,
            category: null,
            tags: [],
            createdAt: at,
          },
        }
      : {
          type: 'TaskDetailsUpdated',
          schemaVersion: 1,
          data: { taskId, changes: { title: `lag ${version}` }, updatedAt: at },
        };
  const [recorded] = recordEvents([event], {
    command: { commandId: randomUUID(), taskId, actorId: owner },
    versionBefore: version,
    recordedAt: at,
    newEventId: () => randomUUID(),
  });
  return taskEventRecord(recorded!, { source: '/bench' });
}

/**
 * The projector alone: events written at `ratePerSecond` by a transactional
 * producer (a transaction of 10 every 10 ms, as the processor writes), the
 * lag measured from each transaction's commit (when the events become
 * readable) to the projector's commit of them.
 */
async function projectorLag(ratePerSecond: number, seconds: number): Promise<BenchRow[]> {
  const env = isolatedEnv();
  const config = projectorConfig(env);
  const kafka = createKafka({ ...config.kafka, clientId: 'bench-projector-lag' }, quietLogger);
  await provisionTopics(config, logger);
  const orm = await createOrm(config.postgres);
  await migrate(orm, config.postgres.schema);
  const pool = await sqlPool(orm);
  const positions = await watchPositions(pool, config.postgres.schema);
  const projector = spawnApp('projector', env);
  const producer = kafka.producer({
    transactionalId: `bench-lag-${randomUUID()}`,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  const ids: string[] = Array.from({ length: 2000 }, () => randomUUID());
  const versions = new Map(ids.map((id) => [id, 0]));
  const partitionOf = (id: string) => parseInt(id.slice(0, 8), 16) % config.kafka.partitions;
  const committed: { e: Observed; committedAt: number }[] = [];
  const write = async (taskIds: string[]) => {
    const messages = taskIds.map((id) => {
      const version = versions.get(id)!;
      versions.set(id, version + 1);
      return { ...updateEvent(id, version, 'user-1'), partition: partitionOf(id) };
    });
    const tx = await producer.transaction();
    const sent = await tx.send({ topic: config.topics.events, acks: -1, messages });
    await tx.commit();
    const committedAt = Date.now();
    for (const meta of sent) {
      const mine = messages.filter((m) => m.partition === meta.partition);
      mine.forEach((_, i) => {
        const e = {
          partition: meta.partition,
          offset: BigInt(meta.baseOffset!) + BigInt(i),
          appendedAt: 0,
          visibleAt: 0,
        };
        committed.push({ e, committedAt });
      });
    }
  };
  for (let i = 0; i < ids.length; i += 500) await write(ids.slice(i, i + 500));
  for (let waited = 0; committed.some((c) => positions.projectedAt(c.e) === undefined); waited += 100) {
    if (waited > 60_000) {
      const missing = committed.filter((c) => positions.projectedAt(c.e) === undefined).slice(0, 3);
      const stored = await readPositions(pool, TASK_VIEW_PROJECTION, config.topics.events);
      throw new Error(
        `warm-up not projected: ${JSON.stringify(missing, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}; stored ${[...stored].join(' ')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  committed.length = 0;
  let n = 0;
  let pending = Promise.resolve();
  const sent = await steadyLoad(
    (count) => {
      const batch = Array.from({ length: count }, () => ids[n++ % ids.length]!);
      pending = pending.then(() => write(batch));
    },
    ratePerSecond,
    seconds,
  );
  await pending;
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const lags = committed
    .map((c) => (positions.projectedAt(c.e) ?? Number.NaN) - c.committedAt)
    .filter((x) => !Number.isNaN(x));
  if (benchSettings().debug) {
    const t0 = committed[0]?.committedAt ?? 0;
    const bySecond = new Map<number, number[]>();
    for (const c of committed) {
      const s = Math.floor((c.committedAt - t0) / 1000);
      bySecond.set(s, [...(bySecond.get(s) ?? []), (positions.projectedAt(c.e) ?? NaN) - c.committedAt]);
    }
    for (const [sec, l] of bySecond)
      process.stderr.write(`second ${sec}: n=${l.length} p50=${percentile(l, 50)} p99=${percentile(l, 99)}\n`);
  }
  projector.kill('SIGTERM');
  await new Promise((resolve) => projector.once('exit', resolve));
  await producer.disconnect();
  positions.stop();
  await orm.close(true);
  await cleanUp(kafka, config);
  return [
    {
      metric: 'events written (projector alone)',
      value: sent,
      unit: 'events',
      note: `${ratePerSecond}/s for ${seconds} s, transactions of ~10`,
    },
    {
      metric: 'projection lag p50',
      value: Math.max(0, percentile(lags, 50)),
      unit: 'ms',
      note: 'log transaction committed → read model committed',
    },
    { metric: 'projection lag p99', value: Math.max(0, percentile(lags, 99)), unit: 'ms', target: '≤ 50' },
    { metric: 'projection lag max', value: Math.max(0, percentile(lags, 100)), unit: 'ms' },
  ];
}

export const projectorBench: BenchScenario = {
  name: 'projector',
  summary: 'projector events/s from a pre-filled log; projection lag p50/p99 at 1,000 events (commands)/s',
  async run({ scale }) {
    // BENCH_PROJECTOR_PART: throughput | lag (both lag measures) | projector-lag; BENCH_PROJECTOR_RATE: events/s.
    const { projectorPart: part, projectorRate: rate } = benchSettings();
    const seconds = Math.max(5, Math.round(20 * scale));
    const rows: BenchRow[] = [];
    if (part === undefined || part === 'throughput') {
      const total = Math.round(300_000 * scale);
      rows.push(...(await throughput(total, Number.MAX_SAFE_INTEGER, 'spread')));
      rows.push(...(await throughput(total, 500, 'bursts')));
    }
    if (part !== 'throughput') rows.push(...(await projectorLag(rate, seconds)));
    if (part === undefined || part === 'lag') rows.push(...(await lagUnderLoad(rate, seconds)));
    return rows;
  },
};
