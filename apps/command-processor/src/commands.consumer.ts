// The command processor's consumer group on tasklog.task-commands.v1. At
// every group join it fences the writers of the partitions it now owns and
// rebuilds their state (reusing the state it has when the log has not moved
// since). Fetched commands go to their partition's pipeline, which decides
// and commits them in order through the partition's writer, one transaction
// after the other, while kafkajs fetches on: a slow transaction of one
// partition does not hold the next fetch of the others (ADR 0046).
import kafkajs from 'kafkajs';
import type { CommandBus } from '@nestjs/cqrs';
import { highWatermarks, KafkaTransactionError, type KafkaClient } from '@tasklog/platform/kafka';
import type { Logger } from '@tasklog/platform/observability';
import { recoverPartitions } from './partition-recovery.js';
import type { PartitionState } from './partition-state.js';
import { PartitionWriter, TransactionFaults, type WriterDeps } from './partition-writer.js';
import type { ProcessorConfig } from './processor.config.js';
import type { ProcessorMetrics } from './processor.metrics.js';

/** The commands of one owned partition waiting for their transaction, in one group generation. */
class Pipeline {
  queue: kafkajs.KafkaMessage[] = [];
  running: Promise<void> | null = null;
  /** The command offset the last committed transaction moved the group to (where a re-read starts). */
  committedNext: string | null = null;
  /** A transaction of this pipeline failed: its writer's state is not to be reused. */
  failed = false;
  /** When its last transaction ended (performance.now()). */
  lastEnd = -Infinity;
  /** Commands arrived while its last transaction ran. */
  busy = false;
  private waiters: (() => void)[] = [];

  constructor(
    readonly partition: number,
    /** False once the partition's assignment changed or the consumer stopped. */
    readonly current: () => boolean,
  ) {}

  take(count: number): kafkajs.KafkaMessage[] {
    const chunk = this.queue.splice(0, count);
    this.wake();
    return chunk;
  }

  clear(): void {
    this.queue = [];
    this.wake();
  }

  /** Resolves when commands were taken from the queue, or after `ms`. */
  taken(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

export class CommandsConsumer {
  private consumer: kafkajs.Consumer | null = null;
  private readonly writers = new Map<number, Promise<PartitionWriter>>();
  private pipelines = new Map<number, Pipeline>();
  private stopping = false;
  private readonly faults: TransactionFaults;
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
  ) {
    this.faults = new TransactionFaults(config.faultFailTransactions);
  }

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
    this.stopping = true;
    await this.consumer?.disconnect();
    this.consumer = null;
    // The transactions in flight finish; what is still queued is not committed and is read again by the next owner.
    await Promise.allSettled([...this.pipelines.values()].map((p) => p.running));
    this.pipelines = new Map();
    await this.dropAll();
  }

  private onJoin(assignment: Record<string, number[]>): void {
    const owned = [...(assignment[this.config.topics.commands] ?? [])].sort((a, b) => a - b);
    this.owned = owned;
    this.ready = false;
    this.metrics.ownedPartitions.set(owned.length);
    const previous = [...this.writers.values()];
    const draining = [...this.pipelines.values()];
    const pipelines = new Map<number, Pipeline>();
    for (const p of owned) pipelines.set(p, new Pipeline(p, () => !this.stopping && this.pipelines === pipelines));
    this.pipelines = pipelines;
    this.writers.clear();
    const preparing = this.prepareWithRetry(owned, previous, draining);
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
    draining: Pipeline[],
  ): Promise<Map<number, PartitionWriter>> {
    // The previous generation's transactions in flight end first: their
    // writers' states are only reused once nothing decides on them any more.
    await Promise.allSettled(draining.map((p) => p.running));
    for (const p of draining) if (p.failed) this.kept.delete(p.partition);
    for (let delay = 250; ; delay = Math.min(delay * 2, 5_000)) {
      try {
        return await this.prepare(owned, previous, draining);
      } catch (error) {
        if (this.owned !== owned || this.consumer === null) throw error;
        this.metrics.failures.inc({ reason: 'error' });
        this.logger.warn({ err: String(error), retryInMs: delay }, 'partition recovery failed: retrying');
        previous = [];
        draining = [];
        await new Promise((resolve) => setTimeout(resolve, delay));
        if (this.owned !== owned || this.consumer === null) throw error;
      }
    }
  }

