import { randomUUID } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TaskCommand } from '@tasklog/domain';
import { commands, processorFixture, type ProcessorFixture } from './processor.fixture.js';

const root = join(import.meta.dirname, '..', '..', '..');

// Two real processor processes share the partitions; one is SIGKILLed in the
// middle of a stream of thousands of commands. The log must stay exactly-once.
describe('command processor failover (two processes, SIGKILL)', () => {
  let fx: ProcessorFixture;
  const children: ChildProcess[] = [];

  function spawnProcessor(): ChildProcess {
    const child = spawn(
      process.execPath,
      ['--enable-source-maps', join(root, 'dist/apps/command-processor/src/main.js')],
      {
        env: { ...fx.env, PROCESSOR_PORT: '0', LOG_LEVEL: 'warn', PROCESSOR_SESSION_TIMEOUT_MS: '6000' },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    children.push(child);
    return child;
  }

  beforeAll(async () => {
    const { execFileSync } = await import('node:child_process');
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'ignore' });
    fx = await processorFixture({ TASKLOG_PARTITIONS: '6', PROCESSOR_SNAPSHOT_EVERY_EVENTS: '500' });
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await fx.drop();
  });

  it('keeps every accepted command exactly once, versions contiguous, results truthful', async () => {
    const first = spawnProcessor();
    spawnProcessor();
    const taskIds = Array.from({ length: 200 }, () => randomUUID());
    const creates = taskIds.map((id) => commands.create(id));
    await fx.send(creates);
    await fx.results.waitFor(
      creates.map((c) => c.metadata.commandId),
      1,
      60_000,
    );

    const rounds = 15;
    const sent: TaskCommand[] = [];
    for (let round = 0; round < rounds; round++) {
      const batch = taskIds.map((id) => commands.update(id, `round ${round} of ${id}`));
      sent.push(...batch);
      await fx.send(batch);
      if (round === 4) first.kill('SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await fx.results.waitFor(
      sent.map((c) => c.metadata.commandId),
      1,
      90_000,
    );

    const events = await fx.readEvents();
    // Every task: versions 1..n, each once.
    const byTask = new Map<string, number[]>();
    for (const e of events)
      byTask.set(e.recorded.metadata.taskId, [
        ...(byTask.get(e.recorded.metadata.taskId) ?? []),
        e.recorded.metadata.version,
      ]);
    for (const id of taskIds) {
      const versions = byTask.get(id)!;
      expect(versions).toEqual(Array.from({ length: rounds + 1 }, (_, i) => i + 1));
    }
    // Every command appended exactly once.
    const byCause = new Map<string, number>();
    for (const e of events)
      byCause.set(e.recorded.metadata.causationId, (byCause.get(e.recorded.metadata.causationId) ?? 0) + 1);
    for (const c of [...creates, ...sent]) expect(byCause.get(c.metadata.commandId)).toBe(1);
    // No result claims an event that is not in the log, and repeats agree.
    const at = new Map(events.map((e) => [`${e.partition}:${e.offset}`, e]));
    for (const c of [...creates, ...sent]) {
      const results = fx.results.byCommand.get(c.metadata.commandId)!;
      for (const r of results) expect(r).toEqual(results[0]);
      const outcome = results[0]!.outcome;
      expect(outcome.kind).toBe('accepted');
      if (outcome.kind !== 'accepted') continue;
      const event = at.get(`${outcome.partition}:${outcome.offset}`);
      expect(event?.recorded.metadata.causationId).toBe(c.metadata.commandId);
      expect(event?.recorded.metadata.version).toBe(outcome.newVersion);
    }
  });
});
