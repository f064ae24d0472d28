// A partition whose transactions keep failing (fault injection: the first
// three fail just before their commit and are aborted). The writer is
// rebuilt twice, then the pipeline gives up, drops what it queued and reads
// the partition again from its last committed command (ADR 0046). Nothing is
// lost or applied twice, and the partition keeps moving afterwards.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { commands, processorFixture, type ProcessorFixture } from './processor.fixture.js';

describe('command processor: transactions failing again and again (real broker)', () => {
  let fx: ProcessorFixture;

  beforeAll(async () => {
    fx = await processorFixture({ PROCESSOR_FAULT_FAIL_TRANSACTIONS: '3' });
    await fx.start();
  }, 60_000);
  afterAll(async () => {
    await fx.drop();
  });

  it('reads the partition again from its last committed command after three failed attempts', async () => {
    const create = commands.create();
    const taskId = create.metadata.taskId;
    const updates = [1, 2, 3].map((n) => commands.update(taskId, `title ${n}`));
    await fx.send([create, ...updates]);
    const ids = [create, ...updates].map((c) => c.metadata.commandId);
    const results = await fx.results.waitFor(ids, 1, 60_000);
    expect(results.map((r) => r.length)).toEqual([1, 1, 1, 1]);
    expect(results.map(([r]) => r!.outcome)).toEqual([
      expect.objectContaining({ kind: 'accepted', newVersion: 1 }),
      expect.objectContaining({ kind: 'accepted', newVersion: 2 }),
      expect.objectContaining({ kind: 'accepted', newVersion: 3 }),
      expect.objectContaining({ kind: 'accepted', newVersion: 4 }),
    ]);

    // The partition moves on with the transactions that follow.
    const later = commands.update(taskId, 'after the failures');
    await fx.send([later]);
    const [[laterResult]] = await fx.results.waitFor([later.metadata.commandId], 1, 30_000);
    expect(laterResult!.outcome).toMatchObject({ kind: 'accepted', newVersion: 5 });

    // The aborted attempts' events are invisible: one event per command, versions 1 to 5.
    const events = (await fx.readEvents()).filter((e) => e.recorded.metadata.taskId === taskId);
    expect(events.map((e) => e.recorded.metadata.version)).toEqual([1, 2, 3, 4, 5]);
    expect(events.map((e) => e.recorded.metadata.causationId)).toEqual([...ids, later.metadata.commandId]);
  }, 120_000);
});
