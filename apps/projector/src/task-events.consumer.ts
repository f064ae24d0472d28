// The projector's consumer group on tasklog.task-events.v1 (read_committed).
// PostgreSQL, not Kafka, knows where each partition stands: at every group
// join the newly assigned partitions are paused before their first fetch,
// sought to the offsets stored with the read model, then resumed. Each
// fetched batch is applied in one database transaction together with its
// new offset (ADR 0015); Kafka's group offsets are committed afterwards,
// about once a second, for monitoring only. A failing database holds the
// partition (retry with backoff, readiness false); nothing is skipped for it.
import kafkajs from 'kafkajs';
import type { KafkaClient } from '@tasklog/platform/kafka';
import type { Logger } from '@tasklog/platform/observability';
import {
  READ_MODEL_TABLES,
  TASK_VIEW_PROJECTION,
  inTransaction,
  projectTaskEvents,
  readPositions,
  type ProjectionOutcome,
  type ProjectionTarget,
  type SqlPool,
} from '@tasklog/platform/postgres';
import type { CacheInvalidator } from './cache.invalidator.js';
import { changedTasks, decode, observeBatch, type DecodedBatch } from './committed-batch.js';
import { deadLetterRecord } from './dead-letter.record.js';
import { GroupOffsetsReporter } from './group-offsets.reporter.js';
import type { ProjectorConfig } from './projector.config.js';
import type { ProjectorMetrics } from './projector.metrics.js';

