// A stored position the event log cannot continue from (ADR 0040): a read
// model ahead of its log (the topic was replaced or restored from an older
// copy), or events deleted before they were projected. The projector stops
// those partitions, not ready, and applies nothing of them; the other
// partitions go on; once the position fits the log again (an operator's
// rebuild), the partition resumes without a restart.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from '@jest/globals';
import { TASK_VIEW_PROJECTION, readPositions } from '@tasklog/platform/postgres';
import { commands } from '../../command-processor/test/processor.fixture.js';
import { readModelTask } from './event-log.fixture.js';
import { projectorFixture, readLog, type ProjectorFixture } from './projector.fixture.js';

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('projector: stored positions outside the event log', () => {
  let px: ProjectorFixture | undefined;
  afterEach(async () => {
    await px?.drop();
    px = undefined;
  });

  /** Tasks created until two partitions hold some; returns a task of each. */
  async function tasksInTwoPartitions(fx: ProjectorFixture): Promise<{ p: number; inP: string; inQ: string }> {
    const ids = Array.from({ length: 12 }, () => randomUUID());
    const creates = ids.map((id) => commands.create(id));
    await fx.fx.send(creates);
    await fx.fx.results.waitFor(creates.map((c) => c.metadata.commandId));
    const events = await readLog(fx.fx.kafka, fx.topic);
    const partitionOf = new Map(events.map((e) => [e.recorded.metadata.taskId, e.partition]));
    const inP = ids[0]!;
    const p = partitionOf.get(inP)!;
    const inQ = ids.find((id) => partitionOf.get(id) !== p)!;
    return { p, inP, inQ };
  }

  const setPosition = (fx: ProjectorFixture, partition: number, next: bigint | string) =>
    fx.pool.query(
      `update projection_offsets set next_offset = ${String(next)} where projection = $1 and topic = $2 and partition = $3`,
      [TASK_VIEW_PROJECTION, fx.topic, partition],
    );

  it('refuses a partition whose read model is ahead of the log, projects the others, resumes once it fits', async () => {
    px = await projectorFixture();
    await px.fx.start();
    const { p, inP, inQ } = await tasksInTwoPartitions(px);
    const first = await px.start({ PROJECTOR_RETRY_MAX_MS: '300' });
    await px.waitCaughtUp();
    await first.stop();
    const stored = (await readPositions(px.pool, TASK_VIEW_PROJECTION, px.topic)).get(p)!;
    await setPosition(px, p, stored + 1000n);

    const projector = await px.start({ PROJECTOR_RETRY_MAX_MS: '300' }, { http: true });
    await px.fx.send([commands.update(inP, 'not projected while refused'), commands.update(inQ, 'projected')]);
    await eventually(async () => (await readModelTask(px!.pool, inQ))?.title === 'projected', 'the other partition');
    expect(projector.consumer.isReady()).toBe(false);
    // Readiness says why, and what the operator needs to act.
    const port = (projector.server!.address() as { port: number }).port;
    const health = await fetch(`http://127.0.0.1:${port}/health/ready`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({
      checks: { consumer: 'positions-outside-log' },
      outsideLog: [{ partition: p, stored: String(stored + 1000n), problem: 'ahead-of-log' }],
    });
    // The refused partition got nothing: neither the update nor a moved position.
    expect((await readModelTask(px.pool, inP))?.title).not.toBe('not projected while refused');
    expect((await readPositions(px.pool, TASK_VIEW_PROJECTION, px.topic)).get(p)).toBe(stored + 1000n);

    // What a rebuild does to the position: it fits the log again, and the partition resumes by itself.
    await setPosition(px, p, stored);
    await eventually(
      async () => (await readModelTask(px!.pool, inP))?.title === 'not projected while refused',
      'the refused partition to resume',
    );
    await eventually(async () => projector.consumer.isReady(), 'readiness');
    expect(projector.consumer.partitionsOutsideLog()).toEqual([]);
    await px.expectReadModelEqualsLog(await px.waitCaughtUp());
  }, 90_000);

  it('refuses a partition whose unprojected events were deleted from the log', async () => {
    px = await projectorFixture();
    await px.fx.start();
    const { p, inP, inQ } = await tasksInTwoPartitions(px);
    const admin = px.fx.kafka.admin();
    await admin.connect();
    try {
      // Retention, or an operator's delete-records, took the start of partition p before any projection.
      await admin.fetchTopicMetadata({ topics: [px.topic] });
      await admin.deleteTopicRecords({ topic: px.topic, partitions: [{ partition: p, offset: '-1' }] });
    } finally {
      await admin.disconnect();
    }
    const projector = await px.start({ PROJECTOR_RETRY_MAX_MS: '300' });
    await eventually(async () => (await readModelTask(px!.pool, inQ)) !== undefined, 'the other partition');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await readModelTask(px.pool, inP)).toBeUndefined();
    expect(projector.consumer.isReady()).toBe(false);
    expect(projector.consumer.partitionsOutsideLog()).toMatchObject([{ partition: p, problem: 'events-deleted' }]);
    expect((await readPositions(px.pool, TASK_VIEW_PROJECTION, px.topic)).get(p) ?? 0n).toBe(0n);
  }, 90_000);
});
