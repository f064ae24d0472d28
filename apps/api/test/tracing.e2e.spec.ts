// Tracing end to end: the API runs as a real process (from dist/, where its
// main starts the OpenTelemetry SDK before the app loads) and exports its
// spans over OTLP/HTTP to a collector this test plays on loopback. A
// request's W3C trace context is continued, probes are not traced, and the
// spans still buffered are flushed when the API stops (the exporter's own
// schedule is set past the test's end, so every span seen came that way).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createTestDatabase,
  inheritedEnv,
  testKafka,
  testPostgresConfig,
  uniqueName,
} from '../../../libs/testing/src/infra.js';
import {
  spanAttribute as attribute,
  startOtlpCollector,
  type ExportedSpan,
  type OtlpCollector,
} from '../../../libs/testing/src/otlp.collector.js';
import { createTestKeys, removeKeys, signToken, type TestKeys } from './api.harness.js';

const root = join(import.meta.dirname, '..', '..', '..');

describe('API tracing (child process, OTLP/HTTP)', () => {
  let keys: TestKeys;
  let collector: OtlpCollector;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let api: ChildProcess;
  let baseUrl: string;
  const output: string[] = [];
  const topicPrefix = `${uniqueName('trace')}.`;

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'ignore' });
    keys = await createTestKeys();
    collector = await startOtlpCollector();
    db = await createTestDatabase();
    api = spawn(process.execPath, ['--enable-source-maps', join(root, 'dist/apps/api/src/main.js')], {
      env: {
        ...inheritedEnv(),
        DATABASE_URL: testPostgresConfig(db.schema).url,
        DATABASE_SCHEMA: db.schema,
        REDIS_KEY_PREFIX: `${uniqueName('trace')}:`,
        // Its own topics: the command sent here goes nowhere another test reads.
        TASKLOG_TOPIC_PREFIX: topicPrefix,
        JWT_PUBLIC_KEY_PATH: keys.publicPath,
        JWT_PRIVATE_KEY_PATH: keys.privatePath,
        HOST: '127.0.0.1',
        PORT: '0',
        GRPC_PORT: '0',
        GRPC_QUERIES_PORT: '0',
        LOG_LEVEL: 'info',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: collector.url,
        // The SDK's batch processor would export only after a minute: what the
        // collector gets, the API's shutdown flushed.
        OTEL_BSP_SCHEDULE_DELAY: '60000',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    baseUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the API did not start:\n${output.join('\n')}`)), 60_000);
      api.once('exit', (code) => reject(new Error(`the API exited (${code}):\n${output.join('\n')}`)));
      createInterface({ input: api.stdout! }).on('line', (line) => {
        output.push(line);
        const entry = JSON.parse(line) as { msg?: string; url?: string; tracing?: boolean };
        if (entry.msg !== 'api listening') return;
        clearTimeout(timer);
        if (entry.tracing !== true) reject(new Error(`the API started without tracing: ${line}`));
        resolve(entry.url!.replace('[::1]', '127.0.0.1'));
      });
    });
  }, 120_000);

  afterAll(async () => {
    if (api && api.exitCode === null && api.signalCode === null) {
      api.kill('SIGKILL');
      await new Promise((resolve) => api.once('exit', resolve));
    }
    await collector?.close();
    await db?.drop();
    const admin = testKafka().admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(topicPrefix));
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
    await removeKeys(keys);
  });

  it('continues the caller’s trace context, leaves probes out, and flushes its spans on shutdown', async () => {
    const traceId = randomBytes(16).toString('hex');
    const parentId = randomBytes(8).toString('hex');
    const token = await signToken(keys, 'user-trace', ['tasks:read', 'tasks:write']);

    expect((await fetch(`${baseUrl}/health/live`)).status).toBe(200);
    expect((await fetch(`${baseUrl}/health/ready`)).status).toBe(200);
    const listed = await fetch(`${baseUrl}/api/v1/tasks`, {
      headers: { authorization: `Bearer ${token}`, traceparent: `00-${traceId}-${parentId}-01` },
    });
    expect(listed.status).toBe(200);
    expect((await fetch(`${baseUrl}/api/v1/tasks?limit=1`)).status).toBe(401);
    // A command (answered 202 at once: no processor runs here) names itself on its request's span.
    const commandTrace = randomBytes(16).toString('hex');
    const created = await fetch(`${baseUrl}/api/v1/tasks`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        prefer: 'respond-async',
        traceparent: `00-${commandTrace}-${parentId}-01`,
      },
      body: JSON.stringify({ taskTitle: 'traced' }),
    });
    expect(created.status).toBe(202);
    const commandId = created.headers.get('location')!.split('/').pop()!;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(collector.spans).toEqual([]);

    api.kill('SIGTERM');
    // NestJS closes the app on SIGTERM, then ends the process with that signal again.
    const exit = await new Promise((resolve) => api.once('exit', (code, signal) => resolve(code ?? signal)));
    expect([0, 'SIGTERM']).toContain(exit);

    expect(new Set(collector.spans.map((s) => s.service))).toEqual(new Set(['tasklog-api']));
    const path = (span: ExportedSpan) => attribute(span, 'http.target') ?? attribute(span, 'url.path');
    const status = (span: ExportedSpan) =>
      attribute(span, 'http.status_code') ?? attribute(span, 'http.response.status_code');
    // The traced request continues the caller's trace, as a child of the caller's span.
    const continued = collector.spans.filter((s) => s.traceId === traceId);
    expect(continued).toHaveLength(1);
    expect(continued[0]!.parentSpanId).toBe(parentId);
    expect(continued[0]!.name).toMatch(/^GET/);
    expect(path(continued[0]!)).toBe('/api/v1/tasks');
    expect(status(continued[0]!)).toBe(200);
    // The command's request names the command, its task and how it was answered.
    const command = collector.spans.filter((s) => s.traceId === commandTrace);
    expect(command).toHaveLength(1);
    expect(command[0]!.name).toMatch(/^POST/);
    expect(status(command[0]!)).toBe(202);
    expect(attribute(command[0]!, 'tasklog.command.id')).toBe(commandId);
    expect(attribute(command[0]!, 'tasklog.command.type')).toBe('CreateTask');
    expect(attribute(command[0]!, 'tasklog.task.id')).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/));
    expect(attribute(command[0]!, 'tasklog.command.reply')).toBe('pending');
    // A request without trace context starts a trace of its own, with its status.
    const own = collector.spans.filter((s) => s.traceId !== traceId && s.traceId !== commandTrace);
    expect(own.map((s) => [path(s), status(s), s.parentSpanId ?? ''])).toEqual([['/api/v1/tasks', 401, '']]);
  }, 60_000);
});
