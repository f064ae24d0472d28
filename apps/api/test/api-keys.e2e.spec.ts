import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  call,
  createTestKeys,
  expectProblem,
  removeKeys,
  signToken,
  startTestApi,
  type TestApi,
  type TestKeys,
} from './api.harness.js';

// The admin API-key endpoints and the request contract every endpoint shares:
// strict bodies (unknown and protected fields refused), size and media-type
// limits, and problem details for all of it.
const KEY_CACHE_TTL_MS = 1000;

describe('API edge: admin API keys and request bodies', () => {
  let keys: TestKeys;
  let api: TestApi;
  let admin: string;
  let user: string;

  beforeAll(async () => {
    keys = await createTestKeys();
    // Authenticated keys are remembered this long (ADR 0030).
    api = await startTestApi(keys, { env: { API_KEY_CACHE_TTL_MS: String(KEY_CACHE_TTL_MS) } });
    admin = await signToken(keys, 'ops-1', ['admin']);
    user = await signToken(keys, 'user-1', ['tasks:read', 'tasks:write']);
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await removeKeys(keys);
  });

  const get = (path: string, headers: Record<string, string> = {}) => call(api.baseUrl, path, { headers });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  describe('API keys', () => {
    it('are created (shown once), listed without secret, usable, and revoked', async () => {
      const created = await call(api.baseUrl, '/api/v1/admin/api-keys', {
        method: 'POST',
        headers: bearer(admin),
        body: { userId: 'user-2', scopes: ['tasks:read'], name: 'ci' },
      });
      expect(created.status).toBe(201);
      expect(created.headers.get('cache-control')).toBe('no-store');
      const key = created.json['key'] as string;
      const id = created.json['id'] as string;
      expect(key).toMatch(new RegExp(`^tlk_${id}_[A-Za-z0-9_-]{43}$`));

      const stored = await api.sql<Record<string, unknown>>('select * from api_keys where id = ?', [id]);
      expect(JSON.stringify(stored)).not.toContain(key.split('_').slice(2).join('_'));

      const listed = await get('/api/v1/admin/api-keys?userId=user-2', bearer(admin));
      expect(listed.status).toBe(200);
      expect(listed.json['apiKeys']).toEqual([
        expect.objectContaining({ id, userId: 'user-2', scopes: ['tasks:read'], name: 'ci', revokedAt: null }),
      ]);
      expect(listed.text).not.toContain(key);

      const me = await get('/api/v1/me', { 'x-api-key': key });
      expect(me.json).toEqual({ userId: 'user-2', scopes: ['tasks:read'], via: 'api-key', credentialId: id });

      expect(
        (await call(api.baseUrl, `/api/v1/admin/api-keys/${id}`, { method: 'DELETE', headers: bearer(admin) })).status,
      ).toBe(204);
      expectProblem(await get('/api/v1/me', { 'x-api-key': key }), 401, 'AUTH.UNAUTHENTICATED');
    });

    it('honour a revocation made elsewhere (another instance, the CLI) within the cache TTL', async () => {
      const created = await call(api.baseUrl, '/api/v1/admin/api-keys', {
        method: 'POST',
        headers: bearer(admin),
        body: { userId: 'user-4', scopes: ['tasks:read'] },
      });
      const key = created.json['key'] as string;
      expect((await get('/api/v1/me', { 'x-api-key': key })).status).toBe(200);
      // Not through this instance: only the TTL can end the remembered authentication.
      await api.sql('update api_keys set revoked_at = now() where id = ?', [created.json['id']]);
      await new Promise((resolve) => setTimeout(resolve, KEY_CACHE_TTL_MS + 100));
      expectProblem(await get('/api/v1/me', { 'x-api-key': key }), 401, 'AUTH.UNAUTHENTICATED');
    });

    it('answers 404 for revoking an unknown key', async () => {
      expectProblem(
        await call(api.baseUrl, '/api/v1/admin/api-keys/0000000000000000', {
          method: 'DELETE',
          headers: bearer(admin),
        }),
        404,
        'API_KEY.NOT_FOUND',
      );
    });

    it('are admin-only: a non-admin gets 403 on every admin endpoint', async () => {
      const apiKey = await call(api.baseUrl, '/api/v1/admin/api-keys', {
        method: 'POST',
        headers: bearer(admin),
        body: { userId: 'user-3', scopes: ['tasks:write'] },
      });
      for (const headers of [bearer(user), { 'x-api-key': apiKey.json['key'] as string }]) {
        expectProblem(
          await call(api.baseUrl, '/api/v1/admin/api-keys', {
            method: 'POST',
            headers,
            body: { userId: 'x', scopes: ['admin'] },
          }),
          403,
          'AUTH.FORBIDDEN',
        );
        expectProblem(await get('/api/v1/admin/api-keys', headers), 403, 'AUTH.FORBIDDEN');
        expectProblem(
          await call(api.baseUrl, `/api/v1/admin/api-keys/${apiKey.json['id'] as string}`, {
            method: 'DELETE',
            headers,
          }),
          403,
          'AUTH.FORBIDDEN',
        );
      }
    });
  });

  describe('request bodies', () => {
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      call(api.baseUrl, '/api/v1/admin/api-keys', { method: 'POST', headers: { ...bearer(admin), ...headers }, body });

    it.each([
      ['an unknown field', { userId: 'u', scopes: ['tasks:read'], colour: 'red' }, 'colour'],
      ['a protected field (id)', { userId: 'u', scopes: ['tasks:read'], id: '0123456789abcdef' }, 'id'],
      ['a protected field (key)', { userId: 'u', scopes: ['tasks:read'], key: 'tlk_mine' }, 'key'],
      ['an unknown scope', { userId: 'u', scopes: ['root'] }, 'scopes'],
      ['a missing field', { scopes: ['tasks:read'] }, 'userId'],
    ])('refuses %s with 400 naming the field', async (_name, body, field) => {
      const response = await post(body);
      expectProblem(response, 400, 'REQUEST.VALIDATION');
      expect(response.json['errors']).toEqual(
        expect.arrayContaining([expect.objectContaining({ field, messages: expect.any(Array) })]),
      );
    });

    it('refuses a 200 kB body with 413', async () => {
      expectProblem(
        await post({ userId: 'u', scopes: ['tasks:read'], name: 'x'.repeat(200 * 1024) }),
        413,
        'REQUEST.TOO_LARGE',
      );
    });

    it('refuses a body that is not JSON with 415, and broken JSON with 400', async () => {
      const text = await call(api.baseUrl, '/api/v1/admin/api-keys', {
        method: 'POST',
        headers: { ...bearer(admin), 'content-type': 'text/plain' },
        rawBody: 'hello',
      });
      expectProblem(text, 415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE');
      const form = await call(api.baseUrl, '/api/v1/admin/api-keys', {
        method: 'POST',
        headers: { ...bearer(admin), 'content-type': 'application/x-www-form-urlencoded' },
        rawBody: 'userId=u',
      });
      expectProblem(form, 415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE');
      const broken = await call(api.baseUrl, '/api/v1/admin/api-keys', {
        method: 'POST',
        headers: { ...bearer(admin), 'content-type': 'application/json' },
        rawBody: '{"userId":',
      });
      expectProblem(broken, 400, 'REQUEST.MALFORMED');
    });
  });

  it('answers an unknown endpoint with a 404 problem', async () => {
    expectProblem(await get('/api/v1/nothing-here', bearer(user)), 404, 'REQUEST.NOT_FOUND');
  });
});
