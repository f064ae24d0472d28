import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  call,
  createTestKeys,
  removeKeys,
  startTcpProxy,
  startTestApi,
  type TcpProxy,
  type TestApi,
  type TestKeys,
} from './api.harness.js';

// Readiness follows the app's own PostgreSQL connection. Stopping the shared
// server would disturb other test files, so this app reaches PostgreSQL
// through a proxy the test cuts: from the app's side, PostgreSQL is down.
describe('API edge: health', () => {
  let keys: TestKeys;
  let proxy: TcpProxy;
  let api: TestApi;

  beforeAll(async () => {
    keys = await createTestKeys();
    proxy = await startTcpProxy(5432);
    api = await startTestApi(keys, { postgresPort: proxy.port });
  }, 60_000);

  afterAll(async () => {
    proxy?.restore();
    await api?.close();
    await proxy?.close();
    await removeKeys(keys);
  });

  it('turns unready when PostgreSQL is stopped and ready again when it returns; liveness never changes', async () => {
    expect((await call(api.baseUrl, '/health/ready')).status).toBe(200);

    proxy.cut();
    const unready = await call(api.baseUrl, '/health/ready');
    expect(unready.status).toBe(503);
    expect(unready.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(unready.json).toMatchObject({
      code: 'SERVICE.UNAVAILABLE',
      status: 503,
      checks: { postgres: { status: 'down' }, redis: { status: 'up' }, kafka: { status: 'up' } },
    });
    expect((await call(api.baseUrl, '/health/live')).status).toBe(200);

    proxy.restore();
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (status !== 200 && Date.now() < deadline) {
      status = (await call(api.baseUrl, '/health/ready')).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toBe(200);
  }, 30_000);
});
