// The projector's consumer group on tasklog.task-events.v1 (read_committed),
// with the platform's own group consumer (ADR 0052). PostgreSQL, not Kafka,
// knows where each partition stands: at every group join no assigned
// partition is fetched until it is sought to the offset stored with the read
// model. Each fetched batch is decoded here and handed to the ProjectionWriter, which
// applies it in a database transaction together with the new offsets (ADR
// 0015, 0033); the consumer goes back to Kafka meanwhile, held only when the
// writer's queue is full. Kafka's group offsets are committed afterwards,
// about once a second, for monitoring only. A failing database holds the
// writer (retry with backoff, readiness false); nothing is skipped for it.
// A stored position outside the partition's log (a read model ahead of its
// log, or events deleted before they were projected: a replaced or
// truncated topic) stops that partition, not ready, until an operator
// rebuilds the projection (ADR 0040): nothing is skipped for that either.
import type kafkajs from 'kafkajs';
import {
  GroupConsumer,
  type DeadLetterRecord,
  logRanges,
  type ConsumedBatch,
  type Generation,
  type KafkaClient,
  type LogRange,
} from '@tasklog/platform/kafka';
import type { Logger } from '@tasklog/platform/observability';
import { READ_MODEL_TABLES, TASK_VIEW_PROJECTION, readPositions, type SqlPool } from '@tasklog/platform/postgres';
import type { CacheInvalidator } from './cache.invalidator.js';
import { decode } from './committed-batch.js';
import { GroupOffsetsReporter } from './group-offsets.reporter.js';
import { ProjectionWriter } from './projection.writer.js';
import type { ProjectorConfig } from './projector.config.js';
import type { ProjectorMetrics } from './projector.metrics.js';

/** How often the informational Kafka group offsets are committed. */
const GROUP_OFFSETS_INTERVAL_MS = 1000;

/** A retry delay that never keeps a stopping process alive. */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

