// Starts real API instances for e2e tests: each on port 0, its own random
// PostgreSQL schema, Redis key prefix and RS256 key pair, optionally through
// TCP proxies that a test can cut to play "PostgreSQL/Redis is down".
import { expect } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  SignJWT,
  calculateJwkThumbprint,
  exportJWK,
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
  type CryptoKey,
} from 'jose';
import { pino, type Logger } from 'pino';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createTestDatabase, testPostgresConfig, uniqueName } from '../../../libs/testing/src/infra.js';
import { apiConfig } from '../src/api.config.js';
import { createApiApp } from '../src/api.app.js';

export interface TestKeys {
  readonly dir: string;
  readonly publicPath: string;
  readonly privatePath: string;
  readonly privateKey: CryptoKey;
  readonly publicPem: string;
  readonly kid: string;
}

export async function createTestKeys(): Promise<TestKeys> {
  const dir = await mkdtemp(join(tmpdir(), 'tasklog-keys-'));
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const publicPem = await exportSPKI(publicKey);
  const publicPath = join(dir, 'jwt-public.pem');
  const privatePath = join(dir, 'jwt-private.pem');
  await writeFile(publicPath, publicPem);
  await writeFile(privatePath, await exportPKCS8(privateKey), { mode: 0o600 });
  const kid = await calculateJwkThumbprint(await exportJWK(publicKey), 'sha256');
  return { dir, publicPath, privatePath, privateKey, publicPem, kid };
}

export const ISSUER = 'tasklog';
export const AUDIENCE = 'tasklog-api';

/** A valid token by default; every claim and header can be overridden to make an invalid one. */
export async function signToken(
  keys: TestKeys,
  sub: string,
  scopes: string[],
  overrides: { iss?: string; aud?: string; exp?: number; nbf?: number; kid?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ scope: scopes.join(' ') })
    .setProtectedHeader({ alg: 'RS256', kid: overrides.kid ?? keys.kid })
    .setSubject(sub)
    .setIssuer(overrides.iss ?? ISSUER)
    .setAudience(overrides.aud ?? AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(overrides.exp ?? now + 600);
  if (overrides.nbf !== undefined) jwt.setNotBefore(overrides.nbf);
  return jwt.sign(keys.privateKey);
}

export interface TestApi {
  readonly app: NestFastifyApplication;
  readonly baseUrl: string;
  readonly schema: string;
  readonly logLines: Record<string, unknown>[];
  sql<T>(query: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** Starts the API in-process. `env` overrides configuration; `postgresPort`/`redisPort` route through proxies. */
export async function startTestApi(
  keys: TestKeys,
  options: { env?: Record<string, string>; postgresPort?: number; redisPort?: number } = {},
): Promise<TestApi> {
  const db = await createTestDatabase();
  const postgresUrl = new URL(testPostgresConfig(db.schema).url);
  if (options.postgresPort) postgresUrl.port = String(options.postgresPort);
  const config = apiConfig({
    DATABASE_URL: postgresUrl.toString(),
    DATABASE_SCHEMA: db.schema,
    REDIS_URL: `redis://127.0.0.1:${options.redisPort ?? 6379}/0`,
    REDIS_KEY_PREFIX: `${uniqueName('e2e')}:`,
    JWT_PUBLIC_KEY_PATH: keys.publicPath,
    JWT_PRIVATE_KEY_PATH: keys.privatePath,
    PORT: '0',
    // A free port per API: tests start several in one process.
    GRPC_PORT: '0',
    GRPC_QUERIES_PORT: '0',
    ...options.env,
  });
  const { logger, lines } = capturingLogger();
  const app = await createApiApp(config, logger);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return {
    app,
    baseUrl: `http://127.0.0.1:${address.port}`,
    schema: db.schema,
    logLines: lines,
    sql: (query, params = []) => db.orm.em.getConnection().execute(query, params),
    async close() {
      await app.close();
      await db.drop();
    },
  };
}

// JSON log lines kept in memory, so tests can check what the app logs.
function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: pino({ level: 'info', base: { app: 'api' } }, sink), lines };
}

export interface TcpProxy {
  readonly port: number;
  /** Drops every connection and refuses new ones until restore(). */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/** A TCP proxy to 127.0.0.1:targetPort that a test can cut: the dependency is "down" for the app. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let down = false;
  const server: Server = createServer((client) => {
    if (down) return void client.destroy();
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    cut() {
      down = true;
      for (const s of sockets) s.destroy();
    },
    restore() {
      down = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export async function removeKeys(keys: TestKeys): Promise<void> {
  await rm(keys.dir, { recursive: true, force: true });
}

/** fetch with JSON in and out; `headers` are sent as given. */
export async function call(
  baseUrl: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown; rawBody?: string } = {},
) {
  const headers = { ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers };
  const body = init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
  const response = await fetch(baseUrl + path, { method: init.method ?? 'GET', headers, body });
  const text = await response.text();
  const json =
    text && /json/.test(response.headers.get('content-type') ?? '')
      ? (JSON.parse(text) as Record<string, unknown>)
      : undefined;
  return { status: response.status, headers: response.headers, json: json ?? {}, text };
}

/** The response is an RFC 9457 problem with this status and code. */
export function expectProblem(response: Awaited<ReturnType<typeof call>>, status: number, code: string): void {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(response.json).toMatchObject({
    status,
    code,
    type: expect.stringMatching(/^https:\/\/tasklog\.dev\/problems\//),
    title: expect.any(String),
    detail: expect.any(String),
    instance: expect.any(String),
  });
}
