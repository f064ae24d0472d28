import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Get, Module, Param, type OnModuleInit } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SignJWT, exportSPKI, generateKeyPair, type CryptoKey } from 'jose';
import { createRedis } from '@tasklog/platform/redis';
import { createTestDatabase, testLogger, testRedisConfig, uniqueName } from '../../../testing/src/infra.js';
import {
  CurrentPrincipal,
  HttpEdgeModule,
  JwtVerifier,
  OwnedResource,
  OwnershipRegistry,
  Scopes,
  authSection,
  createHttpApp,
  httpSection,
  ownerFilter,
  problems,
  rateLimitSection,
  type Principal,
} from '../src/index.js';

// The shared ownership guard on a stand-in resource: the task endpoints
// register their own lookup the same way and prove it on real tasks.
const owners: Record<string, string> = { 'thing-a': 'alice', 'thing-b': 'bob' };

@Controller('things')
class ThingsHttpController {
  @Get()
  @Scopes('tasks:read')
  list(@CurrentPrincipal() principal: Principal) {
    return { ownerFilter: ownerFilter(principal) ?? null };
  }

  @Get(':id')
  @Scopes('tasks:read')
  @OwnedResource('thing')
  get(@Param('id') id: string) {
    if (!owners[id]) throw problems.taskNotFound(id);
    return { id, owner: owners[id] };
  }
}

@Module({ controllers: [ThingsHttpController] })
class ThingsModule implements OnModuleInit {
  constructor(private readonly registry: OwnershipRegistry) {}
  onModuleInit(): void {
    this.registry.register(
      'thing',
      async (id) => owners[id],
      (id) => problems.taskNotFound(id),
    );
  }
}

describe('ownership guard (real PostgreSQL and Redis)', () => {
  let app: NestFastifyApplication;
  let baseUrl: string;
  let privateKey: CryptoKey;
  let keyDir: string;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    keyDir = await mkdtemp(join(tmpdir(), 'tasklog-keys-'));
    await writeFile(join(keyDir, 'public.pem'), await exportSPKI(pair.publicKey));
    db = await createTestDatabase();
    const redis = createRedis(testRedisConfig(uniqueName('own')), testLogger);
    const edge = HttpEdgeModule.forRoot({
      logger: testLogger,
      orm: db.orm,
      redis,
      jwt: await JwtVerifier.create(authSection({ JWT_PUBLIC_KEY_PATH: join(keyDir, 'public.pem') })),
      rateLimits: rateLimitSection({}),
      readiness: [],
      onShutdown: [async () => void redis.disconnect()],
    });
    @Module({ imports: [edge, ThingsModule] })
    class TestAppModule {}
    app = await createHttpApp(TestAppModule, {
      config: httpSection({}),
      logger: testLogger,
      docs: { title: 't', description: 't', version: '1' },
    });
    await app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await db?.drop();
    await rm(keyDir, { recursive: true, force: true });
  });

  async function get(path: string, sub: string, scopes: string[]) {
    const token = await new SignJWT({ scope: scopes.join(' ') })
      .setProtectedHeader({ alg: 'RS256' })
      .setSubject(sub)
      .setIssuer('tasklog')
      .setAudience('tasklog-api')
      .setExpirationTime('5m')
      .sign(privateKey);
    const response = await fetch(baseUrl + path, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('lets the owner reach their resource', async () => {
    expect(await get('/api/v1/things/thing-a', 'alice', ['tasks:read'])).toEqual({
      status: 200,
      body: { id: 'thing-a', owner: 'alice' },
    });
  });

  it("answers another user's resource exactly like a missing one: 404", async () => {
    const foreign = await get('/api/v1/things/thing-b', 'alice', ['tasks:read']);
    const missing = await get('/api/v1/things/thing-z', 'alice', ['tasks:read']);
    expect(foreign.status).toBe(404);
    expect(foreign.body).toMatchObject({ code: 'TASK.NOT_FOUND', detail: 'Task thing-b does not exist' });
    expect(missing.status).toBe(404);
    expect(missing.body['code']).toBe(foreign.body['code']);
  });

  it('lets admin see everything', async () => {
    expect((await get('/api/v1/things/thing-b', 'ops', ['admin'])).body).toEqual({ id: 'thing-b', owner: 'bob' });
    expect((await get('/api/v1/things', 'ops', ['admin'])).body).toEqual({ ownerFilter: null });
    expect((await get('/api/v1/things', 'alice', ['tasks:read'])).body).toEqual({ ownerFilter: 'alice' });
  });

  it('still checks scopes first: 403 without tasks:read', async () => {
    expect((await get('/api/v1/things/thing-a', 'alice', ['tasks:write'])).status).toBe(403);
  });
});
