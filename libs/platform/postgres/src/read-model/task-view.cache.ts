// Redis cache-aside for the task read model (ADR 0016). Keys carry the
// projection generation, so a rebuilt projection never meets the old one's
// entries. A task's entry is `<version>|<json>`; the projector overwrites it
// just before each commit with a bare `<version>|` marker, and a reader may
// only store a version at least as new as what is there (a script checks):
// a reader that fetched the old row just before the commit cannot put it back. List
// pages are invalidated by a per-user generation counter (no KEYS scans);
// from just before a commit until its bump the owner's lists are held, and
// readers go to PostgreSQL (ADR 0044). Every entry has a TTL; every failure
// is the caller's cache miss.
import type { Redis } from '@tasklog/platform/redis';

/** Counter of the lists spanning every user (admin lists without a userId). */
export const ALL_USERS = '@all';

export interface CacheTtls {
  readonly taskSeconds: number;
  readonly listSeconds: number;
  /** How long a list generation counter outlives its last bump. */
  readonly listGenerationSeconds: number;
}

export const DEFAULT_CACHE_TTLS: CacheTtls = { taskSeconds: 60, listSeconds: 30, listGenerationSeconds: 86_400 };

export const cacheKeys = {
  task: (generation: number, taskId: string) => `task:${generation}:${taskId}`,
  listGeneration: (scope: string) => `list-gen:${scope}`,
  /** Hash of the batches between their commit's start and their bump: batch token → hold expiry (ms). */
  listHolds: (scope: string) => `list-hold:${scope}`,
  list: (generation: number, scope: string, listGeneration: string, queryHash: string) =>
    `list:${generation}:${scope}:${listGeneration}:${queryHash}`,
};

// ARGV: version, body ('' = marker), ttl. Older never replaces newer; a
// marker never replaces the same version's body; a body may replace its marker.
const SET_IF_NEWER = `
local current = redis.call('GET', KEYS[1])
if current then
  local v = tonumber(string.match(current, '^(%d+)|'))
  local new = tonumber(ARGV[1])
  if v and (v > new or (v == new and (ARGV[2] == '' or string.sub(current, -1) ~= '|'))) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'EX', ARGV[3])
return 1`;

// The projector's per-batch writes as one command each (ioredis builds a
// command object and a promise per call: one per key costs more than Redis).
// KEYS: task keys; ARGV[1]: TTL; ARGV[i + 1]: the marker of KEYS[i].
const MARK = `
for i, key in ipairs(KEYS) do redis.call('SET', key, ARGV[i + 1], 'EX', ARGV[1]) end
return #KEYS`;
// The time in Redis (ms): holds are compared with one clock whoever set them.
const NOW_MS = `local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)`;
// KEYS: list-hold hashes; ARGV[1]: batch token, ARGV[2]: hold (ms).
const HOLD = `${NOW_MS}
for _, key in ipairs(KEYS) do
  redis.call('HSET', key, ARGV[1], now + tonumber(ARGV[2]))
  if redis.call('PTTL', key) < tonumber(ARGV[2]) then redis.call('PEXPIRE', key, ARGV[2]) end
end
return #KEYS`;
// KEYS: pairs (list-generation counter, list-hold hash); ARGV[1]: TTL,
// ARGV[2]: the batch tokens to release, space-separated ('' = none). Expired
// holds (a projector that died between its commit and its bump) go too.
const BUMP = `${NOW_MS}
for i = 1, #KEYS, 2 do
  redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], ARGV[1])
  for token in string.gmatch(ARGV[2], '%S+') do redis.call('HDEL', KEYS[i + 1], token) end
  local holds = redis.call('HGETALL', KEYS[i + 1])
  for j = 2, #holds, 2 do
    if tonumber(holds[j]) <= now then redis.call('HDEL', KEYS[i + 1], holds[j - 1]) end
  end
end
return #KEYS / 2`;
// KEYS: the list-generation counter and the list-hold hash of one scope.
// The generation, or nil while a batch holds the scope's lists.
const LIST_GENERATION = `${NOW_MS}
local holds = redis.call('HGETALL', KEYS[2])
for j = 2, #holds, 2 do if tonumber(holds[j]) > now then return nil end end
return redis.call('GET', KEYS[1]) or '0'`;

/** Keys per scripted call: a call blocks Redis for its duration. */
const KEYS_PER_CALL = 2000;

type ScriptedRedis = Redis & {
  tasklogSetIfNewer(key: string, version: number, body: string, ttl: number): Promise<number>;
  tasklogMark(keys: number, ...args: (string | number)[]): Promise<number>;
  tasklogBump(keys: number, ...args: (string | number)[]): Promise<number>;
  tasklogHold(keys: number, ...args: (string | number)[]): Promise<number>;
  tasklogListGeneration(generationKey: string, holdsKey: string): Promise<string | null>;
};

