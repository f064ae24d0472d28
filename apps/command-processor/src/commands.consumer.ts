// The command processor's consumer group on tasklog.task-commands.v1, a
// GroupConsumer of the platform's own (ADR 0055). At every group join it
// fences the writers of the partitions it now owns, rebuilds their state
// (reusing the state it has when the log has not moved since), and only then
// reads the group's committed offsets, which the fencing has made final, and
// starts fetching there. Fetched commands go to their partition's pipeline,
// which decides and commits them in order through the partition's writer,
// one transaction after the other, while the consumer fetches on: a slow
// transaction of one partition does not hold the next fetch of the others
// (ADR 0046).
import type { CommandBus } from '@nestjs/cqrs';
import {
  GroupConsumer,
  highWatermarks,
  KafkaTransactionError,
  logRanges,
  type ConsumedBatch,
  type KafkaClient,
  type LogRecord,
} from '@tasklog/platform/kafka';
import type { Logger } from '@tasklog/platform/observability';
import { recoverPartitions } from './partition-recovery.js';
import type { PartitionState } from './partition-state.js';
import { PartitionWriter, TransactionFaults, type WriterDeps } from './partition-writer.js';
import type { ProcessorConfig } from './processor.config.js';
import type { ProcessorMetrics } from './processor.metrics.js';

const MAX_BYTES_PER_PARTITION = 4 * 1024 * 1024;
const MAX_FETCH_BYTES = 32 * 1024 * 1024;

/** Wakes whoever waits for room in the queues of one group generation. */
class Room {
  private waiters: (() => void)[] = [];

  /** Resolves when a pipeline took commands from its queue, or after `ms`. */
  taken(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** The commands of one owned partition waiting for their transaction, in one group generation. */
class Pipeline {
  queue: LogRecord[] = [];
  running: Promise<void> | null = null;
  /** The command offset the last committed transaction moved the group to (where a re-read starts). */
  committedNext: string | null = null;
  /** A transaction of this pipeline failed: its writer's state is not to be reused. */
  failed = false;
  /** When its last transaction ended (performance.now()). */
  lastEnd = -Infinity;
  /** Commands arrived while its last transaction ran. */
  busy = false;

  constructor(
    readonly partition: number,
    /** False once the partition's assignment changed or the consumer stopped. */
    readonly current: () => boolean,
    readonly room: Room,
  ) {}

  take(count: number): LogRecord[] {
    const chunk = this.queue.splice(0, count);
    this.room.wake();
    return chunk;
  }

  clear(): void {
    this.queue = [];
    this.room.wake();
  }
}

interface Prepared {
  readonly writers: Map<number, PartitionWriter>;
  /** Where each owned partition's reading starts. */
  readonly positions: Map<number, bigint>;
}

export class CommandsConsumer {
  private consumer: GroupConsumer | null = null;
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
    const { kafka, groupId, topics, sessionTimeoutMs, maxWaitTimeMs } = this.config;
    const consumer = new GroupConsumer(
      {
        brokers: kafka.brokers,
        clientId: kafka.clientId,
        connectionTimeoutMs: kafka.connectionTimeoutMs,
        requestTimeoutMs: kafka.requestTimeoutMs,
        groupId,
        topic: topics.commands,
        sessionTimeoutMs,
        heartbeatIntervalMs: Math.min(3_000, Math.floor(sessionTimeoutMs / 3)),
        maxWaitMs: maxWaitTimeMs,
        maxBytesPerPartition: MAX_BYTES_PER_PARTITION,
        maxBytes: MAX_FETCH_BYTES,
        logger: this.logger,
      },
      {
        assigned: (generation) => this.onJoin([...generation.partitions]),
        revoked: () => (this.ready = false),
        failed: (error) => {
          this.logger.error({ err: error.message }, 'the group refuses this member: stopping');
          this.ready = false;
          this.onFatal(error);
        },
        batch: (batch) => this.onBatch(batch),
        outOfRange: (partition, position) => void this.reposition(partition, position),
      },
    );
    this.consumer = consumer;
    await consumer.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer?.stop();
    this.consumer = null;
    // The transactions in flight finish; what is still queued is not committed and is read again by the next owner.
    await Promise.allSettled([...this.pipelines.values()].map((p) => p.running));
    this.pipelines = new Map();
    await this.dropAll();
  }

  private onJoin(partitions: number[]): void {
    const owned = partitions.sort((a, b) => a - b);
    this.owned = owned;
    this.ready = false;
    this.metrics.ownedPartitions.set(owned.length);
    const previous = [...this.writers.values()];
    const draining = [...this.pipelines.values()];
    const pipelines = new Map<number, Pipeline>();
    const room = new Room();
    for (const p of owned)
      pipelines.set(p, new Pipeline(p, () => !this.stopping && this.pipelines === pipelines, room));
    this.pipelines = pipelines;
    this.writers.clear();
    const preparing = this.prepareWithRetry(owned, previous, draining);
    for (const p of owned)
      this.setWriter(
        p,
        preparing.then(({ writers }) => writers.get(p)!),
      );
    preparing.then(
      ({ positions }) => {
        if (this.owned !== owned || this.consumer === null) return;
        // Reading starts where the group's last committed transaction left each partition.
        for (const [p, offset] of positions) {
          pipelines.get(p)!.committedNext = offset.toString();
          this.consumer.seek(p, offset);
        }
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
  ): Promise<Prepared> {
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

  /**
   * Fences every owned partition, then rebuilds the states that are stale and
   * reads where the group's offsets stand. Fencing first makes those offsets
   * final: the previous owner's open transaction, offsets included, is
   * aborted by then, and no later one of its can commit.
   */
  private async prepare(
    owned: number[],
    previous: Promise<PartitionWriter>[],
    draining: Pipeline[],
  ): Promise<Prepared> {
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
      const positions = await this.startPositions(owned);
      this.metrics.catchUpSeconds.observe((performance.now() - started) / 1000);
      const deps = this.writerDeps();
      const writers = new Map(
        owned.map((p) => [
          p,
          PartitionWriter.open(producers.get(p)!, recovered.states.get(p) ?? this.kept.get(p)!, deps),
        ]),
      );
      return { writers, positions };
    } catch (error) {
      // Nothing fenced here may stay open: a later attempt fences again.
      await Promise.all([...producers.values()].map((producer) => producer.disconnect()));
      throw error;
    }
  }

  /** The group's committed offset of each partition; the log's start where it has none (or one the log no longer holds). */
  private async startPositions(owned: readonly number[]): Promise<Map<number, bigint>> {
    if (owned.length === 0 || this.consumer === null) return new Map();
    const [committed, ranges] = await Promise.all([
      this.consumer.committedOffsets(owned),
      logRanges(this.kafka, this.config.topics.commands),
    ]);
    return new Map(
      owned.map((p) => {
        const start = ranges.get(p)?.start ?? 0n;
        const offset = committed.get(p) ?? null;
        return [p, offset === null || offset < start ? start : offset];
      }),
    );
  }

  /**
   * The log no longer holds a partition's position (retention deleted the
   * commands, or the log was cut back): read on from the log's start, or
   * from its end when the position is past it.
   */
  private async reposition(partition: number, position: bigint): Promise<void> {
    const owned = this.owned;
    for (let attempt = 0; this.owned === owned && this.consumer !== null; attempt++) {
      try {
        const range = (await logRanges(this.kafka, this.config.topics.commands)).get(partition);
        if (range === undefined || this.owned !== owned) return;
        const offset = position < range.start ? range.start : range.end;
        this.logger.warn(
          { partition, position: String(position), offset: String(offset) },
          'command offset out of range',
        );
        const pipeline = this.pipelines.get(partition);
        if (pipeline) pipeline.committedNext = offset.toString();
        this.consumer.seek(partition, offset);
        return;
      } catch (error) {
        this.logger.warn({ partition, err: String(error) }, 'positioning after out of range failed: retrying');
        await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 250 * 2 ** attempt)));
      }
    }
  }

