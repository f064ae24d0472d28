// Regression: an API instance that has not yet re-read the projection
// generation after a rebuild's swap (it trusts it for a while, ADR 0035)
// must not serve a cached task that an update after the swap outdated. The
// swap is simulated by bumping projection_generations; the API is told to
// keep its generation for ten minutes, so it surely still keys by the old one.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TASK_VIEW_PROJECTION } from '@tasklog/platform/postgres';
import { queriesFixture, type Caller, type QueriesFixture } from './queries/queries.fixture.js';

describe('query cache across a projection generation change', () => {
  let fx: QueriesFixture;
  let user: Caller;

  beforeAll(async () => {
    fx = await queriesFixture({ apiEnv: { QUERIES_GENERATION_REFRESH_MS: '600000' } });
    await fx.startProjector();
    user = await fx.as('generation-user');
  }, 120_000);
  afterAll(async () => {
    await fx?.close();
  }, 60_000);

  it('never serves an entry of the previous generation that an update outdated', async () => {
    const { task, token } = await fx.createTask(user, { taskTitle: 'before the swap' });
    await fx.settled(user, token);
    const id = task['taskId'] as string;
    // Cached under the generation the API knows (1).
    expect((await user('GET', `/tasks/${id}`)).json).toMatchObject({ taskTitle: 'before the swap' });
    expect((await user('GET', `/tasks/${id}`)).json).toMatchObject({ taskTitle: 'before the swap' });
    await fx.runtime.reads.pool.query(
      `insert into projection_generations (projection, generation) values ($1, 2)
       on conflict (projection) do update set generation = projection_generations.generation + 1`,
      [TASK_VIEW_PROJECTION],
    );
    for (let round = 1; round <= 3; round++) {
      const patched = await user('PATCH', `/tasks/${id}`, { body: { taskTitle: `after the swap ${round}` } });
      expect(patched.status).toBe(200);
      await fx.settled(user, patched.headers.get('x-consistency-token')!);
      expect((await user('GET', `/tasks/${id}`)).json).toMatchObject({ taskTitle: `after the swap ${round}` });
      expect((await user('GET', `/tasks/${id}`)).json).toMatchObject({ taskTitle: `after the swap ${round}` });
    }
  });
});
