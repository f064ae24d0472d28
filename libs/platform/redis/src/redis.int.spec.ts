import { afterAll, describe, expect, it } from '@jest/globals';
import { testLogger, testRedisConfig, uniqueName } from '../../../testing/src/infra.js';
import { createRedis } from './redis.client.js';

describe('Redis (real, local)', () => {
  const prefix = uniqueName('test');
  const redis = createRedis(testRedisConfig(prefix), testLogger);

  afterAll(async () => {
    await redis.del('greeting', 'counter');
    redis.disconnect();
  });

  it('round-trips a value with a TTL under the key prefix', async () => {
    await new Promise((resolve) => redis.once('ready', resolve));
    await redis.set('greeting', 'hello', 'EX', 30);
    expect(await redis.get('greeting')).toBe('hello');
    expect(await redis.ttl('greeting')).toBeGreaterThan(0);
    expect(await redis.incr('counter')).toBe(1);
  });

  it('fails fast instead of queueing when the server is unreachable', async () => {
    const dead = createRedis({ ...testRedisConfig(prefix), url: 'redis://127.0.0.1:1/0' }, testLogger);
    const started = Date.now();
    await expect(dead.get('anything')).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1500);
    dead.disconnect();
  });
});
