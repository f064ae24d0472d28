import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT, base64url } from 'jose';
import {
  AUDIENCE,
  ISSUER,
  call,
  createTestKeys,
  expectProblem,
  removeKeys,
  signToken,
  startTestApi,
  type TestApi,
  type TestKeys,
} from './api.harness.js';

// The edge's authentication, authorization and error contract, against a
// running API on the real PostgreSQL, Redis and Kafka.
describe('API edge: authentication and problem details', () => {
  let keys: TestKeys;
  let api: TestApi;
  let user: string;

  beforeAll(async () => {
    keys = await createTestKeys();
    // A high failure limit: this file sends many bad credentials from one address.
    api = await startTestApi(keys, { env: { RATE_LIMIT_AUTH_FAILURES_MAX: '1000' } });
    user = await signToken(keys, 'user-1', ['tasks:read', 'tasks:write']);
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await removeKeys(keys);
  });

  const get = (path: string, headers: Record<string, string> = {}) => call(api.baseUrl, path, { headers });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  describe('rejects with 401 and a problem', () => {
    const now = () => Math.floor(Date.now() / 1000);
    const cases: Array<[string, () => Promise<Record<string, string>>]> = [
      ['no credentials', async () => ({})],
      ['a non-bearer scheme', async () => ({ authorization: 'Basic dXNlcjpwYXNz' })],
      [
        'alg: none',
        async () =>
          bearer(
            unsigned({ alg: 'none' }, { sub: 'user-1', iss: ISSUER, aud: AUDIENCE, exp: now() + 600, scope: 'admin' }),
          ),
      ],
      [
        'an HS256 token signed with the public key',
        async () => bearer(await hs256WithPublicKey(keys.publicPem, now())),
      ],
      ['an expired token', async () => bearer(await signToken(keys, 'user-1', ['admin'], { exp: now() - 60 }))],
      ['a token not yet valid', async () => bearer(await signToken(keys, 'user-1', ['admin'], { nbf: now() + 600 }))],
      ['a wrong audience', async () => bearer(await signToken(keys, 'user-1', ['admin'], { aud: 'someone-else' }))],
      ['a wrong issuer', async () => bearer(await signToken(keys, 'user-1', ['admin'], { iss: 'evil' }))],
      ['an unknown kid', async () => bearer(await signToken(keys, 'user-1', ['admin'], { kid: 'not-a-key-we-know' }))],
      ['a tampered signature', async () => bearer(tamper(await signToken(keys, 'user-1', ['tasks:read'])))],
      [
        'a tampered payload',
        async () =>
          bearer(swapPayload(await signToken(keys, 'user-1', ['tasks:read']), { sub: 'user-1', scope: 'admin' })),
      ],
      [
        'a token of another key pair',
        async () => {
          const other = await createTestKeys();
          const token = await signToken(other, 'user-1', ['admin']);
          await removeKeys(other);
          return bearer(token);
        },
      ],
      ['an unknown API key', async () => ({ 'x-api-key': `tlk_0123456789abcdef_${'A'.repeat(43)}` })],
      ['a malformed API key', async () => ({ 'x-api-key': 'let-me-in' })],
    ];

    it.each(cases)('%s', async (_name, headers) => {
      const response = await get('/api/v1/me', await headers());
      expectProblem(response, 401, 'AUTH.UNAUTHENTICATED');
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    });
  });

  it('answers GET /me with the caller identity and scopes, and echoes X-Request-Id', async () => {
    const response = await get('/api/v1/me', { ...bearer(user), 'x-request-id': 'req-me-1' });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ userId: 'user-1', scopes: ['tasks:read', 'tasks:write'], via: 'jwt' });
    expect(response.headers.get('x-request-id')).toBe('req-me-1');
    const lines = api.logLines.filter((line) => line['requestId'] === 'req-me-1');
    // One access-log line per request, with the request and the status (ADR 0031).
    const completed = lines.filter((line) => line['msg'] === 'request completed');
    expect(completed).toEqual([
      expect.objectContaining({
        req: expect.objectContaining({ method: 'GET', url: '/api/v1/me' }),
        res: { statusCode: 200 },
      }),
    ]);
    expect(lines.some((line) => line['msg'] === 'incoming request')).toBe(false);
  });

  it('generates a request id when none (or an unusable one) is sent', async () => {
    const response = await get('/api/v1/me', { ...bearer(user), 'x-request-id': 'bad id with spaces' });
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.json).not.toHaveProperty('requestId');
    const problem = await get('/api/v1/me');
    expect(problem.json['requestId']).toBe(problem.headers.get('x-request-id'));
  });

  it('stays under the limit: 30 requests, no 429, RateLimit headers counting down', async () => {
    const token = await signToken(keys, 'busy-user', ['tasks:read']);
    const remaining: number[] = [];
    for (let i = 0; i < 30; i++) {
      const response = await get('/api/v1/me', bearer(token));
      expect(response.status).toBe(200);
      expect(response.headers.get('ratelimit-limit')).toBe('100');
      remaining.push(Number(response.headers.get('ratelimit-remaining')));
    }
    expect(remaining[0]).toBe(99);
    expect(remaining.at(-1)).toBe(70);
  });

  it('serves the OpenAPI 3.1 document and the Swagger UI', async () => {
    const doc = await get('/docs-json');
    expect(doc.status).toBe(200);
    expect(doc.json['openapi']).toBe('3.1.0');
    expect(Object.keys(doc.json['paths'] as object)).toEqual(
      expect.arrayContaining(['/api/v1/me', '/api/v1/admin/api-keys', '/api/v1/admin/api-keys/{id}']),
    );
    const ui = await get('/docs');
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger');
  });

  it('exposes the HTTP metrics by route template after traffic, without authentication', async () => {
    await get('/api/v1/admin/api-keys/abc', bearer(user));
    const metrics = await get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/http_requests_total\{method="GET",route="\/api\/v1\/me",status_code="200"\} \d+/);
    expect(metrics.text).toMatch(
      /http_request_duration_seconds_bucket\{le="[0-9.]+",method="GET",route="\/api\/v1\/me",status_code="401"\}/,
    );
    expect(metrics.text).toContain('process_cpu_user_seconds_total');
    expect(metrics.text).not.toContain('route="/api/v1/admin/api-keys/abc"');
    // Each rejected token above failed for its own reason, not by accident.
    for (const reason of [
      'missing',
      'malformed',
      'algorithm',
      'expired',
      'not_yet_valid',
      'claims',
      'unknown_kid',
      'signature',
      'api_key',
    ]) {
      expect(metrics.text).toMatch(new RegExp(`http_auth_failures_total\\{reason="${reason}"\\} [1-9]`));
    }
  });

  it('answers /health/live and /health/ready without authentication', async () => {
    expect((await get('/health/live')).status).toBe(200);
    const ready = await get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.json['details']).toMatchObject({
      postgres: { status: 'up' },
      redis: { status: 'up' },
      kafka: { status: 'up' },
    });
  });

  it('sends the security headers', async () => {
    const response = await get('/health/live');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
  });
});

function unsigned(header: object, payload: object): string {
  const encode = (value: object) => base64url.encode(JSON.stringify(value));
  return `${encode(header)}.${encode(payload)}.`;
}

// The classic algorithm-confusion attack: an HMAC token keyed with the public key.
async function hs256WithPublicKey(publicPem: string, now: number): Promise<string> {
  return new SignJWT({ scope: 'admin' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('user-1')
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setExpirationTime(now + 600)
    .sign(new TextEncoder().encode(publicPem));
}

function tamper(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const flipped = (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
  return `${header}.${payload}.${signature.slice(0, 10)}${flipped}`;
}

function swapPayload(token: string, payload: object): string {
  const [header, , signature] = token.split('.') as [string, string, string];
  return `${header}.${base64url.encode(JSON.stringify({ ...payload, iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600 }))}.${signature}`;
}