/** How often the informational Kafka group offsets are committed. */
const GROUP_OFFSETS_INTERVAL_MS = 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class TaskEventsConsumer {
  private consumer: kafkajs.Consumer | null = null;
  private dlq: kafkajs.Producer | null = null;
  /** Partitions sought to their stored offset in this generation, and the next offset to apply. */
  private readonly positions = new Map<number, bigint>();
  private readonly failing = new Set<number | 'positions'>();
  private owned: number[] = [];
  private joins = 0;
  private readonly target: ProjectionTarget;
  private readonly groupOffsets: GroupOffsetsReporter;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly pool: SqlPool,
    private readonly config: ProjectorConfig,
    private readonly invalidator: CacheInvalidator,
    private readonly metrics: ProjectorMetrics,
    private readonly logger: Logger,
    private readonly hooks: { onFatal?: (error: Error) => void } = {},
  ) {
    this.target = {
      tables: READ_MODEL_TABLES,
      projection: TASK_VIEW_PROJECTION,
      topic: config.topics.events,
      notify: true,
    };
    this.groupOffsets = new GroupOffsetsReporter(config.topics.events, GROUP_OFFSETS_INTERVAL_MS, logger);
  }

  /** Every owned partition positioned and no batch failing. */
  isReady(): boolean {
    return this.consumer !== null && this.failing.size === 0 && this.owned.every((p) => this.positions.has(p));
  }

  ownedPartitions(): readonly number[] {
    return this.owned;
  }

  async start(): Promise<void> {
    this.dlq = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await this.dlq.connect();
    const consumer = this.kafka.consumer({
      groupId: this.config.groupId,
      readUncommitted: false,
      maxWaitTimeInMs: this.config.maxWaitTimeMs,
      maxBytesPerPartition: this.config.maxBytesPerPartition,
      maxBytes: Math.max(this.config.maxBytesPerPartition * 4, 32 * 1024 * 1024),
      sessionTimeout: this.config.sessionTimeoutMs,
      heartbeatInterval: Math.min(3_000, Math.floor(this.config.sessionTimeoutMs / 3)),
      allowAutoTopicCreation: false,
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => this.onJoin(payload.memberAssignment));
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.logger.error({ err: payload.error?.message, restart: payload.restart }, 'event consumer crashed');
      if (!payload.restart) this.hooks.onFatal?.(payload.error);
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.config.topics.events, fromBeginning: true });
    this.consumer = consumer;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.config.concurrency,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = null;
    await this.groupOffsets.stop();
    await consumer?.disconnect();
    await this.dlq?.disconnect();
    await this.invalidator.stop();
  }

  private onJoin(assignment: Record<string, number[]>): void {
    const topic = this.config.topics.events;
    this.owned = [...(assignment[topic] ?? [])].sort((a, b) => a - b);
    this.positions.clear();
    this.groupOffsets.clear();
    const join = ++this.joins;
    if (this.owned.length === 0 || !this.consumer) return;
    // Synchronously, before the first fetch of the generation: no batch is read from Kafka's idea of the position.
    this.consumer.pause([{ topic, partitions: this.owned }]);
    void this.position(this.owned, join);
  }

  private async position(owned: readonly number[], join: number): Promise<void> {
    const topic = this.config.topics.events;
    for (let attempt = 0; join === this.joins && this.consumer; attempt++) {
      try {
        const stored = await readPositions(this.pool, TASK_VIEW_PROJECTION, topic);
        if (join !== this.joins || !this.consumer) return;
        for (const partition of owned) {
          const next = stored.get(partition) ?? 0n;
          this.consumer.seek({ topic, partition, offset: next.toString() });
          this.positions.set(partition, next);
        }
        this.consumer.resume([{ topic, partitions: [...owned] }]);
        this.failing.delete('positions');
        this.logger.info({ positions: Object.fromEntries(this.positions) }, 'partitions positioned from PostgreSQL');
        return;
      } catch (error) {
        this.failing.add('positions');
        this.logger.warn({ err: String(error), attempt }, 'cannot read stored positions; retrying');
        await sleep(this.backoff(attempt));
      }
    }
  }

  private async onBatch(payload: kafkajs.EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const from = this.positions.get(batch.partition);
    if (from === undefined || !payload.isRunning() || payload.isStale()) return;
    const messages = batch.messages.filter((m) => BigInt(m.offset) >= from);
    if (messages.length === 0) return;
    const started = performance.now();
    const join = this.joins;
    const decoded = decode(batch.partition, messages);
    const last = messages[messages.length - 1]!;
    const committed = await this.applyWithRetry(batch.partition, decoded, BigInt(last.offset) + 1n, payload);
    if (!committed) return;
    if (join === this.joins) this.positions.set(batch.partition, committed.outcome.nextOffset);
    payload.resolveOffset(last.offset);
    await this.afterCommit(batch, messages, committed, started);
    await payload.heartbeat();
  }

  private async applyWithRetry(
    partition: number,
    decoded: DecodedBatch,
    endOffset: bigint,
    payload: kafkajs.EachBatchPayload,
  ): Promise<{ outcome: ProjectionOutcome; marked: boolean } | null> {
    for (let attempt = 0; ; attempt++) {
      try {
        let marked = false;
        const outcome = await inTransaction(this.pool, async (client) => {
          const result = await projectTaskEvents(client, this.target, { partition, events: decoded.events, endOffset });
          await this.deadLetter(partition, decoded, result);
          marked = await this.invalidator.beforeCommit(result.generation, changedTasks(result));
          return result;
        });
        if (this.failing.delete(partition)) this.logger.info({ partition }, 'batch applied again after failures');
        return { outcome, marked };
      } catch (error) {
        this.failing.add(partition);
        this.metrics.retries.inc();
        const log = attempt === 0 ? 'warn' : 'debug';
        this.logger[log]({ partition, attempt, err: String(error) }, 'batch not applied; retrying with backoff');
        if (!payload.isRunning() || payload.isStale()) return null;
        await sleep(this.backoff(attempt));
        // Keeps the membership alive while waiting; throws on a rebalance, and the
        // batch is then fetched again by whoever owns the partition next.
        await payload.heartbeat();
        if (!payload.isRunning() || payload.isStale()) return null;
      }
    }
  }

  private backoff(attempt: number): number {
    const exp = Math.min(this.config.retryMaxMs, this.config.retryInitialMs * 2 ** Math.min(attempt, 20));
    return exp / 2 + Math.random() * (exp / 2);
  }

  /** Inside the transaction: a failed send rolls the batch back, so a dead letter is never lost. */
  private async deadLetter(partition: number, decoded: DecodedBatch, outcome: ProjectionOutcome): Promise<void> {
    const undecodable = decoded.undecodable
      .filter((u) => BigInt(u.message.offset) >= outcome.fromOffset)
      .map((u) => deadLetterRecord(u.message, partition, 'undecodable', u.error));
    const rejected = outcome.fold.rejected.map((r) =>
      deadLetterRecord(decoded.byOffset.get(r.event.offset)!, partition, 'not-applicable', r.error),
    );
    const records = [...undecodable, ...rejected];
    if (records.length === 0) return;
    await this.dlq!.send({ topic: this.config.topics.dlq, acks: -1, messages: records });
    this.metrics.deadLetters.inc({ reason: 'undecodable' }, undecodable.length);
    this.metrics.deadLetters.inc({ reason: 'not-applicable' }, rejected.length);
    this.logger.warn(
      { partition, offsets: records.map((r) => r.headers?.['dlq-original-offset']) },
      'records dead-lettered; the partition moves on',
    );
  }

  private async afterCommit(
    batch: kafkajs.Batch,
    messages: kafkajs.KafkaMessage[],
    { outcome, marked }: { outcome: ProjectionOutcome; marked: boolean },
    started: number,
  ): Promise<void> {
    const committedAt = Date.now();
    if (this.config.faultPauseAfterCommitMs > 0) {
      this.logger.warn(
        { partition: batch.partition, nextOffset: outcome.nextOffset.toString() },
        'fault injection: committed to PostgreSQL, Kafka offsets not committed yet',
      );
      await sleep(this.config.faultPauseAfterCommitMs);
    }
    if (this.consumer) this.groupOffsets.note(this.consumer, batch.partition, outcome.nextOffset);
    const owners = new Set(outcome.fold.tasks.map((t) => t.after.ownerId));
    void this.invalidator.invalidate(outcome.generation, marked ? [] : changedTasks(outcome), owners);
    observeBatch(this.metrics, batch, messages, outcome, { started, committedAt });
  }
}
