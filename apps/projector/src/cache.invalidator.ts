// Cache invalidation around each commit (ADR 0016): the changed tasks'
// entries are marked with their new versions and the owners' lists held
// just before the commit; after it the owners' list generations are bumped
// and the holds released (ADR 0044).
// Redis only holds derived data: its failure never fails a batch. What could not be invalidated is
// kept (bounded) and retried with the next batch or after a second, so a
// short Redis outage does not leave entries stale for their whole TTL.
// For a while after the projection generation changes (a rebuild's swap)
// the tasks are marked under the previous generation too: an API instance
// still keying its cache by that one (it re-reads the generation once a
// second) must not be served an entry the update has outdated (ADR 0035).
import type { Logger } from '@tasklog/platform/observability';
import type { TaskViewCache } from '@tasklog/platform/postgres';
import { randomUUID } from 'node:crypto';
import type { ProjectorMetrics } from './projector.metrics.js';

const MAX_PENDING_TASKS = 100_000;
/** A slow Redis may hold a batch's transaction open this long at most. */
const PRE_COMMIT_TIMEOUT_MS = 50;
/** How long after a generation change (or the projector's start) the previous generation is marked too. */
export const PREVIOUS_GENERATION_GRACE_MS = 10_000;
/**
 * The longest a batch holds its owners' lists: a projector that dies
 * between its commit and its bump leaves them uncached this long at most.
 */
export const LIST_HOLD_MS = 30_000;

export class CacheInvalidator {
  private pendingTasks = new Map<string, { generations: readonly number[]; version: number }>();
  private pendingOwners = new Set<string>();
  private pendingTokens = new Set<string>();
  private readonly instance = randomUUID().slice(0, 8);
  private tokens = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  private generation = { current: 0, changedAt: 0 };

  constructor(
    private readonly cache: TaskViewCache,
    private readonly metrics: ProjectorMetrics,
    private readonly logger: Logger,
  ) {}

  /** A new batch token: names the batch's list holds, released by the bump after its commit. */
  holdToken(): string {
    return `${this.instance}:${++this.tokens}`;
  }

  /**
   * Inside the batch's transaction, just before its commit: marks the tasks'
   * entries with their new versions and holds the owners' lists under
   * `token` (best effort, bounded; never throws). False: not done, and the
   * post-commit invalidation marks the tasks instead.
   */
  async beforeCommit(
    generation: number,
    tasks: readonly { taskId: string; version: number }[],
    owners: readonly string[],
    token: string,
  ): Promise<boolean> {
    if (tasks.length === 0 && owners.length === 0) return true;
    if (!this.cache.available()) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>(
      (resolve) => (timer = setTimeout(() => resolve(false), PRE_COMMIT_TIMEOUT_MS)),
    );
    const marked = Promise.all([
      this.cache.holdLists(owners, token, LIST_HOLD_MS),
      ...this.generationsToMark(generation).map((g) => this.cache.markTasks(g, tasks)),
    ]).then(
      () => true,
      () => false,
    );
    const done = await Promise.race([marked, timeout]);
    clearTimeout(timer);
    if (!done) this.metrics.cacheFailures.inc();
    return done;
  }

  /**
   * Queues the changes of one committed batch (tasks: those not marked
   * before the commit; tokens: the holds to release) and flushes (never throws).
   */
  invalidate(
    generation: number,
    tasks: readonly { taskId: string; version: number }[],
    owners: Iterable<string>,
    tokens: Iterable<string> = [],
  ) {
    const generations = this.generationsToMark(generation);
    for (const t of tasks) {
      const known = this.pendingTasks.get(t.taskId);
      if (!known || known.version < t.version) this.pendingTasks.set(t.taskId, { generations, version: t.version });
    }
    for (const owner of owners) this.pendingOwners.add(owner);
    for (const token of tokens) this.pendingTokens.add(token);
    this.running = this.running.then(() => this.flush());
    return this.running;
  }

  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    return this.running;
  }

  private async flush(): Promise<void> {
    if (this.pendingTasks.size === 0 && this.pendingOwners.size === 0) return;
    const tasks = this.pendingTasks;
    const owners = this.pendingOwners;
    const tokens = this.pendingTokens;
    this.pendingTasks = new Map();
    this.pendingOwners = new Set();
    this.pendingTokens = new Set();
    const byGeneration = new Map<number, { taskId: string; version: number }[]>();
    for (const [taskId, { generations, version }] of tasks) {
      for (const generation of generations) {
        const list = byGeneration.get(generation) ?? [];
        list.push({ taskId, version });
        byGeneration.set(generation, list);
      }
    }
    try {
      await this.cache.invalidate(0, [], [...owners], [...tokens]);
      for (const [generation, list] of byGeneration) await this.cache.invalidate(generation, list, []);
    } catch (error) {
      this.metrics.cacheFailures.inc();
      this.keep(tasks, owners, tokens, error);
    }
  }

  /** The generation, and the previous one within the grace period after a change (or after start). */
  private generationsToMark(generation: number): number[] {
    const now = Date.now();
    if (generation !== this.generation.current) this.generation = { current: generation, changedAt: now };
    const recent = now - this.generation.changedAt < PREVIOUS_GENERATION_GRACE_MS;
    return recent && generation > 1 ? [generation, generation - 1] : [generation];
  }

  private keep(
    tasks: Map<string, { generations: readonly number[]; version: number }>,
    owners: Set<string>,
    tokens: Set<string>,
    error: unknown,
  ) {
    if (tasks.size + this.pendingTasks.size > MAX_PENDING_TASKS) {
      this.logger.warn(
        { dropped: tasks.size, err: String(error) },
        'cache invalidations dropped; entries expire by TTL',
      );
      return;
    }
    for (const [id, entry] of tasks) if (!this.pendingTasks.has(id)) this.pendingTasks.set(id, entry);
    for (const owner of owners) this.pendingOwners.add(owner);
    for (const token of tokens) this.pendingTokens.add(token);
    this.logger.debug({ pending: this.pendingTasks.size, err: String(error) }, 'cache invalidation failed; retrying');
    if (this.stopped) return;
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.running = this.running.then(() => this.flush());
    }, 1000);
  }
}
