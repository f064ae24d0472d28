// Exactly-once across crashes: the projector runs as a real process (from
// dist/) and is SIGKILLed between its PostgreSQL commit and its Kafka offset
// commit (an env-gated pause holds it exactly there), and then again at
// random moments of a stream. After each restart the read model must equal
// the fold of the log, task by task, with no event applied twice.
import { randomUUID } from 'node:crypto';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TaskCommand } from '@tasklog/domain';
import { TASK_VIEW_PROJECTION, readPositions } from '@tasklog/platform/postgres';
import { commands } from '../../command-processor/test/processor.fixture.js';
import { projectorFixture, type ProjectorFixture } from './projector.fixture.js';

const root = join(import.meta.dirname, '..', '..', '..');

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('projector killed with SIGKILL (child process)', () => {
  let px: ProjectorFixture;
  const children: ChildProcess[] = [];
  const ids = Array.from({ length: 60 }, () => randomUUID());

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'ignore' });
    px = await projectorFixture();
    await px.fx.start();
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await px.drop();
  });

  /** Starts dist/apps/projector; resolves `faulted` when it logs a commit held before the Kafka offset commit. */
  function spawnProjector(extra: Record<string, string> = {}) {
    const child = spawn(process.execPath, ['--enable-source-maps', join(root, 'dist/apps/projector/src/main.js')], {
      env: { ...px.env, LOG_LEVEL: 'warn', PROJECTOR_SESSION_TIMEOUT_MS: '6000', ...extra },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const lines: string[] = [];
    const faulted = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no fault-injection line; output: ${lines.join('\n')}`)), 45_000);
      child.on('exit', () => clearTimeout(timer));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        lines.push(line);
        if (!line.includes('fault injection: committed to PostgreSQL')) return;
        clearTimeout(timer);
        resolve();
      });
    });
    faulted.catch(() => undefined);
    return { child, faulted };
  }

  async function sendAndWait(batch: TaskCommand[]): Promise<void> {
    await px.fx.send(batch);
    await px.fx.results.waitFor(batch.map((c) => c.metadata.commandId));
  }

  async function kafkaCommitted(): Promise<Map<number, bigint>> {
    const admin = px.fx.kafka.admin();
    await admin.connect();
    try {
      const [topic] = await admin.fetchOffsets({ groupId: px.env['PROJECTOR_GROUP_ID']!, topics: [px.topic] });
      return new Map(topic!.partitions.map((p) => [p.partition, BigInt(p.offset)]));
    } finally {
      await admin.disconnect();
    }
  }

  it('killed between the database commit and the Kafka offset commit: restarts from PostgreSQL, nothing twice', async () => {
    await sendAndWait(ids.map((id, i) => commands.create(id, `user-${i % 5}`)));
    const first = spawnProjector({ PROJECTOR_FAULT_PAUSE_AFTER_COMMIT_MS: '60000' });
    await first.faulted;
    first.child.kill('SIGKILL');
    const stored = await readPositions(px.pool, TASK_VIEW_PROJECTION, px.topic);
    const committed = await kafkaCommitted();
    // At least one partition is applied in PostgreSQL and not acknowledged to Kafka.
    expect([...stored].some(([p, next]) => next > (committed.get(p) ?? -1n))).toBe(true);

    await sendAndWait(ids.map((id) => commands.update(id, `after the crash ${id.slice(0, 4)}`)));
    spawnProjector();
    const events = await px.waitCaughtUp(90_000);
    await px.expectReadModelEqualsLog(events);
  });

  it('killed at random moments of a stream: the final read model equals the fold of the log', async () => {
    const sent: string[] = [];
    for (let round = 0; round < 4; round++) {
      const before = await appliedEvents();
      const { child } = spawnProjector();
      const stream = (async () => {
        for (let burst = 0; burst < 6; burst++) {
          const burstCommands = ids.map((id) => commands.update(id, `round ${round}.${burst} ${id.slice(0, 4)}`));
          sent.push(...burstCommands.map((c) => c.metadata.commandId));
          await px.fx.send(burstCommands);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })();
      // Killed once it is projecting this round's stream, somewhere in the middle of it.
      await waitFor(async () => (await appliedEvents()) > before, 60_000);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 150));
      child.kill('SIGKILL');
      await stream;
    }
    await px.fx.results.waitFor(sent, 1, 60_000);
    spawnProjector();
    const events = await px.waitCaughtUp(90_000);
    await px.expectReadModelEqualsLog(events);
  });

  async function appliedEvents(): Promise<number> {
    const { rows } = await px.pool.query<{ n: string }>('select count(*) as n from task_history');
    return Number(rows[0]!.n);
  }
});
