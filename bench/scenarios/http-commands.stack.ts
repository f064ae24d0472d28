// The processes of the http-commands bench: the command processor, the
// projector (when built) and the API from dist/, each a process of its own on
// isolated topics, schema and Redis prefix, with a JWT of a fresh key pair;
// their CPU use read from /proc; everything removed again at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportPKCS8, exportSPKI, generateKeyPair, type CryptoKey } from 'jose';
import kafkajs from 'kafkajs';
import { kafkaSection } from '@tasklog/platform/config';
import { benchSettings, platformEnv } from '../bench.settings.js';
import { localBrokerPid } from '../bench.harness.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const DIST = join(ROOT, 'dist', 'apps');

interface App {
  readonly name: string;
  readonly child: ChildProcess;
  readonly output: string[];
}

export interface Stack {
  readonly url: string;
  /** The command processor's HTTP port (its /metrics). */
  readonly processorUrl: string;
  /** Process ids of the apps, by name. */
  readonly pids: Readonly<Record<string, number>>;
  readonly token: string;
  readonly projector: boolean;
  stop(): Promise<void>;
}

export interface StackIds {
  readonly prefix: string;
  readonly schema: string;
  readonly keysDir: string;
}

export async function startStack(): Promise<Stack> {
  const id = randomUUID().slice(0, 8);
  const ids = {
    prefix: `bench-http-${id}.`,
    schema: `bench_http_${id}`,
    keysDir: await mkdtemp(join(tmpdir(), 'tb-')),
  };
  const privateKey = await writeKeys(ids.keysDir);
  const apps: App[] = [];
  const stop = async () => {
    for (const app of apps.reverse()) await terminate(app);
    await dropKafka(ids.prefix);
    await dropSchema(ids.schema);
    await rm(ids.keysDir, { recursive: true, force: true });
  };
  try {
    const { url, processorUrl, projector } = await launchApps(ids, apps);
    const pids = {
      ...Object.fromEntries(apps.map((app) => [app.name, app.child.pid ?? 0])),
      ...(await localBroker()),
      'bench (load generator)': process.pid,
    };
    return { url, processorUrl, pids, token: await benchToken(privateKey), projector, stop };
  } catch (error) {
    for (const app of apps) process.stderr.write(`--- ${app.name}\n${app.output.slice(-20).join('')}\n`);
    await stop();
    throw error;
  }
}

/** The processor, then the projector (when built), then the API, each waited for; pushed to `apps` as they start. */
async function launchApps(
  ids: StackIds,
  apps: App[],
): Promise<{ url: string; processorUrl: string; projector: boolean }> {
  const [apiPort, grpcPort, grpcQueriesPort, processorPort, projectorPort] = await Promise.all(
    [1, 2, 3, 4, 5].map(() => freePort()),
  );
  const env = {
    ...platformEnv(),
    TASKLOG_TOPIC_PREFIX: ids.prefix,
    DATABASE_SCHEMA: ids.schema,
    REDIS_KEY_PREFIX: ids.prefix,
    LOG_LEVEL: 'warn',
  };
  const processor = launch('command-processor', {
    ...env,
    PROCESSOR_GROUP_ID: `${ids.prefix}processor`,
    PROCESSOR_TRANSACTIONAL_ID_PREFIX: `${ids.prefix}writer-`,
    PROCESSOR_PORT: String(processorPort),
  });
  apps.push(processor);
  await ready(processor, `http://127.0.0.1:${processorPort}/health/ready`, 120_000);
  const projector = existsSync(join(DIST, 'projector/src/main.js'))
    ? launch('projector', {
        ...env,
        PROJECTOR_GROUP_ID: `${ids.prefix}projector`,
        PROJECTOR_PORT: String(projectorPort),
      })
    : null;
  if (projector) apps.push(projector);
  const api = launch('api', {
    ...env,
    PORT: String(apiPort),
    GRPC_PORT: String(grpcPort),
    GRPC_QUERIES_PORT: String(grpcQueriesPort),
    // The per-principal limit is on, as in production (one Redis round trip a
    // request), with a budget no run uses up; BENCH_RATE_LIMIT=off leaves it out.
    ...(benchSettings().rateLimitOff
      ? { RATE_LIMIT_ENABLED: 'false' }
      : { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_API_MAX: '1000000000' }),
    COMMANDS_RESULTS_GROUP_PREFIX: `${ids.prefix}api-results-`,
    JWT_PUBLIC_KEY_PATH: join(ids.keysDir, 'public.pem'),
    JWT_PRIVATE_KEY_PATH: join(ids.keysDir, 'private.pem'),
  });
  apps.push(api);
  const url = `http://127.0.0.1:${apiPort}`;
  await ready(api, `${url}/health/ready`, 120_000);
  const projectorUp = projector
    ? await ready(projector, `http://127.0.0.1:${projectorPort}/health/live`, 60_000).then(
        () => true,
        () => false,
      )
    : false;
  return { url, processorUrl: `http://127.0.0.1:${processorPort}`, projector: projectorUp };
}

