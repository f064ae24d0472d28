// HTTP commands end to end on loopback: POST /api/v1/tasks through the API
// (JWT auth, validation, produce acks=all, wait for the outcome), the
// command processor and the event log, with the projector consuming the
// events, each app a process of its own from dist/. autocannon drives the API
// at fixed rates (overallRate over enough connections to approximate an open
// loop) and at its maximum; beside the figures, the raw idempotent-producer
// rate of the same broker in the same run.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import kafkajs from 'kafkajs';
import type { BenchRow, BenchScenario } from '../bench.harness.js';
import { measureRawProducer } from './kafka-producer.bench.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const DIST = join(ROOT, 'dist', 'apps');

interface CannonResult {
  readonly latency: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly requests: { readonly average: number; readonly total: number };
  readonly duration: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
}
type Cannon = (options: Record<string, unknown>) => Promise<CannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Cannon;

interface App {
  readonly name: string;
  readonly child: ChildProcess;
  readonly output: string[];
}

interface Stack {
  readonly url: string;
  readonly token: string;
  readonly projector: boolean;
  stop(): Promise<void>;
}

export const httpCommandsBench: BenchScenario = {
  name: 'http-commands',
  summary:
    'HTTP commands/s end to end (API + Kafka + processor, projector running): autocannon at fixed rates and at max',
  async run({ scale }): Promise<BenchRow[]> {
    const seconds = Math.max(3, Math.round(10 * scale));
    const raw = await measureRawProducer(Math.round(100_000 * scale));
    const stack = await startStack();
    try {
      const rows: BenchRow[] = [
        { metric: 'raw idempotent producer rate', value: raw, unit: 'records/s', note: 'same broker, same run' },
        { metric: 'projector running', value: stack.projector ? 1 : 0, unit: 'bool' },
      ];
      await fire(stack, { rate: 300, seconds: 3, connections: 16 }); // warm-up: JIT, connections, partition writers
      for (const rate of [500, 1000, 2000])
        rows.push(...(await step(stack, `${rate}/s`, { rate, seconds, connections: 64 })));
      const max = await step(stack, 'max', { seconds, connections: 128 });
      rows.push(...max);
      const maxRate = max.find((r) => r.metric.startsWith('max: throughput'))!.value;
      const half = Math.max(50, Math.round(maxRate / 2));
      rows.push(...(await step(stack, `half max (${half}/s)`, { rate: half, seconds, connections: 64 }, '≤ 25 ms')));
      return rows;
    } finally {
      await stack.stop();
    }
  },
};

interface Load {
  readonly rate?: number;
  readonly seconds: number;
  readonly connections: number;
}

async function step(stack: Stack, label: string, load: Load, p99Target?: string): Promise<BenchRow[]> {
  const before = await commandCounts(stack.url);
  const result = await fire(stack, load);
  const after = await commandCounts(stack.url);
  const delta = (outcome: string) => (after.get(outcome) ?? 0) - (before.get(outcome) ?? 0);
  const throughput = Math.round(result.requests.total / result.duration);
  return [
    {
      metric: `${label}: throughput`,
      value: throughput,
      unit: 'commands/s',
      ...(label === 'max' ? { target: '≥ 5,000' } : {}),
      note: `${result.requests.total} requests in ${result.duration.toFixed(1)} s, ${load.connections} connections`,
    },
    { metric: `${label}: p50 latency`, value: result.latency.p50, unit: 'ms' },
    {
      metric: `${label}: p99 latency`,
      value: result.latency.p99,
      unit: 'ms',
      ...(p99Target ? { target: p99Target } : {}),
    },
    { metric: `${label}: answered with the outcome (201)`, value: delta('accepted'), unit: 'commands' },
    { metric: `${label}: fell back to 202`, value: delta('pending'), unit: 'commands' },
    {
      metric: `${label}: errors`,
      value: result.non2xx + result.errors + result.timeouts,
      unit: 'requests',
      note: `non-2xx ${result.non2xx}, socket errors ${result.errors}, timeouts ${result.timeouts}, 503 ${delta('unavailable')}`,
    },
  ];
}

