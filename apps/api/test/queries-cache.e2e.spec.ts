// The Redis cache-aside of the queries, against a Redis server of this test's
// own that it stops and starts: hits and misses are counted, an update is
// never answered from a stale entry, and without Redis every query still
// answers correctly from PostgreSQL, without hanging.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { call } from './api.harness.js';
import { waitFor } from './commands/commands.fixture.js';
import { privateRedis } from './queries/private-redis.js';
import { queriesFixture, type Caller, type QueriesFixture } from './queries/queries.fixture.js';

describe('query cache (Redis cache-aside)', () => {
  let redis: Awaited<ReturnType<typeof privateRedis>>;
  let fx: QueriesFixture;
  let user: Caller;

  beforeAll(async () => {
    redis = await privateRedis();
    fx = await queriesFixture({ redisUrl: redis.url });
    await fx.startProjector();
    user = await fx.as('cached-user');
  }, 120_000);
  afterAll(async () => {
    await fx?.close();
    await redis?.remove();
  }, 60_000);

  async function cacheCount(result: string): Promise<number> {
    const text = (await call(fx.api.baseUrl, '/metrics')).text;
    const line = text.split('\n').find((l) => l.startsWith(`cache_requests_total{result="${result}"}`));
    return line === undefined ? 0 : Number(line.split(' ')[1]);
  }

  async function update(taskId: string, title: string): Promise<void> {
    const patched = await user('PATCH', `/tasks/${taskId}`, { body: { taskTitle: title } });
    expect(patched.status).toBe(200);
    await fx.settled(user, patched.headers.get('x-consistency-token')!);
  }

  async function waitForApiRedis(ready: boolean): Promise<void> {
    const deadline = Date.now() + 15_000;
    while ((fx.runtime.deps.redis.status === 'ready') !== ready) {
      if (Date.now() > deadline) throw new Error(`API redis client never became ${ready ? 'ready' : 'unavailable'}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('serves a task and a list page from the cache the second time, under generation-carrying keys', async () => {
    const { task, token } = await fx.createTask(user, { taskTitle: 'Cache me' });
    await fx.settled(user, token);
    const id = task['taskId'] as string;
    const hits = await cacheCount('hit');
    expect((await user('GET', `/tasks/${id}`)).json).toMatchObject({ taskTitle: 'Cache me' });
    expect((await user('GET', `/tasks/${id}`)).json).toMatchObject({ taskTitle: 'Cache me' });
    await user('GET', '/tasks?limit=5');
    await user('GET', '/tasks?limit=5');
    expect(await cacheCount('hit')).toBe(hits + 2);
    expect(redis.cli('get', `${fx.redisKeyPrefix}task:1:${id}`)).toMatch(/^1\|\{/);
    const ttl = Number(redis.cli('ttl', `${fx.redisKeyPrefix}task:1:${id}`));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it('never answers a stale task or list after an update, even without a consistency token', async () => {
    const { task, token } = await fx.createTask(user, { taskTitle: 'round 0' });
    await fx.settled(user, token);
    const id = task['taskId'] as string;
    for (let round = 1; round <= 20; round++) {
      await user('GET', `/tasks/${id}`);
      await user('GET', '/tasks?search=round');
      await update(id, `round ${round}`);
      const single = await user('GET', `/tasks/${id}`);
      expect(single.json).toMatchObject({ taskTitle: `round ${round}`, version: round + 1 });
      const list = await user('GET', '/tasks?search=round');
      expect((list.json['tasks'] as { taskTitle: string }[]).map((t) => t.taskTitle)).toEqual([`round ${round}`]);
    }
  });

  it('never answers a list page older than the database while the bump after a commit is delayed', async () => {
    // The projector pauses between its commit and its invalidation: a query
    // in that gap finds the database updated and the list generation not yet bumped.
    await fx.stopProjector();
    await fx.startProjector({ PROJECTOR_FAULT_PAUSE_AFTER_COMMIT_MS: '1500' });
    const listGeneration = () => Number(redis.cli('get', `${fx.redisKeyPrefix}list-gen:cached-user`) || 0);
    try {
      let generation = listGeneration();
      const { task, token } = await fx.createTask(user, { taskTitle: 'held 0' });
      await fx.settled(user, token);
      const id = task['taskId'] as string;
      for (let round = 1; round <= 3; round++) {
        await waitFor(async () => listGeneration() > generation || undefined, 10_000, 'the bump after the commit');
        // Released by the bump: the page is cached again.
        await user('GET', '/tasks?search=held');
        const hits = await cacheCount('hit');
        await user('GET', '/tasks?search=held');
        expect(await cacheCount('hit')).toBe(hits + 1);
        generation = listGeneration();
        await update(id, `held ${round}`);
        const list = await user('GET', '/tasks?search=held');
        expect((list.json['tasks'] as { taskTitle: string }[]).map((t) => t.taskTitle)).toEqual([`held ${round}`]);
      }
    } finally {
      await fx.stopProjector();
      await fx.startProjector();
    }
  });

  it('answers from PostgreSQL while Redis is stopped, without hanging, and caches again once it is back', async () => {
    const { task, token } = await fx.createTask(user, { taskTitle: 'Before the outage' });
    await fx.settled(user, token);
    const id = task['taskId'] as string;
    await user('GET', `/tasks/${id}`);
    await redis.stop();
    await waitForApiRedis(false);
    const errors = await cacheCount('error');
    for (let i = 1; i <= 5; i++) {
      const started = Date.now();
      const response = await user('GET', `/tasks/${id}`);
      expect(Date.now() - started).toBeLessThan(500);
      expect(response.json).toMatchObject({ taskTitle: i === 1 ? 'Before the outage' : `outage ${i - 1}` });
      await update(id, `outage ${i}`);
    }
    expect(((await user('GET', '/tasks?search=outage')).json['tasks'] as unknown[]).length).toBe(1);
    expect(await cacheCount('error')).toBeGreaterThanOrEqual(errors + 5);

    await redis.start();
    await waitForApiRedis(true);
    const hits = await cacheCount('hit');
    expect((await user('GET', `/tasks/${id}`)).json).toMatchObject({ taskTitle: 'outage 5' });
    expect((await user('GET', `/tasks/${id}`)).json).toMatchObject({ taskTitle: 'outage 5' });
    expect(await cacheCount('hit')).toBe(hits + 1);
    await update(id, 'after the outage');
    expect((await user('GET', `/tasks/${id}`)).json).toMatchObject({ taskTitle: 'after the outage' });
  });
});
