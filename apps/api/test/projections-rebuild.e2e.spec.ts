// Zero-downtime rebuild end to end: API, command processor and projector
// in-process on the real services. While the task view is rebuilt through
// the admin endpoint, two clients keep writing and reading (with consistency
// tokens); no request fails, a concurrent second rebuild is refused with 409,
// every task reads as its last command left it after the swap, and
// `tasklog projections verify` finds the live read model equal to the log.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { testPostgresConfig, inheritedEnv } from '../../../libs/testing/src/infra.js';
import { projectionsVerifyCommand } from '../../cli/src/commands/projections-verify.command.js';
import { expectProblem } from './api.harness.js';
import { queriesFixture, type Caller, type QueriesFixture } from './queries/queries.fixture.js';

interface Expected {
  title: string;
  version: number;
  token: string;
}

describe('projection rebuild while the API serves (e2e)', () => {
  let fx: QueriesFixture;
  let user: Caller;
  let admin: Caller;
  const expected = new Map<string, Expected>();

  beforeAll(async () => {
    fx = await queriesFixture();
    await fx.startProjector();
    user = await fx.as('rebuild-user');
    admin = await fx.as('ops', ['admin']);
    for (let round = 0; round < 10; round++) {
      await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const title = `seed ${round}-${i}`;
          const { task, token } = await fx.createTask(user, { taskTitle: title });
          expected.set(task['taskId'] as string, { title, version: task['version'] as number, token });
        }),
      );
    }
  }, 120_000);
  afterAll(async () => {
    await fx?.close();
  }, 60_000);

  /** Writes then reads back (with the write's token) tasks of its own share until stopped. */
  async function client(
    ids: string[],
    stop: { done: boolean },
    tally: { requests: number; failed: string[]; stale: number },
  ) {
    for (let i = 0; !stop.done; i++) {
      if (i % 10 === 0) {
        const { task, token } = await fx.createTask(user, { taskTitle: `new ${i}` });
        const id = task['taskId'] as string;
        ids.push(id);
        expected.set(id, { title: `new ${i}`, version: task['version'] as number, token });
        tally.requests++;
      }
      const id = ids[i % ids.length]!;
      const title = `${id.slice(-6)} #${i}`;
      const patched = await user('PATCH', `/tasks/${id}`, { body: { taskTitle: title } });
      tally.requests += 2;
      if (patched.status !== 200) {
        tally.failed.push(`PATCH ${patched.status} ${patched.text}`);
        continue;
      }
      const token = patched.headers.get('x-consistency-token')!;
      expected.set(id, { title, version: patched.json['version'] as number, token });
      const read = await user('GET', `/tasks/${id}`, { headers: { 'x-consistency-token': token } });
      if (read.status !== 200) tally.failed.push(`GET ${read.status} ${read.text}`);
      else if (read.json['taskTitle'] !== title) tally.stale++;
      if (i % 5 === 0) {
        const list = await user('GET', '/tasks?limit=20&sort=createdAt');
        tally.requests++;
        if (list.status !== 200) tally.failed.push(`LIST ${list.status} ${list.text}`);
      }
    }
  }

  it('serves every request during a rebuild, refuses a second one, reads no stale task after the swap, verifies equal', async () => {
    const before = (await admin('GET', '/admin/projections')).json['projections'] as Record<string, unknown>[];
    expect(before).toEqual([expect.objectContaining({ name: 'task-view', state: 'live', generation: 1 })]);

    const ids = [...expected.keys()];
    const stop = { done: false };
    const tally = { requests: 0, failed: [] as string[], stale: 0 };
    const clients = [
      client(
        ids.filter((_, i) => i % 2 === 0),
        stop,
        tally,
      ),
      client(
        ids.filter((_, i) => i % 2 === 1),
        stop,
        tally,
      ),
    ];
    await new Promise((resolve) => setTimeout(resolve, 500));

    const [first, second] = await Promise.all([
      admin('POST', '/admin/projections/task-view/rebuild'),
      admin('POST', '/admin/projections/task-view/rebuild'),
    ]);
    const accepted = first.status === 202 ? first : second;
    const refused = first.status === 202 ? second : first;
    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('location')).toBe('/api/v1/admin/projections/task-view');
    expectProblem(refused, 409, 'PROJECTION.REBUILD_IN_PROGRESS');
    const rebuildId = (accepted.json['rebuild'] as { rebuildId: string }).rebuildId;

    let status: Record<string, unknown>;
    const deadline = Date.now() + 90_000;
    for (;;) {
      status = (await admin('GET', '/admin/projections/task-view')).json;
      const rebuild = status['rebuild'] as { rebuildId: string; state: string };
      if (rebuild.rebuildId === rebuildId && rebuild.state === 'done') break;
      expect(rebuild.state).not.toBe('failed');
      if (Date.now() > deadline) throw new Error(`rebuild did not finish: ${JSON.stringify(status)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toMatchObject({ state: 'live', generation: 2 });
    // Keep the load on past the swap (and past the API's one-second generation cache).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    stop.done = true;
    await Promise.all(clients);
    expect(tally.failed).toEqual([]);
    expect(tally.stale).toBe(0);
    expect(tally.requests).toBeGreaterThan(100);

    const last = [...expected.values()].at(-1)!;
    await fx.settled(user, last.token);
    // Plain reads (the cache path included) once every command is projected.
    let stale = 0;
    for (const [id, want] of expected) {
      const read = await user('GET', `/tasks/${id}`);
      if (read.status !== 200 || read.json['taskTitle'] !== want.title || read.json['version'] !== want.version)
        stale++;
    }
    expect(stale).toBe(0);

    const env = {
      ...inheritedEnv(),
      DATABASE_URL: testPostgresConfig(fx.api.schema).url,
      DATABASE_SCHEMA: fx.api.schema,
      TASKLOG_TOPIC_PREFIX: fx.topics.events.slice(0, fx.topics.events.indexOf('tasklog.')),
    };
    expect(await projectionsVerifyCommand.run(['task-view'], env)).toBe(0);
  }, 180_000);

  it('answers 404 for an unknown projection and for cancelling when nothing runs; 403 without the admin scope', async () => {
    expectProblem(await admin('POST', '/admin/projections/nope/rebuild'), 404, 'PROJECTION.NOT_FOUND');
    expectProblem(await admin('DELETE', '/admin/projections/task-view/rebuild'), 404, 'PROJECTION.NOT_FOUND');
    expect((await user('GET', '/admin/projections')).status).toBe(403);
  });
});