  /**
   * Queues the fetched commands on their partition's pipeline (their offsets
   * are kept in memory only: the group offset moves in each transaction).
   * While the pipelines hold more than PROCESSOR_MAX_QUEUED_COMMANDS per
   * owned partition in all, it resolves only once one of them has taken
   * some (the group's heartbeats run on their own meanwhile). The bound is
   * over all of them, not per partition: the consumer hands the partitions
   * out one after the other, so a partition waiting for room would hold the
   * others' commands back while their pipelines run dry.
   */
  private async onBatch({ partition, records }: ConsumedBatch): Promise<void> {
    const pipeline = this.pipelines.get(partition);
    if (!pipeline || records.length === 0 || !pipeline.current()) return;
    pipeline.committedNext ??= records[0]!.offset;
    for (const record of records) pipeline.queue.push(record);
    this.pump(pipeline);
    const bound = this.config.maxQueuedCommands * this.pipelines.size;
    while (pipeline.current() && this.queued() > bound) await pipeline.room.taken(1_000);
    // One turn of the event loop before the next partition is decoded and
    // handed out: the answers to the transactions just started are read
    // meanwhile, instead of after a whole fetch (up to MAX_FETCH_BYTES).
    await new Promise((resolve) => setImmediate(resolve));
  }

  private queued(): number {
    let count = 0;
    for (const pipeline of this.pipelines.values()) count += pipeline.queue.length;
    return count;
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
        if (pipeline.committedNext !== null) this.consumer?.seek(partition, BigInt(pipeline.committedNext));
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        return;
      }
    }
  }

  private async handleChunk(pipeline: Pipeline, messages: LogRecord[]): Promise<void> {
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
   * rebuild from the log; the rebuilt writer then decides the same commands
   * again.
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
