// How far a projection has got, per partition of its topic, as readers see
// it: read from projection_offsets (committed with the read model itself) and
// pushed by the projector's NOTIFY at each commit. Readers use it to honour a
// consistency token (read-your-writes, ADR 0017) without polling hard.
import type { Logger } from '@tasklog/platform/observability';
import type { PooledSqlClient, SqlClient, SqlPool } from './sql-client.js';
import { PROJECTION_CHANNEL } from './task-events.sql.js';

export async function readPositions(
  client: SqlClient,
  projection: string,
  topic: string,
): Promise<Map<number, bigint>> {
  const { rows } = await client.query<{ partition: number; next_offset: string }>(
    'select partition, next_offset from projection_offsets where projection = $1 and topic = $2',
    [projection, topic],
  );
  return new Map(rows.map((r) => [r.partition, BigInt(r.next_offset)]));
}

export async function readGeneration(client: SqlClient, projection: string): Promise<number> {
  const { rows } = await client.query<{ generation: number }>(
    'select generation from projection_generations where projection = $1',
    [projection],
  );
  return rows[0]?.generation ?? 1;
}

/** A position in the log: the projection has reached it once its next offset is past `offset`. */
export interface LogPosition {
  readonly partition: number;
  readonly offset: bigint;
}

interface Waiter {
  readonly positions: readonly LogPosition[];
  readonly resolve: (reached: boolean) => void;
}

export interface PositionWatchOptions {
  readonly projection: string;
  readonly topic: string;
  /** The schema the projection lives in (NOTIFY is database-wide). */
  readonly schema: string;
  /** Fallback polling while someone waits, should a notification be lost. */
  readonly pollMs: number;
}

export class ProjectionPositionWatch {
  private readonly known = new Map<number, bigint>();
  private readonly waiters = new Set<Waiter>();
  private listener: PooledSqlClient | null = null;
  private poller: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly pool: SqlPool,
    private readonly options: PositionWatchOptions,
    private readonly logger: Logger,
  ) {}

  /** Starts listening (best effort: polling covers the time without a listener). */
  start(): void {
    void this.listen();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of [this.poller, this.retry]) if (timer) clearTimeout(timer);
    for (const waiter of this.waiters) waiter.resolve(false);
    this.waiters.clear();
    const listener = this.listener;
    this.listener = null;
    if (listener) {
      await listener.query(`unlisten ${PROJECTION_CHANNEL}`).catch(() => undefined);
      listener.removeAllListeners('notification');
      listener.release();
    }
  }

  /** Resolves true once every position is reached, false after `timeoutMs` (or on stop). */
  async waitFor(positions: readonly LogPosition[], timeoutMs: number): Promise<boolean> {
    if (this.reached(positions)) return true;
    await this.refresh().catch(() => undefined);
    if (this.reached(positions)) return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), timeoutMs);
      const waiter: Waiter = { positions, resolve: (reached) => done(reached) };
      const done = (reached: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(reached);
      };
      this.waiters.add(waiter);
      this.schedulePoll();
    });
  }

  private reached(positions: readonly LogPosition[]): boolean {
    return positions.every((p) => (this.known.get(p.partition) ?? -1n) > p.offset);
  }

  private advance(partition: number, next: bigint): void {
    if ((this.known.get(partition) ?? -1n) < next) this.known.set(partition, next);
    for (const waiter of [...this.waiters]) if (this.reached(waiter.positions)) waiter.resolve(true);
  }

  private async refresh(): Promise<void> {
    const positions = await readPositions(this.pool, this.options.projection, this.options.topic);
    for (const [partition, next] of positions) this.advance(partition, next);
  }

  private schedulePoll(): void {
    if (this.poller || this.stopped) return;
    this.poller = setTimeout(() => {
      this.poller = null;
      if (this.waiters.size === 0) return;
      void this.refresh()
        .catch(() => undefined)
        .finally(() => this.schedulePoll());
    }, this.options.pollMs);
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    try {
      const client = await this.pool.connect();
      client.on('notification', (message) => this.onNotification(message.payload));
      client.on('error', (error) => this.relisten(client, error));
      await client.query(`listen ${PROJECTION_CHANNEL}`);
      this.listener = client;
      if (this.stopped) await this.stop();
    } catch (error) {
      this.logger.warn({ err: String(error) }, 'projection position listener unavailable; polling');
      this.retry = setTimeout(() => void this.listen(), 1000);
    }
  }

  private relisten(client: PooledSqlClient, error?: Error): void {
    if (this.listener !== client) return;
    this.listener = null;
    client.removeAllListeners('notification');
    client.release(error ?? true);
    if (!this.stopped) this.retry = setTimeout(() => void this.listen(), 1000);
  }

  private onNotification(payload: string | undefined): void {
    const [schema, projection, topic, partition, next] = (payload ?? '').split('|');
    const { options } = this;
    if (schema !== options.schema || projection !== options.projection || topic !== options.topic) return;
    if (partition === undefined || next === undefined) return;
    this.advance(Number(partition), BigInt(next));
  }
}
