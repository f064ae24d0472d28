// Query latency at scale: 1M tasks (× scale) of 10,000 users written straight
// into the read model with one SQL generator (projecting 1M events first would
// only add minutes, not change the queries), then the API as its own process
// (dist/apps/api) answering sequential requests over one keep-alive
// connection: a single task from the cache and from PostgreSQL, and
// filtered list pages per user.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import { postgresSection } from '@tasklog/platform/config';
import { createLogger } from '@tasklog/platform/observability';
import { createOrm, migrate, type Orm } from '@tasklog/platform/postgres';
import { percentile, type BenchRow, type BenchScenario } from '../bench.harness.js';
import { benchSettings, platformEnv } from '../bench.settings.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const USERS = 10_000;
const logger = createLogger('bench', 'warn');

/** 1M rows of realistic shape: statuses, due dates (a quarter of them none), categories, tags, titles to search. */
async function generate(orm: Orm, tasks: number): Promise<number> {
  const started = performance.now();
  const sql = (text: string) => orm.em.getConnection().execute(text);
  await sql(`
    insert into task_view (task_id, owner_id, title, description, status, due_date, warning_offset, category, tags,
                           created_at, updated_at, completed_at, version, event_partition, event_offset)
    select 'task-' || lpad(g::text, 9, '0'),
           'user-' || (g % ${USERS}),
           (array['Quarterly report','Team meeting','Code review','Client call','Budget plan'])[1 + g % 5] || ' ' || g,
           'Generated task number ' || g,
           (array['NOT_STARTED','IN_PROGRESS','BLOCKED','DEFERRED','COMPLETED','CANCELLED'])[1 + (g / 7) % 6],
           case when g % 4 = 0 then null else now() + ((g % 1000) - 300) * interval '1 hour' end,
           case when g % 3 = 0 then 60 else null end,
           (array['work','home','errands'])[1 + g % 3],
           case when g % 5 = 0 then array['urgent','q3'] else array['q3'] end,
           now() - (g % 100000) * interval '1 minute',
           now() - (g % 50000) * interval '1 minute',
           case when (g / 7) % 6 = 4 then now() - (g % 20000) * interval '1 minute' end,
           1 + g % 5, g % 12, g
    from generate_series(1, ${tasks}) g`);
  await sql(`
    insert into user_task_stats (owner_id, not_started, in_progress, blocked, deferred, completed, cancelled)
    select owner_id, ${['NOT_STARTED', 'IN_PROGRESS', 'BLOCKED', 'DEFERRED', 'COMPLETED', 'CANCELLED']
      .map((s) => `count(*) filter (where status = '${s}')`)
      .join(', ')}
    from task_view group by owner_id`);
  await sql('vacuum analyze task_view');
  await sql('analyze user_task_stats');
  return (performance.now() - started) / 1000;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startApi(schema: string, prefix: string, keysDir: string) {
  const [port, grpc, grpcQueries] = await Promise.all([freePort(), freePort(), freePort()]);
  const nodeArgs = benchSettings().apiNodeArgs;
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, join(ROOT, 'dist/apps/api/src/main.js')], {
    cwd: ROOT,
    env: {
      ...platformEnv(),
      PORT: String(port),
      GRPC_PORT: String(grpc),
      GRPC_QUERIES_PORT: String(grpcQueries),
      DATABASE_SCHEMA: schema,
      REDIS_KEY_PREFIX: prefix,
      TASKLOG_TOPIC_PREFIX: prefix,
      COMMANDS_RESULTS_GROUP_PREFIX: `${prefix}api-results-`,
      RATE_LIMIT_ENABLED: 'false',
      LOG_LEVEL: 'warn',
      JWT_PUBLIC_KEY_PATH: join(keysDir, 'public.pem'),
      JWT_PRIVATE_KEY_PATH: join(keysDir, 'private.pem'),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`api exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (i > 240) throw new Error('api not ready');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { url, port, child };
}

async function adminToken(keysDir: string): Promise<string> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  await writeFile(join(keysDir, 'public.pem'), await exportSPKI(publicKey));
  await writeFile(join(keysDir, 'private.pem'), await exportPKCS8(privateKey), { mode: 0o600 });
  return new SignJWT({ scope: 'tasks:read admin' })
    .setProtectedHeader({ alg: 'RS256' })
    .setSubject('bench-admin')
    .setIssuer('tasklog')
    .setAudience('tasklog-api')
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(privateKey);
}

/** Sequential GETs over one keep-alive connection; per-request latency in ms (status must be 200). */
function client(port: number, token: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const get = (path: string) =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now();
      const req = request(
        { host: '127.0.0.1', port, path, agent, headers: { authorization: `Bearer ${token}` } },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200
              ? resolve(performance.now() - started)
              : reject(new Error(`${path}: ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
  return {
    async run(paths: readonly string[]): Promise<number[]> {
      const times: number[] = [];
      for (const path of paths) times.push(await get(path));
      return times;
    },
    close: () => agent.destroy(),
  };
}

const pick = (n: number, tasks: number) => Array.from({ length: n }, () => 1 + Math.floor(Math.random() * tasks));
const taskPath = (g: number) => `/api/v1/tasks/task-${String(g).padStart(9, '0')}`;

function rows(name: string, times: number[], target?: string): BenchRow[] {
  return [
    { metric: `${name} p50`, value: +percentile(times, 50).toFixed(2), unit: 'ms' },
    { metric: `${name} p95`, value: +percentile(times, 95).toFixed(2), unit: 'ms' },
    {
      metric: `${name} p99`,
      value: +percentile(times, 99).toFixed(2),
      unit: 'ms',
      ...(target ? { target } : {}),
      note: `${times.length} requests`,
    },
  ];
}

export const queryBench: BenchScenario = {
  name: 'query',
  summary: 'query latency at 1M tasks: single task on a cache hit and miss, filtered list pages (API process, HTTP)',
  async run({ scale }) {
    const tasks = Math.round(1_000_000 * scale);
    const id = randomUUID().slice(0, 8);
    const schema = `bench_query_${id}`;
    const prefix = `bench-query-${id}.`;
    const keysDir = await mkdtemp(join(tmpdir(), 'tq-'));
    const orm = await createOrm(postgresSection(platformEnv({ DATABASE_SCHEMA: schema })), logger);
    let api: Awaited<ReturnType<typeof startApi>> | undefined;
    try {
      await migrate(orm, schema);
      const seconds = await generate(orm, tasks);
      // Let the checkpoint after the bulk load pass before measuring (it takes a core for a few seconds).
      await orm.em
        .getConnection()
        .execute('checkpoint')
        .catch(() => new Promise((resolve) => setTimeout(resolve, 10_000)));
      const token = await adminToken(keysDir);
      api = await startApi(schema, prefix, keysDir);
      const http = client(api.port, token);
      await http.run(pick(2000, tasks).map(taskPath)); // warm-up: connections, JIT, PostgreSQL buffers
      // PostgreSQL-bound phases first: the checkpoint that follows the bulk load disturbs whatever runs
      // next for a while, and the cache-hit phases, at ~0.5 ms a request, would mostly measure it.
      const misses = await http.run(pick(5000, tasks).map(taskPath));
      const users = () => `user-${Math.floor(Math.random() * USERS)}`;
      const filtered = (u: string) =>
        `/api/v1/tasks?userId=${u}&taskStatus=IN_PROGRESS,BLOCKED&sort=dueDate&order=asc&limit=20`;
      const searched = (u: string) => `/api/v1/tasks?userId=${u}&search=report&tag=q3&limit=20`;
      const listMisses = await http.run(Array.from({ length: 3000 }, () => filtered(users())));
      const searchMisses = await http.run(Array.from({ length: 2000 }, () => searched(users())));
      const hotLists = Array.from({ length: 200 }, () => filtered(users()));
      await http.run(hotLists);
      const listHits = await http.run([...hotLists, ...hotLists, ...hotLists, ...hotLists, ...hotLists]);
      const baseline = await http.run(Array.from({ length: 5000 }, () => '/api/v1/me'));
      const hot = pick(1000, tasks).map(taskPath);
      await http.run([...hot, ...hot]);
      const hits = await http.run([...hot, ...hot, ...hot, ...hot, ...hot]);
      http.close();
      // BENCH_QUERY_DUMP=<file>: every cache-hit latency in request order (looking for the tail's pattern).
      const dump = benchSettings().queryDump;
      if (dump) await writeFile(dump, hits.map((t) => t.toFixed(3)).join('\n'));
      return [
        {
          metric: 'tasks in the read model',
          value: tasks,
          unit: 'tasks',
          note: `${USERS} users; generated in ${seconds.toFixed(1)} s`,
        },
        ...rows('GET /me (edge only: auth, no read model)', baseline),
        ...rows('GET /tasks/{id}, cache hit', hits, '≤ 2'),
        ...rows('GET /tasks/{id}, cache miss (PostgreSQL)', misses, '≤ 5'),
        ...rows('GET /tasks filtered (status, sort by due date), miss', listMisses, '≤ 10'),
        ...rows('GET /tasks search + tag, miss', searchMisses, '≤ 10'),
        ...rows('GET /tasks filtered, cache hit', listHits),
      ];
    } finally {
      api?.child.kill('SIGTERM');
      if (api) await new Promise((resolve) => api!.child.once('exit', resolve));
      await orm.em.getConnection().execute(`drop schema if exists "${schema}" cascade`);
      await orm.close(true);
      await rm(keysDir, { recursive: true, force: true });
      await dropTopics(prefix);
    }
  },
};

async function dropTopics(prefix: string): Promise<void> {
  const { createKafka } = await import('@tasklog/platform/kafka');
  const { kafkaSection } = await import('@tasklog/platform/config');
  const admin = createKafka(kafkaSection(platformEnv()), logger).admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
  await admin.deleteTopics({ topics }).catch(() => undefined);
  const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
  await admin.deleteGroups(groups).catch(() => undefined);
  await admin.disconnect();
}
