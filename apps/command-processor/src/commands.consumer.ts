// The command processor's consumer group on tasklog.task-commands.v1. At
// every group join it fences the writers of the partitions it now owns and
// rebuilds their state (reusing the state it has when the log has not moved
// since), then decides each fetched batch through that partition's writer.
import kafkajs from 'kafkajs';
import type { CommandBus } from '@nestjs/cqrs';
import { highWatermarks, KafkaTransactionError, type KafkaClient } from '@tasklog/platform/kafka';
import type { Logger } from '@tasklog/platform/observability';
import { recoverPartitions } from './partition-recovery.js';
import type { PartitionState } from './partition-state.js';
import { PartitionWriter } from './partition-writer.js';
import type { ProcessorConfig } from './processor.config.js';
import type { ProcessorMetrics } from './processor.metrics.js';

export class CommandsConsumer {
  private consumer: kafkajs.Consumer | null = null;
  private readonly writers = new Map<number, Promise<PartitionWriter>>();
  /** States kept across generations: reused when their partition's log has not moved. */
  private readonly kept = new Map<number, PartitionState>();
  private owned: number[] = [];
  private ready = false;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly config: ProcessorConfig,
    private readonly commandBus: CommandBus,
    private readonly metrics: ProcessorMetrics,
    private readonly logger: Logger,
    /** Called when the consumer stopped for good: the process should exit and be restarted. */
    private readonly onFatal: (error: Error) => void = () => undefined,
  ) {}

  /** True when every owned partition has caught up with the log. */
  isReady(): boolean {
    return this.consumer !== null && this.ready;
  }

  ownedPartitions(): readonly number[] {
    return this.owned;
  }

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.config.groupId,
      readUncommitted: false,
      maxWaitTimeInMs: this.config.maxWaitTimeMs,
      maxBytesPerPartition: 4 * 1024 * 1024,
      sessionTimeout: this.config.sessionTimeoutMs,
      heartbeatInterval: Math.min(3_000, Math.floor(this.config.sessionTimeoutMs / 3)),
      allowAutoTopicCreation: false,
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => this.onJoin(payload.memberAssignment));
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.logger.error({ err: payload.error?.message, restart: payload.restart }, 'command consumer crashed');
      this.ready = false;
      if (!payload.restart) this.onFatal(payload.error);
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.config.topics.commands, fromBeginning: true });
    this.consumer = consumer;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.config.kafka.partitions,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = null;
    await this.dropAll();
  }

  private onJoin(assignment: Record<string, number[]>): void {
    const owned = [...(assignment[this.config.topics.commands] ?? [])].sort((a, b) => a - b);
    this.owned = owned;
    this.ready = false;
    this.metrics.ownedPartitions.set(owned.length);
    const previous = [...this.writers.values()];
    this.writers.clear();
    const preparing = this.prepareWithRetry(owned, previous);
    for (const p of owned)
      this.setWriter(
        p,
        preparing.then((ws) => ws.get(p)!),
      );
    preparing.then(
      () => {
        this.ready = true;
        this.logger.info({ partitions: owned }, 'owned partitions caught up');
      },
      (error: unknown) => this.logger.error({ err: String(error) }, 'partition recovery failed'),
    );
  }

  /**
   * Prepares the assignment, retrying with backoff while it is still this
   * member's (a fresh broker may not have a transaction coordinator yet, a
   * broker may be restarting): readiness must come without waiting for a
   * command to arrive.
   */
  private async prepareWithRetry(
    owned: number[],
    previous: Promise<PartitionWriter>[],
  ): Promise<Map<number, PartitionWriter>> {
    for (let delay = 250; ; delay = Math.min(delay * 2, 5_000)) {
      try {
        return await this.prepare(owned, previous);
      } catch (error) {
        if (this.owned !== owned || this.consumer === null) throw error;
        this.metrics.failures.inc({ reason: 'error' });
        this.logger.warn({ err: String(error), retryInMs: delay }, 'partition recovery failed: retrying');
        previous = [];
        await new Promise((resolve) => setTimeout(resolve, delay));
        if (this.owned !== owned || this.consumer === null) throw error;
      }
    }
  }

  /** Fences every owned partition, then rebuilds the states that are stale. */
  private async prepare(owned: number[], previous: Promise<PartitionWriter>[]): Promise<Map<number, PartitionWriter>> {
    for (const w of await Promise.allSettled(previous)) {
      if (w.status === 'fulfilled') {
        this.kept.set(w.value.partition, w.value.state);
        await w.value.close();
      }
    }
    for (const p of this.kept.keys()) if (!owned.includes(p)) this.kept.delete(p);
    const started = performance.now();
    const fenced = await Promise.allSettled(
      owned.map(async (p) => [p, await PartitionWriter.fence(p, this.config)] as const),
    );
    const producers = new Map(fenced.flatMap((f) => (f.status === 'fulfilled' ? [f.value] : [])));
    try {
      const failed = fenced.find((f) => f.status === 'rejected');
      if (failed) throw failed.reason;
      const ends = await highWatermarks(this.kafka, this.config.topics.events);
      const stale = owned.filter((p) => this.kept.get(p)?.logEnd !== (ends.get(p) ?? 0n));
      const recovered = await recoverPartitions(
        this.kafka,
        this.config.topics,
        stale,
        { window: this.config.recentResultsPerTask },
        this.logger,
      );
      this.metrics.catchUpSeconds.observe((performance.now() - started) / 1000);
      const deps = { config: this.config, commandBus: this.commandBus, metrics: this.metrics, logger: this.logger };
      return new Map(
        owned.map((p) => [
          p,
          PartitionWriter.open(producers.get(p)!, recovered.states.get(p) ?? this.kept.get(p)!, deps),
        ]),
      );
    } catch (error) {
      // Nothing fenced here may stay open: a later attempt fences again.
      await Promise.all([...producers.values()].map((producer) => producer.disconnect()));
      throw error;
    }
  }

  private async onBatch({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
  }: kafkajs.EachBatchPayload): Promise<void> {
    const size = this.config.maxCommandsPerTransaction;
    for (let start = 0; start < batch.messages.length; start += size) {
      if (!isRunning() || isStale()) return;
      const chunk = batch.messages.slice(start, start + size);
      await this.handleChunk(batch.partition, chunk, isRunning, isStale);
      resolveOffset(chunk.at(-1)!.offset);
      await heartbeat();
    }
  }

  private async handleChunk(
    partition: number,
    messages: kafkajs.KafkaMessage[],
    isRunning: () => boolean,
    isStale: () => boolean,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const writer = await this.writer(partition);
      try {
        await writer.handle(messages);
        return;
      } catch (error) {
        await this.fail(partition, writer, error);
        // The rebuilt writer decides the same commands again: whatever the
        // failed transaction did is either aborted or, if it did commit, in
        // the rebuilt state, so retried commands are answered as repeats.
        if (attempt >= 3 || !isRunning() || isStale()) {
          throw new kafkajs.KafkaJSError(`batch of partition ${partition} failed: ${String(error)}`, {
            retriable: true,
          });
        }
      }
    }
  }

  /**
   * After a failed transaction the writer and its state are suspect: an
   * ambiguous error may have committed or not. Drop both, fence again and
   * rebuild from the log; kafkajs then re-fetches from the last committed
   * command offset.
   */
  private async fail(partition: number, writer: PartitionWriter, error: unknown): Promise<void> {
    const fenced = error instanceof KafkaTransactionError && error.fenced;
    this.metrics.failures.inc({ reason: fenced ? 'fenced' : 'error' });
    this.logger.warn({ partition, err: String(error), fenced }, 'batch failed: rebuilding the partition writer');
    await writer.close();
    this.kept.delete(partition);
    await this.setWriter(partition, this.prepareOne(partition)).catch(() => undefined);
  }

  private setWriter(partition: number, writer: Promise<PartitionWriter>): Promise<PartitionWriter> {
    // Handled here so a failed preparation is not an unhandled rejection;
    // the next batch of the partition sees it and prepares again.
    writer.catch(() => undefined);
    this.writers.set(partition, writer);
    return writer;
  }

  private async writer(partition: number): Promise<PartitionWriter> {
    const pending = this.writers.get(partition);
    if (!pending) throw new Error(`partition ${partition} is not owned by this member`);
    try {
      return await pending;
    } catch (error) {
      this.logger.warn({ partition, err: String(error) }, 'partition writer unavailable: preparing it again');
      return this.setWriter(partition, this.prepareOne(partition));
    }
  }

  private async prepareOne(partition: number): Promise<PartitionWriter> {
    const producer = await PartitionWriter.fence(partition, this.config);
    const { states } = await recoverPartitions(
      this.kafka,
      this.config.topics,
      [partition],
      { window: this.config.recentResultsPerTask },
      this.logger,
    ).catch(async (error: unknown) => {
      await producer.disconnect();
      throw error;
    });
    const deps = { config: this.config, commandBus: this.commandBus, metrics: this.metrics, logger: this.logger };
    return PartitionWriter.open(producer, states.get(partition)!, deps);
  }

  private async dropAll(): Promise<void> {
    const all = await Promise.allSettled([...this.writers.values()]);
    this.writers.clear();
    for (const w of all) if (w.status === 'fulfilled') await w.value.close();
  }

  /** The state of an owned partition (tests compare it with a full replay). */
  async partitionState(partition: number): Promise<PartitionState | undefined> {
    return (await this.writers.get(partition))?.state;
  }
}