function fire(stack: Stack, load: Load): Promise<CannonResult> {
  return autocannon({
    url: `${stack.url}/api/v1/tasks`,
    method: 'POST',
    headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      taskTitle: 'Bench task',
      taskDescription: 'created by bench/http-commands',
      warningOffset: 30,
    }),
    connections: load.connections,
    duration: load.seconds,
    timeout: 10,
    ...(load.rate ? { overallRate: load.rate } : {}),
  });
}

/** api_commands_total summed per outcome, from the API's /metrics. */
async function commandCounts(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const counts = new Map<string, number>();
  for (const match of text.matchAll(/^api_commands_total\{[^}]*outcome="([a-z]+)"[^}]*\} (\d+)/gm)) {
    counts.set(match[1]!, (counts.get(match[1]!) ?? 0) + Number(match[2]));
  }
  return counts;
}

async function startStack(): Promise<Stack> {
  const id = randomUUID().slice(0, 8);
  const prefix = `bench-http-${id}.`;
  const schema = `bench_http_${id}`;
  const keys = await mkdtemp(join(tmpdir(), 'tasklog-bench-keys-'));
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  await writeFile(join(keys, 'public.pem'), await exportSPKI(publicKey));
  await writeFile(join(keys, 'private.pem'), await exportPKCS8(privateKey), { mode: 0o600 });
  const [apiPort, grpcPort, processorPort, projectorPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const env = {
    ...process.env,
    TASKLOG_TOPIC_PREFIX: prefix,
    DATABASE_SCHEMA: schema,
    REDIS_KEY_PREFIX: `${prefix}`,
    LOG_LEVEL: 'warn',
  };
  const apps: App[] = [];
  const stop = async () => {
    for (const app of apps.reverse()) await terminate(app);
    await dropKafka(prefix);
    await dropSchema(schema);
    await rm(keys, { recursive: true, force: true });
  };
  try {
    const processor = launch('command-processor', {
      ...env,
      PROCESSOR_GROUP_ID: `${prefix}processor`,
      PROCESSOR_TRANSACTIONAL_ID_PREFIX: `${prefix}writer-`,
      PROCESSOR_PORT: String(processorPort),
    });
    apps.push(processor);
    await ready(processor, `http://127.0.0.1:${processorPort}/health/ready`, 120_000);
    const projector = existsSync(join(DIST, 'projector/src/main.js'))
      ? launch('projector', { ...env, PROJECTOR_GROUP_ID: `${prefix}projector`, PROJECTOR_PORT: String(projectorPort) })
      : null;
    if (projector) apps.push(projector);
    const api = launch('api', {
      ...env,
      PORT: String(apiPort),
      GRPC_PORT: String(grpcPort),
      RATE_LIMIT_ENABLED: 'false',
      COMMANDS_RESULTS_GROUP_PREFIX: `${prefix}api-results-`,
      JWT_PUBLIC_KEY_PATH: join(keys, 'public.pem'),
      JWT_PRIVATE_KEY_PATH: join(keys, 'private.pem'),
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
    const token = await new SignJWT({ scope: 'tasks:read tasks:write' })
      .setProtectedHeader({ alg: 'RS256' })
      .setSubject('bench-user')
      .setIssuer('tasklog')
      .setAudience('tasklog-api')
      .setIssuedAt()
      .setExpirationTime('2h')
      .sign(privateKey);
    return { url, token, projector: projectorUp, stop };
  } catch (error) {
    for (const app of apps) process.stderr.write(`--- ${app.name}\n${app.output.slice(-20).join('')}\n`);
    await stop();
    throw error;
  }
}

function launch(name: string, env: NodeJS.ProcessEnv): App {
  const child = spawn(process.execPath, ['--enable-source-maps', join(DIST, name, 'src/main.js')], {
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
    brokers: (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(','),
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
  const orm = await createOrm(postgresSection(process.env), createLogger('bench', 'warn'));
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
