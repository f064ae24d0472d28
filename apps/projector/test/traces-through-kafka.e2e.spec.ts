// Traces through Kafka (DESIGN.md §7, ADR 0061): the command processor and
// the projector run as real processes (from dist/) with tracing on and
// export to a collector this test plays on loopback. Commands carry a
// caller's W3C trace context, as the API writes it. Each transaction of the
// processor and of the projector is a "process" span linked to the contexts
// of its records; a transaction of a single record is also that trace's
// child, so a lone command's processing and projection sit inside the
// caller's trace. The exporters' schedule is set past the test's end: the
// spans seen were flushed by the processes' shutdown.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { taskCommandRecord } from '@tasklog/contracts';
import type { TaskCommand } from '@tasklog/domain';
import {
  spanAttribute,
  startOtlpCollector,
  type ExportedSpan,
  type OtlpCollector,
} from '../../../libs/testing/src/otlp.collector.js';
import { commands } from '../../command-processor/test/processor.fixture.js';
import { projectorFixture, type ProjectorFixture } from './projector.fixture.js';

const root = join(import.meta.dirname, '..', '..', '..');
const CONSUMER = 5;

describe('traces through Kafka (processor and projector as child processes)', () => {
  let px: ProjectorFixture;
  let collector: OtlpCollector;
  const children: ChildProcess[] = [];

  /** Starts a built app with tracing on; resolves once it logged `ready`. */
  function spawnApp(app: string, ready: string): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--enable-source-maps', join(root, `dist/apps/${app}/src/main.js`)], {
      env: {
        ...px.env,
        LOG_LEVEL: 'info',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: collector.url,
        OTEL_BSP_SCHEDULE_DELAY: '60000',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const lines: string[] = [];
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${app} did not log "${ready}":\n${lines.join('\n')}`)), 60_000);
      child.once('exit', (code) => reject(new Error(`${app} exited (${code}):\n${lines.join('\n')}`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        lines.push(line);
        if (!line.includes(ready)) return;
        clearTimeout(timer);
        resolve(child);
      });
    });
  }

  const stopped = (child: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'ignore' });
    collector = await startOtlpCollector();
    px = await projectorFixture();
    await spawnApp('command-processor', 'owned partitions caught up');
    await spawnApp('projector', 'partitions positioned from PostgreSQL');
  }, 120_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await collector?.close();
    await px?.drop();
  });

  /** Sends commands as the API writes them: each with its caller's trace context. */
  async function sendTraced(batch: ReadonlyArray<{ command: TaskCommand; traceparent: string }>): Promise<void> {
    await px.fx.sendRaw(
      batch.map(({ command, traceparent }) => taskCommandRecord(command, { source: '/tasklog/test', traceparent })),
    );
    await px.fx.results.waitFor(batch.map((b) => b.command.metadata.commandId));
  }

  const caller = () => ({ traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex') });
  const traceparent = (c: { traceId: string; spanId: string }) => `00-${c.traceId}-${c.spanId}-01`;
  const linkedTraces = (spans: readonly ExportedSpan[]) =>
    new Set(spans.flatMap((s) => (s.links ?? []).map((l) => l.traceId)));

  it('links every transaction to its records’ requests and puts a lone command’s work in its caller’s trace', async () => {
    // A lone command, processed and projected before anything else is sent.
    const lone = caller();
    await sendTraced([{ command: commands.create(randomUUID(), 'user-traced'), traceparent: traceparent(lone) }]);
    await px.waitCaughtUp();
    // Then twenty at once, each from a request of its own.
    const many = Array.from({ length: 20 }, () => ({ caller: caller(), taskId: randomUUID() }));
    await sendTraced(
      many.map((m) => ({ command: commands.create(m.taskId, 'user-traced'), traceparent: traceparent(m.caller) })),
    );
    await px.waitCaughtUp();
    expect(collector.spans).toEqual([]);

    await Promise.all(children.map(stopped));

    const processing = collector.spans.filter((s) => s.service === 'tasklog-command-processor');
    const projecting = collector.spans.filter((s) => s.service === 'tasklog-projector');
    expect(processing.length).toBeGreaterThan(0);
    expect(projecting.length).toBeGreaterThan(0);
    for (const span of processing) {
      expect(span.name).toBe(`process ${px.fx.config.topics.commands}`);
      expect(span.kind).toBe(CONSUMER);
      expect(spanAttribute(span, 'messaging.system')).toBe('kafka');
      expect(spanAttribute(span, 'messaging.consumer.group.name')).toBe(px.env['PROCESSOR_GROUP_ID']);
    }
    for (const span of projecting) {
      expect(span.name).toBe(`process ${px.topic}`);
      expect(span.kind).toBe(CONSUMER);
    }

    // The lone command: one span of each app in the caller's trace, as children of the caller's span.
    for (const spans of [processing, projecting]) {
      const inTrace = spans.filter((s) => s.traceId === lone.traceId);
      expect(inTrace).toHaveLength(1);
      expect(inTrace[0]!.parentSpanId).toBe(lone.spanId);
      expect(spanAttribute(inTrace[0]!, 'messaging.batch.message_count')).toBe(1);
      expect(inTrace[0]!.links).toEqual([expect.objectContaining({ traceId: lone.traceId, spanId: lone.spanId })]);
    }
    const loneProcessing = processing.find((s) => s.traceId === lone.traceId)!;
    expect(spanAttribute(loneProcessing, 'tasklog.commands.accepted')).toBe(1);
    expect(spanAttribute(loneProcessing, 'tasklog.events')).toBe(1);

    // Every request's context is linked from the transactions that processed and projected its command.
    const callers = [lone, ...many.map((m) => m.caller)].map((c) => c.traceId);
    expect([...linkedTraces(processing)].sort()).toEqual([...callers].sort());
    expect([...linkedTraces(projecting)].sort()).toEqual([...callers].sort());
    // The processor accepted each command once, over all its transactions.
    const accepted = processing.reduce((n, s) => n + Number(spanAttribute(s, 'tasklog.commands.accepted') ?? 0), 0);
    expect(accepted).toBe(21);
  }, 120_000);
});