async function writeKeys(dir: string): Promise<CryptoKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  await writeFile(join(dir, 'public.pem'), await exportSPKI(publicKey));
  await writeFile(join(dir, 'private.pem'), await exportPKCS8(privateKey), { mode: 0o600 });
  return privateKey;
}

function benchToken(privateKey: CryptoKey): Promise<string> {
  return new SignJWT({ scope: 'tasks:read tasks:write' })
    .setProtectedHeader({ alg: 'RS256' })
    .setSubject('bench-user')
    .setIssuer('tasklog')
    .setAudience('tasklog-api')
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(privateKey);
}

// BENCH_CPU_PROF=<dir> profiles the API (node --cpu-prof; the profile is
// written when it exits at the end of the run); BENCH_API_NODE_ARGS adds node
// flags to the API's command line (e.g. V8 heap settings to compare).
function profileArgs(name: string): string[] {
  if (name !== 'api') return [];
  const { cpuProfDir: dir, apiNodeArgs: extra } = benchSettings();
  return [...(dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []), ...extra];
}

function launch(name: string, env: NodeJS.ProcessEnv): App {
  const args = [...profileArgs(name), '--enable-source-maps', join(DIST, name, 'src/main.js')];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { name, child, output };
}

async function ready(app: App, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (app.child.exitCode !== null) throw new Error(`${app.name} exited with ${app.child.exitCode}`);
    const status = await fetch(url).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${app.name} not ready within ${timeoutMs} ms`);
}

async function terminate(app: App): Promise<void> {
  if (app.child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => app.child.once('exit', () => resolve()));
  app.child.kill('SIGTERM');
  const timer = setTimeout(() => app.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function dropKafka(prefix: string): Promise<void> {
  const kafka = new kafkajs.Kafka({
    brokers: kafkaSection(platformEnv()).brokers,
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
  await admin.deleteTopics({ topics }).catch(() => undefined);
  const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
  await admin.deleteGroups(groups).catch(() => undefined);
  await admin.disconnect();
}

async function dropSchema(schema: string): Promise<void> {
  const { createOrm } = await import('@tasklog/platform/postgres');
  const { postgresSection } = await import('@tasklog/platform/config');
  const { createLogger } = await import('@tasklog/platform/observability');
  const orm = await createOrm(postgresSection(platformEnv()), createLogger('bench', 'warn'));
  await orm.em.getConnection().execute(`drop schema if exists "${schema}" cascade`);
  await orm.close(true);
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

export type Ticks = Map<string, number>;

/** The broker's pid, by name, when it is the one scripts/infra.sh started here. */
async function localBroker(): Promise<Record<string, number>> {
  const pid = await localBrokerPid();
  return pid === undefined ? {} : { kafka: pid };
}

/** utime + stime of each app (clock ticks), and the machine's busy and total ticks, from /proc. */
export async function cpuTicks(stack: Stack): Promise<Ticks> {
  const ticks: Ticks = new Map();
  const [cpu = ''] = (await readFile('/proc/stat', 'utf8')).split('\n');
  const fields = cpu.split(/\s+/).slice(1).map(Number);
  ticks.set(
    '(total)',
    fields.reduce((a, b) => a + b, 0),
  );
  ticks.set('(idle)', (fields[3] ?? 0) + (fields[4] ?? 0));
  for (const [name, pid] of Object.entries(stack.pids)) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks.set(name, Number(after[11] ?? 0) + Number(after[12] ?? 0));
  }
  return ticks;
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU time one app spent between the two samples, in µs per request (e.g. the API's own cost of a command). */
export function cpuMicrosPerRequest(before: Ticks, after: Ticks, app: string, requests: number): number {
  const ticks = (after.get(app) ?? 0) - (before.get(app) ?? 0);
  return requests > 0 ? Math.round((ticks * 1e6) / TICKS_PER_SECOND / requests) : 0;
}

export function cpuUse(before: Ticks, after: Ticks): { machine: number; note: string } {
  const delta = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
  const total = delta('(total)');
  const cores = cpus().length;
  const machine = total > 0 ? ((total - delta('(idle)')) / total) * cores : 0;
  const perApp = [...after.keys()]
    .filter((k) => !k.startsWith('('))
    .map((k) => `${k} ${total > 0 ? ((delta(k) / total) * cores).toFixed(2) : '?'}`);
  return {
    machine: +machine.toFixed(2),
    note: `of ${cores}; ${perApp.join(', ')} (the rest: PostgreSQL, Redis, anything else running)`,
  };
}
