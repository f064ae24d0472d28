// The cache's Redis scripts on the real server: version markers never let an
// older version back in, and a batch's list holds hide its owners' (and
// `@all`) list generation from the moment they are set until the bump that
// releases them, or until they expire (ADR 0016, ADR 0044).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRedis, type Redis } from '@tasklog/platform/redis';
import { testLogger, testRedisConfig, uniqueName } from '../../../testing/src/infra.js';
import { ALL_USERS, TaskViewCache } from '../src/read-model/task-view.cache.js';

describe('TaskViewCache scripts (real Redis)', () => {
  let redis: Redis;
  let cache: TaskViewCache;

  beforeAll(async () => {
    redis = createRedis(testRedisConfig(uniqueName('cache')), testLogger);
    await new Promise((resolve) => redis.once('ready', resolve));
    cache = new TaskViewCache(redis);
  });
  afterAll(() => redis.disconnect());

  it('a reader cannot put back an older version over the pre-commit marker', async () => {
    const id = uniqueName('task');
    await cache.putTask(1, id, 3, '{"v":3}');
    await cache.markTasks(1, [{ taskId: id, version: 4 }]);
    expect(await cache.getTask(1, id)).toBeUndefined();
    await cache.putTask(1, id, 3, '{"v":3}');
    expect(await cache.getTask(1, id)).toBeUndefined();
    await cache.putTask(1, id, 4, '{"v":4}');
    expect(await cache.getTask(1, id)).toBe('{"v":4}');
  });

  it("holds a batch's owners' lists and @all until its bump releases them, and only them", async () => {
    const [alice, bob] = [uniqueName('alice'), uniqueName('bob')];
    expect(await cache.listGeneration(alice)).toBe('0');
    const token = 'writer-a:1';
    await cache.holdLists([alice], token, 30_000);
    expect(await cache.listGeneration(alice)).toBeNull();
    expect(await cache.listGeneration(ALL_USERS)).toBeNull();
    expect(await cache.listGeneration(bob)).toBe('0');

    // A bump that does not name the token (another batch) bumps but leaves the hold.
    await cache.invalidate(0, [], [alice], ['writer-b:7']);
    expect(await cache.listGeneration(alice)).toBeNull();
    await cache.invalidate(0, [], [alice], [token]);
    expect(await cache.listGeneration(alice)).toBe('2');
    expect(await cache.listGeneration(bob)).toBe('0');
  });

  it('keeps a scope held while any of two overlapping batches holds it', async () => {
    const carol = uniqueName('carol');
    await cache.holdLists([carol], 'w1:1', 30_000);
    await cache.holdLists([carol], 'w2:1', 30_000);
    await cache.invalidate(0, [], [carol], ['w1:1']);
    expect(await cache.listGeneration(carol)).toBeNull();
    await cache.invalidate(0, [], [carol], ['w2:1']);
    expect(await cache.listGeneration(carol)).toBe('2');
  });

  it('lets a hold expire (a projector that died between its commit and its bump), and the next bump clears it', async () => {
    const dave = uniqueName('dave');
    await cache.holdLists([dave], 'dead:1', 150);
    expect(await cache.listGeneration(dave)).toBeNull();
    await sleep(250);
    expect(await cache.listGeneration(dave)).toBe('0');
    await cache.holdLists([dave], 'live:1', 30_000);
    await cache.holdLists([dave], 'dead:2', 1);
    await sleep(20);
    await cache.invalidate(0, [], [dave], ['live:1']);
    expect(await redis.hkeys(`list-hold:${dave}`)).toEqual([]);
    expect(await cache.listGeneration(dave)).toBe('1');
  });
});