function scripted(redis: Redis): ScriptedRedis {
  const r = redis as ScriptedRedis;
  if (typeof r.tasklogSetIfNewer !== 'function')
    redis.defineCommand('tasklogSetIfNewer', { numberOfKeys: 1, lua: SET_IF_NEWER });
  if (typeof r.tasklogMark !== 'function') redis.defineCommand('tasklogMark', { lua: MARK });
  if (typeof r.tasklogBump !== 'function') redis.defineCommand('tasklogBump', { lua: BUMP });
  if (typeof r.tasklogHold !== 'function') redis.defineCommand('tasklogHold', { lua: HOLD });
  if (typeof r.tasklogListGeneration !== 'function')
    redis.defineCommand('tasklogListGeneration', { numberOfKeys: 2, lua: LIST_GENERATION });
  return r;
}

export class TaskViewCache {
  private readonly redis: ScriptedRedis;

  constructor(
    redis: Redis,
    readonly ttls: CacheTtls = DEFAULT_CACHE_TTLS,
  ) {
    this.redis = scripted(redis);
  }

  /** False while the client is not connected: callers skip the cache instead of waiting. */
  available(): boolean {
    return this.redis.status === 'ready';
  }

  /** The cached representation (JSON text), or undefined on a miss or a marker. */
  async getTask(generation: number, taskId: string): Promise<string | undefined> {
    const value = await this.redis.get(cacheKeys.task(generation, taskId));
    if (value === null) return undefined;
    const body = value.slice(value.indexOf('|') + 1);
    return body === '' ? undefined : body;
  }

  async putTask(generation: number, taskId: string, version: number, json: string): Promise<void> {
    await this.redis.tasklogSetIfNewer(cacheKeys.task(generation, taskId), version, json, this.ttls.taskSeconds);
  }

  /**
   * The scope's list generation, or null while a batch touching it is
   * between its commit's start and its bump: its pages may be older than
   * the database, so the reader neither reads nor stores one.
   */
  async listGeneration(scope: string): Promise<string | null> {
    return this.redis.tasklogListGeneration(cacheKeys.listGeneration(scope), cacheKeys.listHolds(scope));
  }

  async getList(key: string): Promise<string | undefined> {
    return (await this.redis.get(key)) ?? undefined;
  }

  async putList(key: string, json: string): Promise<void> {
    await this.redis.set(key, json, 'EX', this.ttls.listSeconds);
  }

  /**
   * The changed tasks' entries become markers of their new version. The
   * projector writes them just before its commit: from the commit on, no
   * reader can be served, or store, an older version. A plain SET suffices
   * here (no script): a marker never makes an answer stale, and should the
   * commit fail, readers only miss until the TTL.
   */
  async markTasks(generation: number, tasks: readonly { taskId: string; version: number }[]): Promise<void> {
    await Promise.all(this.mark(generation, tasks));
  }

  /**
   * Just before a commit: holds the owners' lists (and `@all`) for the batch
   * `token` until its bump releases them, or for `holdMs` at most.
   */
  async holdLists(owners: readonly string[], token: string, holdMs: number): Promise<void> {
    if (owners.length === 0) return;
    const keys = [...owners, ALL_USERS].map((scope) => cacheKeys.listHolds(scope));
    await this.redis.tasklogHold(keys.length, ...keys, token, holdMs);
  }

  /**
   * After a commit: bump the touched users' list generations and release the
   * holds of the batches `tokens` (and mark tasks not marked before it).
   */
  async invalidate(
    generation: number,
    tasks: readonly { taskId: string; version: number }[],
    owners: readonly string[],
    tokens: readonly string[] = [],
  ): Promise<void> {
    const calls = this.mark(generation, tasks);
    if (owners.length > 0) {
      const keys = [...owners, ALL_USERS].flatMap((scope) => [
        cacheKeys.listGeneration(scope),
        cacheKeys.listHolds(scope),
      ]);
      calls.push(this.redis.tasklogBump(keys.length, ...keys, this.ttls.listGenerationSeconds, tokens.join(' ')));
    }
    await Promise.all(calls);
  }

  private mark(generation: number, tasks: readonly { taskId: string; version: number }[]): Promise<number>[] {
    const calls: Promise<number>[] = [];
    for (let i = 0; i < tasks.length; i += KEYS_PER_CALL) {
      const chunk = tasks.slice(i, i + KEYS_PER_CALL);
      const keys = chunk.map((t) => cacheKeys.task(generation, t.taskId));
      calls.push(
        this.redis.tasklogMark(keys.length, ...keys, this.ttls.taskSeconds, ...chunk.map((t) => `${t.version}|`)),
      );
    }
    return calls;
  }
}
