// The queries' access to the task read model: PostgreSQL through the ORM's
// pool, with the Redis cache-aside (ADR 0016) in front of single tasks and
// list pages. Redis can only ever cost a query a cache miss: a client that
// is not connected is skipped at once, a failing command is a miss, and
// writes to the cache are never awaited by the request.
import { createHash } from 'node:crypto';
import type { TaskRepresentation } from '@tasklog/contracts';
import { counter, type Logger } from '@tasklog/platform/observability';
import {
  READ_MODEL_TABLES,
  TASK_VIEW_PROJECTION,
  TaskViewCache,
  cacheKeys,
  findTask,
  readGeneration,
  representationFromRow,
  sqlPool,
  type ReadModelTables,
  type SqlPool,
} from '@tasklog/platform/postgres';
import type { ApiDeps } from '../api.deps.js';

const cacheRequests = counter({
  name: 'cache_requests_total',
  help: 'Cache lookups by result: hit, miss, bypass (consistency token), error (Redis unavailable)',
  labelNames: ['result'],
});

export interface CachedTask {
  readonly task: TaskRepresentation;
  readonly json: string;
}

export class TaskReadModel {
  readonly tables: ReadModelTables = READ_MODEL_TABLES;
  private known = { generation: 1, readAt: 0 };
  private refreshing: Promise<void> | null = null;

  constructor(
    readonly pool: SqlPool,
    private readonly cache: TaskViewCache | null,
    private readonly logger: Logger,
    /** How long a read generation is trusted before it is read again (a rebuild's swap bumps it). */
    private readonly generationRefreshMs = 1000,
  ) {}

  static async create(deps: ApiDeps): Promise<TaskReadModel> {
    const { queries } = deps.config;
    const cache = queries.cacheEnabled
      ? new TaskViewCache(deps.redis, {
          taskSeconds: queries.cacheTaskTtlSeconds,
          listSeconds: queries.cacheListTtlSeconds,
          listGenerationSeconds: 86_400,
        })
      : null;
    return new TaskReadModel(await sqlPool(deps.orm), cache, deps.logger, queries.generationRefreshMs);
  }

  /**
   * The projection generation cache keys carry. Refreshed in the background
   * once a second (a rebuild's swap bumps it), so no query waits for it.
   * Until then this instance keys by the previous generation, which the
   * projector keeps marking for a while after a change (ADR 0035): no entry
   * an update outdated is served meanwhile.
   */
  async generation(): Promise<number> {
    if (this.known.readAt === 0) await this.refreshGeneration();
    else if (Date.now() - this.known.readAt > this.generationRefreshMs && !this.refreshing) {
      this.refreshing = this.refreshGeneration()
        .catch((error: unknown) => this.logger.debug({ err: String(error) }, 'generation refresh failed'))
        .finally(() => (this.refreshing = null));
    }
    return this.known.generation;
  }

  private async refreshGeneration(): Promise<void> {
    this.known = { generation: await readGeneration(this.pool, TASK_VIEW_PROJECTION), readAt: Date.now() };
  }

  /**
   * The task's current representation (deleted ones included), with its JSON
   * text (sent as is: a cache hit is never parsed and serialized again), or
   * undefined. `fresh` skips the cache read.
   */
  async task(taskId: string, fresh: boolean): Promise<CachedTask | undefined> {
    const generation = await this.generation();
    const cached = await this.lookup(fresh, () => this.cache!.getTask(generation, taskId));
    if (cached !== undefined) return { task: JSON.parse(cached) as TaskRepresentation, json: cached };
    const row = await findTask(this.pool, this.tables, taskId);
    if (row === undefined) return undefined;
    const task = representationFromRow(row);
    const json = JSON.stringify(task);
    this.store(() => this.cache!.putTask(generation, taskId, task.version, json));
    return { task, json };
  }

  /**
   * A list page from the cache, or loaded and cached. The key carries the
   * scope's list generation as read before loading: a page loaded just
   * before the projector's bump is stored under a generation nobody reads.
   * While a batch holds the scope's lists (from just before its commit to
   * its bump) the page is loaded and not cached (ADR 0044).
   */
  async listPage<T>(scope: string, query: string, fresh: boolean, load: () => Promise<T>): Promise<T> {
    const generation = await this.generation();
    let key: string | undefined;
    const cached = await this.lookup(fresh, async () => {
      const listGeneration = await this.cache!.listGeneration(scope);
      if (listGeneration === null) return undefined;
      key = cacheKeys.list(generation, scope, listGeneration, createHash('sha1').update(query).digest('hex'));
      return this.cache!.getList(key);
    });
    if (cached !== undefined) return JSON.parse(cached) as T;
    const page = await load();
    if (key !== undefined) this.store(() => this.cache!.putList(key!, JSON.stringify(page)));
    return page;
  }

  private async lookup(fresh: boolean, read: () => Promise<string | undefined>): Promise<string | undefined> {
    if (this.cache === null) return undefined;
    if (fresh) return this.count('bypass');
    if (!this.cache.available()) return this.count('error');
    try {
      const value = await read();
      this.count(value === undefined ? 'miss' : 'hit');
      return value;
    } catch (error) {
      this.logger.debug({ err: String(error) }, 'cache read failed: reading PostgreSQL');
      return this.count('error');
    }
  }

  private store(write: () => Promise<void>): void {
    if (this.cache === null || !this.cache.available()) return;
    write().catch((error: unknown) => this.logger.debug({ err: String(error) }, 'cache write failed'));
  }

  private count(result: 'hit' | 'miss' | 'bypass' | 'error'): undefined {
    cacheRequests.inc({ result });
    return undefined;
  }
}