  /** Fences every owned partition, then rebuilds the states that are stale. */
  private async prepare(
    owned: number[],
    previous: Promise<PartitionWriter>[],
    draining: Pipeline[],
  ): Promise<Map<number, PartitionWriter>> {
    const failed = new Set(draining.filter((p) => p.failed).map((p) => p.partition));
    for (const w of await Promise.allSettled(previous)) {
      if (w.status === 'fulfilled') {
        if (!failed.has(w.value.partition)) this.kept.set(w.value.partition, w.value.state);
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
      const deps = this.writerDeps();
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

  /**
   * Queues the fetched commands on their partition's pipeline and lets
   * kafkajs fetch on (their offsets are resolved in memory only: the group
   * offset moves in each transaction). Waits while the pipeline holds more
   * than PROCESSOR_MAX_QUEUED_COMMANDS, heartbeating meanwhile.
   */
  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: kafkajs.EachBatchPayload) {
    const pipeline = this.pipelines.get(batch.partition);
    const last = batch.messages.at(-1);
    if (!pipeline || last === undefined || !isRunning() || isStale()) return;
    pipeline.committedNext ??= batch.messages[0]!.offset;
    pipeline.queue.push(...batch.messages);
    resolveOffset(last.offset);
    this.pump(pipeline);
    while (pipeline.queue.length > this.config.maxQueuedCommands && pipeline.current() && isRunning() && !isStale()) {
      await pipeline.taken(1_000);
      await heartbeat();
    }
  }

  private pump(pipeline: Pipeline): void {
    if (pipeline.running !== null) return;
    pipeline.running = this.drain(pipeline).finally(() => {
      pipeline.running = null;
      if (pipeline.queue.length > 0 && pipeline.current()) this.pump(pipeline);
    });
  }

  /** Decides and commits the queued commands in order, one transaction per chunk. */
  private async drain(pipeline: Pipeline): Promise<void> {
    const { partition } = pipeline;
    while (pipeline.queue.length > 0 && pipeline.current()) {
      // Busy (commands arrived during the last transaction, which ended moments
      // ago): let the next one gather more. Otherwise (idle, or one client
      // waiting for each answer) go at once. Fewer transactions spare the
      // broker per-transaction work and CONCURRENT_TRANSACTIONS retries (ADR 0046).
      const since = performance.now() - pipeline.lastEnd;
      const linger = this.config.transactionLingerMs;
      if (pipeline.busy && since < linger && pipeline.queue.length < this.config.maxCommandsPerTransaction)
        await new Promise((resolve) => setTimeout(resolve, linger - since));
      const chunk = pipeline.take(this.config.maxCommandsPerTransaction);
      try {
        await this.handleChunk(pipeline, chunk);
        pipeline.lastEnd = performance.now();
        pipeline.busy = pipeline.queue.length > 0;
        pipeline.committedNext = (BigInt(chunk.at(-1)!.offset) + 1n).toString();
      } catch (error) {
        if (!pipeline.current()) return;
        // Given up after rebuilding the writer: what is queued is dropped and
        // read again from the last committed command, after a pause.
        pipeline.clear();
        this.logger.error(
          { partition, from: pipeline.committedNext, err: String(error) },
          'batch failed again: reading the partition again from its last committed command',
        );
        if (pipeline.committedNext !== null)
          this.consumer?.seek({ topic: this.config.topics.commands, partition, offset: pipeline.committedNext });
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        return;
      }
    }
  }

  private async handleChunk(pipeline: Pipeline, messages: kafkajs.KafkaMessage[]): Promise<void> {
    const { partition } = pipeline;
    const gone = () => new Error(`partition ${partition} is no longer this pipeline's`);
    for (let attempt = 1; ; attempt++) {
      // Looked up while the pipeline is current (the next generation's writers never serve it)…
      if (!pipeline.current()) throw gone();
      const writer = await this.writer(pipeline);
      // …and checked again once prepared: the assignment may have changed meanwhile.
      if (!pipeline.current()) throw gone();
      try {
        await writer.handle(messages);
        return;
      } catch (error) {
        if (!pipeline.current()) {
          // The next generation rebuilds the partition; this writer's state is not to be reused.
          pipeline.failed = true;
          throw error;
        }
        await this.fail(pipeline, writer, error);
        // The rebuilt writer decides the same commands again: whatever the
        // failed transaction did is either aborted or, if it did commit, in
        // the rebuilt state, so retried commands are answered as repeats.
        if (attempt >= 3 || !pipeline.current()) throw error;
      }
    }
  }

  /**
   * After a failed transaction the writer and its state are suspect: an
   * ambiguous error may have committed or not. Drop both, fence again and
   * rebuild from the log; kafkajs then re-fetches from the last committed
   * command offset.
   */
  private async fail(pipeline: Pipeline, writer: PartitionWriter, error: unknown): Promise<void> {
    const { partition } = pipeline;
    const fenced = error instanceof KafkaTransactionError && error.fenced;
    this.metrics.failures.inc({ reason: fenced ? 'fenced' : 'error' });
    this.logger.warn({ partition, err: String(error), fenced }, 'batch failed: rebuilding the partition writer');
    pipeline.failed = true;
    await writer.close();
    // A new assignment meanwhile prepares the partition itself.
    if (!pipeline.current()) return;
    pipeline.failed = false;
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

  private async writer(pipeline: Pipeline): Promise<PartitionWriter> {
    const { partition } = pipeline;
    const pending = this.writers.get(partition);
    if (!pending) throw new Error(`partition ${partition} is not owned by this member`);
    try {
      return await pending;
    } catch (error) {
      if (!pipeline.current()) throw error;
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
    const deps = this.writerDeps();
    return PartitionWriter.open(producer, states.get(partition)!, deps);
  }

  private async dropAll(): Promise<void> {
    const all = await Promise.allSettled([...this.writers.values()]);
    this.writers.clear();
    for (const w of all) if (w.status === 'fulfilled') await w.value.close();
  }

  private writerDeps(): WriterDeps {
    const { config, commandBus, metrics, logger, faults } = this;
    return { config, commandBus, metrics, logger, faults };
  }

  /** The state of an owned partition (tests compare it with a full replay). */
  async partitionState(partition: number): Promise<PartitionState | undefined> {
    return (await this.writers.get(partition))?.state;
  }
}
