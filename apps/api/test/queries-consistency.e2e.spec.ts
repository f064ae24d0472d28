// Read-your-writes: a command answered by the command API, followed at once
// by a query carrying the command's X-Consistency-Token, always sees the
// command's effect. A plain read before each command keeps the cache warm
// with the previous version, so a cached answer would be caught stale.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { queriesFixture, type Caller, type QueriesFixture } from './queries/queries.fixture.js';

const ITERATIONS = 1000;

describe('read-your-writes with consistency tokens', () => {
  let fx: QueriesFixture;
  let user: Caller;

  beforeAll(async () => {
    fx = await queriesFixture();
    await fx.startProjector();
    user = await fx.as('ryw-user');
  }, 120_000);
  afterAll(async () => {
    await fx?.close();
  }, 60_000);

  it(`sees the command's effect in ${ITERATIONS} command-then-query iterations: zero stale reads`, async () => {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++)
      ids.push((await fx.createTask(user, { taskTitle: `t${i} v0` })).task['taskId'] as string);
    const versions = new Map(ids.map((id) => [id, 1]));
    let stale = 0;
    const waits: number[] = [];
    for (let i = 1; i <= ITERATIONS; i++) {
      const id = ids[i % ids.length]!;
      await user('GET', `/tasks/${id}`);
      const title = `${id.slice(0, 4)} v${i}`;
      const patched = await user('PATCH', `/tasks/${id}`, { body: { taskTitle: title } });
      expect(patched.status).toBe(200);
      versions.set(id, versions.get(id)! + 1);
      const headers = { 'x-consistency-token': patched.headers.get('x-consistency-token')! };
      const started = performance.now();
      const read =
        i % 3 === 0
          ? (
              (await user('GET', `/tasks?search=${id.slice(0, 4)}&limit=100`, { headers })).json['tasks'] as {
                taskId: string;
                taskTitle: string;
                version: number;
              }[]
            ).find((t) => t.taskId === id)
          : ((await user('GET', `/tasks/${id}`, { headers })).json as { taskTitle: string; version: number });
      waits.push(performance.now() - started);
      if (read?.taskTitle !== title || read.version !== versions.get(id)) stale++;
    }
    expect(stale).toBe(0);
    waits.sort((a, b) => a - b);
    process.stderr.write(
      `read-your-writes: ${ITERATIONS} reads, p50 ${waits[ITERATIONS / 2]!.toFixed(1)} ms, p99 ${waits[Math.floor(ITERATIONS * 0.99)]!.toFixed(1)} ms\n`,
    );
  }, 300_000);
});
