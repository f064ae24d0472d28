// Property (fast-check): for random command streams decided by the real
// command processor, the read model the projector builds live equals the one
// built by replaying the event log from offset 0 in one pass.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { TaskCommand } from '@tasklog/domain';
import {
  READ_MODEL_TABLES,
  TASK_VIEW_PROJECTION,
  inTransaction,
  projectTaskEvents,
  sqlPool,
} from '@tasklog/platform/postgres';
import { arbCommand } from '@tasklog/testing';
import { createTestDatabase } from '../../../libs/testing/src/infra.js';
import { dumpReadModel } from './event-log.fixture.js';
import { projectorFixture, readLog, type ProjectorFixture } from './projector.fixture.js';

describe('live projection = replay from offset 0 (fast-check, real services)', () => {
  let px: ProjectorFixture;

  beforeAll(async () => {
    px = await projectorFixture();
    await px.fx.start();
    await px.start();
  });
  afterAll(async () => {
    await px.drop();
  });

  async function replayFromZero(): Promise<Record<string, unknown[]>> {
    const replay = await createTestDatabase();
    try {
      const pool = await sqlPool(replay.orm);
      const events = await readLog(px.fx.kafka, px.topic);
      const target = { tables: READ_MODEL_TABLES, projection: TASK_VIEW_PROJECTION, topic: px.topic, notify: false };
      for (const partition of new Set(events.map((e) => e.partition))) {
        const own = events.filter((e) => e.partition === partition);
        const endOffset = own[own.length - 1]!.offset + 1n;
        // The live projector writes small batches through the JSON statement; the replay takes the COPY path.
        await inTransaction(pool, (client) =>
          projectTaskEvents(client, target, { partition, events: own, endOffset }, { copyFromEvents: 0 }),
        );
      }
      return await dumpReadModel(pool);
    } finally {
      await replay.drop();
    }
  }

  it('holds for random command streams over a few tasks', async () => {
    const arbStream = fc
      .array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 30 })
      .chain((picks) => fc.tuple(...picks.map((pick) => arbCommand(`slot-${pick}`))));
    await fc.assert(
      fc.asyncProperty(arbStream, async (stream) => {
        // Each task is created first (random creates then meet ALREADY_EXISTS), so streams do more than NOT_FOUND.
        const ids = new Map<string, string>();
        const commands: TaskCommand[] = stream.flatMap((c) => {
          const slot = c.metadata.taskId;
          const created = ids.has(slot);
          if (!created) ids.set(slot, randomUUID());
          const metadata = { ...c.metadata, taskId: ids.get(slot)!, commandId: randomUUID(), actorId: 'user-1' };
          const create: TaskCommand = { type: 'CreateTask', data: { ownerId: 'user-1', title: slot }, metadata };
          const own = { ...c, metadata: { ...c.metadata, taskId: metadata.taskId, commandId: randomUUID() } };
          return created ? [own as TaskCommand] : [create, own as TaskCommand];
        });
        await px.fx.send(commands);
        await px.fx.results.waitFor(commands.map((c) => c.metadata.commandId));
        const events = await px.waitCaughtUp();
        await px.expectReadModelEqualsLog(events);
        expect(await dumpReadModel(px.pool)).toEqual(await replayFromZero());
      }),
      { numRuns: 12 },
    );
  });
});
