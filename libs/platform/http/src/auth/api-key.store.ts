import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Orm } from '@tasklog/platform/postgres';
import type { Logger } from '@tasklog/platform/observability';
import { CredentialCache } from './credential.cache.js';
import { isScope, type Principal, type Scope } from './principal.js';

/** An API key as listed: never its secret. */
export interface ApiKeyView {
  readonly id: string;
  readonly userId: string;
  readonly scopes: Scope[];
  readonly name: string | null;
  readonly createdAt: string;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
}

export interface CreatedApiKey extends ApiKeyView {
  /** The whole key, `tlk_<id>_<secret>`: returned once, at creation, and stored nowhere. */
  readonly key: string;
}

interface ApiKeyRow {
  id: string;
  secret_hash: string;
  user_id: string;
  scopes: string[];
  name: string | null;
  created_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

const KEY_PATTERN = /^tlk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const COLUMNS = 'id, secret_hash, user_id, scopes, name, created_at, revoked_at, last_used_at';

/** How long an authenticated key is served from memory (0: never), and how many are. */
export interface ApiKeyCacheOptions {
  readonly ttlMs: number;
  readonly size: number;
}

/**
 * API keys in PostgreSQL, through the app's ORM connection. The secret has
 * 256 random bits, so a plain SHA-256 digest is enough to make a stolen table
 * useless (ADR 0005); the id prefix finds the row without scanning digests.
 * An authenticated key is remembered for `ttlMs`, keyed by the digest of the
 * whole key (ADR 0030): a revocation through this store takes effect at once,
 * one made through another instance (or the CLI) within `ttlMs`.
 */
export class ApiKeyStore {
  private readonly authenticated: CredentialCache<Principal>;

  constructor(
    private readonly orm: Orm,
    private readonly logger?: Logger,
    private readonly cache: ApiKeyCacheOptions = { ttlMs: 0, size: 0 },
  ) {
    this.authenticated = new CredentialCache(cache.ttlMs > 0 ? cache.size : 0);
  }

  async create(input: { userId: string; scopes: readonly Scope[]; name?: string | undefined }): Promise<CreatedApiKey> {
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const rows = await this.sql(
      `insert into api_keys (id, secret_hash, user_id, scopes, name)
       values (?, ?, ?, string_to_array(?, ' '), ?) returning ${COLUMNS}`,
      [id, digest(secret), input.userId, [...new Set(input.scopes)].join(' '), input.name ?? null],
    );
    return { ...toView(rows[0]!), key: `tlk_${id}_${secret}` };
  }

  async list(filter: { userId?: string | undefined } = {}): Promise<ApiKeyView[]> {
    const rows = filter.userId
      ? await this.sql(`select ${COLUMNS} from api_keys where user_id = ? order by created_at, id`, [filter.userId])
      : await this.sql(`select ${COLUMNS} from api_keys order by created_at, id`, []);
    return rows.map(toView);
  }

  /** Revokes the key (idempotent); undefined when there is no such key. */
  async revoke(id: string): Promise<ApiKeyView | undefined> {
    const rows = await this.sql(
      `update api_keys set revoked_at = coalesce(revoked_at, now()) where id = ? returning ${COLUMNS}`,
      [id],
    );
    this.authenticated.deleteWhere((principal) => principal.credentialId === id);
    return rows[0] ? toView(rows[0]) : undefined;
  }

  /** The principal of a valid, unrevoked key; undefined for anything else (never remembered). */
  async authenticate(presented: string): Promise<Principal | undefined> {
    const match = KEY_PATTERN.exec(presented);
    if (!match) return undefined;
    const [, id, secret] = match as unknown as [string, string, string];
    const cacheKey = digest(presented);
    const known = this.authenticated.get(cacheKey);
    if (known) return known;
    const rows = await this.sql(`select ${COLUMNS} from api_keys where id = ?`, [id]);
    const row = rows[0];
    if (!row || row.revoked_at !== null || !sameDigest(row.secret_hash, digest(secret))) return undefined;
    this.touch(id);
    const principal: Principal = Object.freeze({
      userId: row.user_id,
      scopes: Object.freeze(row.scopes.filter(isScope)),
      via: 'api-key' as const,
      credentialId: id,
    });
    this.authenticated.set(cacheKey, principal, Date.now() + this.cache.ttlMs);
    return principal;
  }

  // last_used_at is informational: written at most once a minute per key, and
  // never awaited, so authentication costs one indexed read.
  private touch(id: string): void {
    this.sql(
      `update api_keys set last_used_at = now()
       where id = ? and (last_used_at is null or last_used_at < now() - interval '1 minute') returning id`,
      [id],
    ).catch((error: unknown) => this.logger?.warn({ err: error, apiKeyId: id }, 'could not record API key use'));
  }

  private sql(query: string, params: unknown[]): Promise<ApiKeyRow[]> {
    return this.orm.em.getConnection().execute<ApiKeyRow[]>(query, params);
  }
}

function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function sameDigest(stored: string, presented: string): boolean {
  const a = Buffer.from(stored, 'hex');
  const b = Buffer.from(presented, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

function toView(row: ApiKeyRow): ApiKeyView {
  return {
    id: row.id,
    userId: row.user_id,
    scopes: row.scopes.filter(isScope),
    name: row.name,
    createdAt: iso(row.created_at)!,
    revokedAt: iso(row.revoked_at),
    lastUsedAt: iso(row.last_used_at),
  };
}

function iso(value: Date | string | null): string | null {
  return value === null ? null : new Date(value).toISOString();
}