export class TaskEventsConsumer {
  private consumer: GroupConsumer | null = null;
  private dlq: kafkajs.Producer | null = null;
  /** Partitions sought to their stored offset in this generation, and the next offset to fetch. */
  private readonly positions = new Map<number, bigint>();
  private positionsFailing = false;
  /** Partitions refused because their stored position lies outside the log (ADR 0040). */
  private outside: readonly OutsideLog[] = [];
  private owned: number[] = [];
  private joins = 0;
  /**
   * The database writers. A caught-up partition goes to the first (one
   * transaction for all of them: the lowest lag); a partition far behind its
   * log end goes to writer p mod n, so that a backlog is written by several
   * transactions at once (ADR 0053).
   */
  private readonly writers: ProjectionWriter[];
  /** Per partition (this generation): its writer, and how far it has been handed to it and committed. */
  private readonly routes = new Map<number, Route>();
  private readonly groupOffsets: GroupOffsetsReporter;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly pool: SqlPool,
    private readonly config: ProjectorConfig,
    private readonly invalidator: CacheInvalidator,
    metrics: ProjectorMetrics,
    private readonly logger: Logger,
    private readonly hooks: { onFatal?: (error: Error) => void } = {},
  ) {
    const target = {
      tables: READ_MODEL_TABLES,
      projection: TASK_VIEW_PROJECTION,
      topic: config.topics.events,
      notify: true,
    };
    this.groupOffsets = new GroupOffsetsReporter(GROUP_OFFSETS_INTERVAL_MS, logger);
    const writerHooks = {
      currentJoin: () => this.joins,
      deadLetter: async (records: DeadLetterRecord[]) => {
        await this.dlq!.send({ topic: this.config.topics.dlq, acks: -1, messages: records });
      },
      committed: (partition: number, nextOffset: bigint) => {
        const route = this.routes.get(partition);
        if (route && nextOffset > route.committed) route.committed = nextOffset;
        if (this.consumer) this.groupOffsets.note(this.consumer, partition, nextOffset);
      },
    };
    this.writers = Array.from(
      { length: config.writers },
      (_, writerIndex) =>
        new ProjectionWriter(pool, target, invalidator, metrics, logger, { ...config, writerIndex }, writerHooks),
    );
  }

  /** Every owned partition positioned and no batch failing. */
  isReady(): boolean {
    return (
      this.consumer !== null &&
      !this.positionsFailing &&
      !this.writers.some((w) => w.isFailing()) &&
      this.owned.every((p) => this.positions.has(p))
    );
  }

  ownedPartitions(): readonly number[] {
    return this.owned;
  }

  /** Owned partitions not projected because their stored position lies outside the log (readiness reports them). */
  partitionsOutsideLog(): readonly OutsideLog[] {
    return this.outside;
  }

  async start(): Promise<void> {
    this.dlq = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await this.dlq.connect();
    const { kafka } = this.config;
    const consumer = new GroupConsumer(
      {
        brokers: kafka.brokers,
        clientId: kafka.clientId,
        connectionTimeoutMs: kafka.connectionTimeoutMs,
        requestTimeoutMs: kafka.requestTimeoutMs,
        groupId: this.config.groupId,
        topic: this.config.topics.events,
        sessionTimeoutMs: this.config.sessionTimeoutMs,
        heartbeatIntervalMs: Math.min(3_000, Math.floor(this.config.sessionTimeoutMs / 3)),
        maxWaitMs: this.config.maxWaitTimeMs,
        maxBytesPerPartition: this.config.maxBytesPerPartition,
        maxBytes: this.config.maxBytes,
        logger: this.logger,
      },
      {
        assigned: (generation) => this.onJoin(generation),
        revoked: () => (this.owned = []),
        failed: (error) => this.hooks.onFatal?.(error),
        batch: (batch) => this.onBatch(batch),
        outOfRange: (partition) => {
          // Events were deleted under the projector: position() finds out which problem it is and holds the partition.
          this.positions.delete(partition);
          void this.position([partition], this.joins);
        },
      },
    );
    this.consumer = consumer;
    await consumer.start();
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = null;
    await this.groupOffsets.stop();
    await consumer?.stop();
    await Promise.all(this.writers.map((w) => w.stop()));
    await this.dlq?.disconnect();
    await this.invalidator.stop();
  }

  private onJoin(generation: Generation): void {
    this.owned = [...generation.partitions];
    this.positions.clear();
    this.routes.clear();
    this.outside = [];
    this.groupOffsets.clear();
    const join = ++this.joins;
    // No partition is fetched before position() seeks it: no batch is read from Kafka's idea of the position.
    if (this.owned.length > 0) void this.position(this.owned, join);
  }

  private async position(owned: readonly number[], join: number): Promise<void> {
    const topic = this.config.topics.events;
    let pending = owned;
    for (let attempt = 0; join === this.joins && this.consumer; attempt++) {
      try {
        // Positions first, then the log: a position (stored by a previous owner
        // a moment ago) can then never look ahead of a high watermark read before it.
        const stored = await readPositions(this.pool, TASK_VIEW_PROJECTION, topic);
        const ranges = await logRanges(this.kafka, topic);
        if (join !== this.joins || !this.consumer) return;
        const outside = pending.flatMap((p) => outsideLog(p, stored.get(p) ?? 0n, ranges.get(p)));
        const refused = new Set(outside.map((o) => o.partition));
        const positioned = pending.filter((p) => !refused.has(p));
        for (const partition of positioned) {
          const next = stored.get(partition) ?? 0n;
          this.consumer.seek(partition, next);
          this.positions.set(partition, next);
        }
        if (positioned.length > 0) {
          this.logger.info({ positions: Object.fromEntries(this.positions) }, 'partitions positioned from PostgreSQL');
        }
        // The others stay unfetched (and the projector not ready) until their position fits the log again.
        // (Only this call's partitions: an out-of-range fetch checks one partition while the others keep their verdict.)
        this.outside = [...this.outside.filter((o) => !pending.includes(o.partition)), ...outside];
        if (outside.length > 0) throw new PositionOutsideLogError(outside);
        this.positionsFailing = false;
        return;
      } catch (error) {
        this.positionsFailing = true;
        const outside = error instanceof PositionOutsideLogError ? error.partitions : null;
        if (outside) pending = outside.map((o) => o.partition);
        // Said loudly once per assignment; the retries (an operator may rebuild meanwhile) quietly.
        const level = attempt === 0 ? (outside ? 'error' : 'warn') : 'debug';
        this.logger[level](
          { err: String(error), attempt, ...(outside ? { partitions: outside } : {}) },
          outside
            ? 'stored positions lie outside the event log: those partitions are not projected; rebuild the projection (docs/operations.md)'
            : 'cannot read stored positions; retrying',
        );
        await sleep(this.backoff(outside ? Math.max(attempt, 20) : attempt));
      }
    }
  }

  /** The writer of a partition's next batch, `behind` events short of its log end (ADR 0053). */
  private route(partition: number, behind: bigint, endOffset: bigint): ProjectionWriter {
    let route = this.routes.get(partition);
    if (!route) {
      route = { writer: 0, handedOver: 0n, committed: 0n };
      this.routes.set(partition, route);
    }
    if (route.handedOver <= route.committed)
      route.writer = behind > this.config.catchUpLagEvents ? partition % this.writers.length : 0;
    route.handedOver = endOffset;
    return this.writers[route.writer]!;
  }

  private backoff(attempt: number): number {
    const exp = Math.min(this.config.retryMaxMs, this.config.retryInitialMs * 2 ** Math.min(attempt, 20));
    return exp / 2 + Math.random() * (exp / 2);
  }

  private async onBatch(batch: ConsumedBatch): Promise<void> {
    const from = this.positions.get(batch.partition);
    if (from === undefined) return;
    const first = batch.records[0]!;
    // The consumer hands out from the sought position on; this guards a redelivery all the same.
    const messages = first.offsetValue >= from ? batch.records : batch.records.filter((m) => m.offsetValue >= from);
    if (messages.length === 0) return;
    const endOffset = messages[messages.length - 1]!.offsetValue + 1n;
    const writer = this.route(batch.partition, batch.highWatermark - endOffset, endOffset);
    const join = this.joins;
    writer.submit({
      partition: batch.partition,
      join,
      messages,
      decoded: decode(batch.partition, messages),
      endOffset,
      highWatermark: batch.highWatermark,
    });
    // The writer has it: fetching goes on from here. Should the writer never
    // commit it (a crash, a rebalance), PostgreSQL's position says so.
    this.positions.set(batch.partition, endOffset);
    // A full queue holds this leader's fetching (heartbeats go on by themselves), e.g. while PostgreSQL is down.
    while (!writer.hasRoom() && join === this.joins && this.consumer) await writer.waitForRoom(1000);
  }
}

