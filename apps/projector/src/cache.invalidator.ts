// Cache invalidation after each commit. Redis only holds derived data: its
// failure never fails or delays a batch. What could not be invalidated is
// kept (bounded) and retried with the next batch or after a second, so a
// short Redis outage does not leave entries stale for their whole TTL.
import type { Logger } from '@tasklog/platform/observability';
import type { TaskViewCache } from '@tasklog/platform/postgres';
import type { ProjectorMetrics } from './projector.metrics.js';

const MAX_PENDING_TASKS = 100_000;

export class CacheInvalidator {
  private pendingTasks = new Map<string, { generation: number; version: number }>();
  private pendingOwners = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly cache: TaskViewCache,
    private readonly metrics: ProjectorMetrics,
    private readonly logger: Logger,
  ) {}

  /** Queues the changes of one committed batch and flushes (never throws). */
  invalidate(generation: number, tasks: readonly { taskId: string; version: number }[], owners: Iterable<string>) {
    for (const t of tasks) {
      const known = this.pendingTasks.get(t.taskId);
      if (!known || known.version < t.version) this.pendingTasks.set(t.taskId, { generation, version: t.version });
    }
    for (const owner of owners) this.pendingOwners.add(owner);
    this.running = this.running.then(() => this.flush());
    return this.running;
  }

  stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    return this.running;
  }

  private async flush(): Promise<void> {
    if (this.pendingTasks.size === 0) return;
    const tasks = this.pendingTasks;
    const owners = this.pendingOwners;
    this.pendingTasks = new Map();
    this.pendingOwners = new Set();
    const byGeneration = new Map<number, { taskId: string; version: number }[]>();
    for (const [taskId, { generation, version }] of tasks) {
      const list = byGeneration.get(generation) ?? [];
      list.push({ taskId, version });
      byGeneration.set(generation, list);
    }
    try {
      for (const [generation, list] of byGeneration) await this.cache.invalidate(generation, list, [...owners]);
    } catch (error) {
      this.metrics.cacheFailures.inc();
      this.keep(tasks, owners, error);
    }
  }

  private keep(tasks: Map<string, { generation: number; version: number }>, owners: Set<string>, error: unknown) {
    if (tasks.size + this.pendingTasks.size > MAX_PENDING_TASKS) {
      this.logger.warn({ dropped: tasks.size, err: String(error) }, 'cache invalidations dropped; entries expire by TTL');
      return;
    }
    for (const [id, entry] of tasks) if (!this.pendingTasks.has(id)) this.pendingTasks.set(id, entry);
    for (const owner of owners) this.pendingOwners.add(owner);
    this.logger.debug({ pending: this.pendingTasks.size, err: String(error) }, 'cache invalidation failed; retrying');
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.running = this.running.then(() => this.flush());
    }, 1000);
  }
}
