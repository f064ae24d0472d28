import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import grpc from '@grpc/grpc-js';
import { QueriesRuntime } from '../src/queries/queries.module.js';
import {
  call,
  createTestKeys,
  removeKeys,
  signToken,
  startTcpProxy,
  startTestApi,
  type TcpProxy,
  type TestApi,
  type TestKeys,
} from './api.harness.js';
import { taskQueriesClient } from './queries/grpc-queries.client.js';

// Rate limits in Redis: per principal, per client address for authentication
// failures, and failing open (visibly, without hanging) when Redis is gone;
// gRPC calls count against the same windows (ADR 0039). TRUST_PROXY lets
// each HTTP test be its own client address via X-Forwarded-For; gRPC calls
// come from 127.0.0.1, so the test that blocks that address runs last.
describe('API edge: rate limits', () => {
  let keys: TestKeys;
  let api: TestApi;
  let redisProxy: TcpProxy;
  let viaProxy: TestApi;

  const limits = {
    RATE_LIMIT_API_MAX: '3',
    RATE_LIMIT_API_WINDOW_SECONDS: '60',
    RATE_LIMIT_AUTH_FAILURES_MAX: '2',
    TRUST_PROXY: 'true',
  };

  beforeAll(async () => {
    keys = await createTestKeys();
    redisProxy = await startTcpProxy(6379);
    [api, viaProxy] = await Promise.all([
      startTestApi(keys, { env: limits }),
      startTestApi(keys, { env: limits, redisPort: redisProxy.port }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([api?.close(), viaProxy?.close()]);
    await redisProxy?.close();
    await removeKeys(keys);
  });

  const me = (target: TestApi, headers: Record<string, string>) => call(target.baseUrl, '/api/v1/me', { headers });

  it('answers 429 with Retry-After and RateLimit headers past the limit, per principal', async () => {
    const headers = {
      authorization: `Bearer ${await signToken(keys, 'limited-user', ['tasks:read'])}`,
      'x-forwarded-for': '203.0.113.1',
    };
    for (let i = 0; i < 3; i++) {
      const ok = await me(api, headers);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('ratelimit-remaining')).toBe(String(2 - i));
    }
    const refused = await me(api, headers);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.json).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get('ratelimit-limit')).toBe('3');
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    expect(refused.headers.get('ratelimit-policy')).toBe('3;w=60');

    // Another principal from the same address has its own budget.
    const other = { ...headers, authorization: `Bearer ${await signToken(keys, 'other-user', ['tasks:read'])}` };
    expect((await me(api, other)).status).toBe(200);
  });

  it('exempts health and metrics', async () => {
    for (let i = 0; i < 10; i++) {
      expect((await call(api.baseUrl, '/health/live')).status).toBe(200);
      expect((await call(api.baseUrl, '/metrics')).status).toBe(200);
    }
  });

  it('answers 429 after too many authentication failures from one address, even to valid credentials', async () => {
    const address = { 'x-forwarded-for': '203.0.113.2' };
    for (let i = 0; i < 2; i++)
      expect((await me(api, { ...address, authorization: 'Bearer nonsense' })).status).toBe(401);
    const blocked = await me(api, { ...address, authorization: 'Bearer nonsense' });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(60);
    const valid = await me(api, {
      ...address,
      authorization: `Bearer ${await signToken(keys, 'victim', ['tasks:read'])}`,
    });
    expect(valid.status).toBe(429);
    // Other addresses are unaffected.
    expect((await me(api, { 'x-forwarded-for': '203.0.113.3', authorization: 'Bearer nonsense' })).status).toBe(401);
  });

  it('fails open when Redis is unreachable: no 429, no hang, a metric and a log line', async () => {
    const headers = {
      authorization: `Bearer ${await signToken(keys, 'fail-open-user', ['tasks:read'])}`,
      'x-forwarded-for': '203.0.113.4',
    };
    expect((await me(viaProxy, headers)).status).toBe(200);
    redisProxy.cut();
    try {
      for (let i = 0; i < 6; i++) {
        const started = Date.now();
        const response = await me(viaProxy, headers);
        expect(response.status).toBe(200);
        expect(response.headers.get('ratelimit-limit')).toBeNull();
        expect(Date.now() - started).toBeLessThan(1500);
      }
      const metrics = await call(viaProxy.baseUrl, '/metrics');
      expect(metrics.text).toMatch(/rate_limiter_fail_open_total\{limiter="api"\} [1-9]/);
      expect(viaProxy.logLines.some((line) => line['msg'] === 'rate limiter unavailable: failing open')).toBe(true);
      const ready = await call(viaProxy.baseUrl, '/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.json).toMatchObject({ status: 'degraded', details: { redis: { status: 'degraded' } } });
    } finally {
      redisProxy.restore();
    }
    await eventually(async () => (await me(viaProxy, headers)).headers.get('ratelimit-limit') === '3');
  }, 30_000);
  it("counts gRPC calls in the principal's window shared with REST; past it RESOURCE_EXHAUSTED with retry-after", async () => {
    const client = taskQueriesClient(api.app.get(QueriesRuntime).grpc!.port);
    try {
      const headers = { authorization: `Bearer ${await signToken(keys, 'grpc-limited', ['tasks:read'])}` };
      expect((await me(api, { ...headers, 'x-forwarded-for': '203.0.113.5' })).status).toBe(200);
      for (let i = 0; i < 2; i++) expect(await client.call('GetTaskStats', {}, headers)).toMatchObject({ ok: true });
      const refused = await client.call('GetTaskStats', {}, headers);
      expect(refused).toMatchObject({
        ok: false,
        code: grpc.status.RESOURCE_EXHAUSTED,
        metadata: { 'tasklog-code': 'RATE_LIMITED' },
      });
      const retryAfter = Number((refused as { metadata: Record<string, string> }).metadata['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect((await me(api, { ...headers, 'x-forwarded-for': '203.0.113.5' })).status).toBe(429);
    } finally {
      client.close();
    }
  });

  it('blocks a gRPC peer after too many authentication failures, over both transports, valid credentials too', async () => {
    const client = taskQueriesClient(api.app.get(QueriesRuntime).grpc!.port);
    try {
      const nonsense = { authorization: 'Bearer nonsense' };
      for (let i = 0; i < 2; i++)
        expect(await client.call('GetTaskStats', {}, nonsense)).toMatchObject({
          ok: false,
          code: grpc.status.UNAUTHENTICATED,
        });
      expect(await client.call('GetTaskStats', {}, nonsense)).toMatchObject({
        ok: false,
        code: grpc.status.RESOURCE_EXHAUSTED,
        metadata: { 'tasklog-code': 'RATE_LIMITED' },
      });
      const valid = { authorization: `Bearer ${await signToken(keys, 'grpc-victim', ['tasks:read'])}` };
      expect(await client.call('GetTaskStats', {}, valid)).toMatchObject({
        ok: false,
        code: grpc.status.RESOURCE_EXHAUSTED,
      });
      // The same address (no X-Forwarded-For: the socket's 127.0.0.1) is blocked over HTTP as well.
      expect((await me(api, valid)).status).toBe(429);
    } finally {
      client.close();
    }
  });
});

async function eventually(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