/**
 * Where a partition's batches go. It changes writer only when nothing of it
 * is queued or in flight (handed over = committed), so a partition's
 * batches are always written in order, by one writer at a time.
 */
interface Route {
  writer: number;
  handedOver: bigint;
  committed: bigint;
}

/** A partition whose stored position the log cannot continue from. */
export interface OutsideLog {
  readonly partition: number;
  readonly stored: string;
  readonly logStart: string;
  readonly logEnd: string;
  readonly problem: 'ahead-of-log' | 'events-deleted';
}

function outsideLog(partition: number, stored: bigint, range: LogRange | undefined): OutsideLog[] {
  if (range === undefined) return [];
  const at = { partition, stored: String(stored), logStart: String(range.start), logEnd: String(range.end) };
  // Ahead: the read model holds offsets this log never had (the topic was replaced or restored from an older copy).
  if (stored > range.end) return [{ ...at, problem: 'ahead-of-log' }];
  // Behind the start: events the read model never saw are gone (retention, deleted records).
  if (stored < range.start) return [{ ...at, problem: 'events-deleted' }];
  return [];
}

class PositionOutsideLogError extends Error {
  constructor(readonly partitions: readonly OutsideLog[]) {
    super(
      partitions
        .map((p) => `partition ${p.partition}: stored ${p.stored}, log ${p.logStart}..${p.logEnd} (${p.problem})`)
        .join('; '),
    );
  }
}
