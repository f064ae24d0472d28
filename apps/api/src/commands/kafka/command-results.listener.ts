// Reads tasklog.task-command-results.v1 for this API instance (ADR 0010):
// a consumer group of its own (every instance sees every result; the result
// of a command lands on its task's partition, which any instance may have
// produced to), starting at the latest offsets, read_committed, short fetch
// waits. Its group offsets are committed on a timer, never inside the fetch
// loop (ADR 0049). It hands each result to the requests waiting for it and records
// every outcome in the command status store; a result nobody here waits for
// and this instance did not submit is stored as received, undecoded (ADR 0032).
import type kafkajs from 'kafkajs';
import {
  COMMAND_RESULT_CE_TYPE,
  HEADER,
  headerText,
  readCommandResultRecord,
  type CommandResult,
} from '@tasklog/contracts';
import type { KafkaClient } from '@tasklog/platform/kafka';
import type { Logger } from '@tasklog/platform/observability';
import { commandMetrics } from '../commands.metrics.js';
import type { CommandStatusStore } from '../store/command-status.store.js';

export interface ResultWaiter {
  /** The result, or null when none arrived within `ms`. */
  until(ms: number): Promise<CommandResult | null>;
  cancel(): void;
}

export interface ResultsListenerOptions {
  readonly topic: string;
  readonly groupId: string;
  /** Runs before each attempt to subscribe (provisioning the topics). */
  readonly beforeSubscribe?: () => Promise<void>;
  /** Delete the group when stopping (its name is used by this run only). */
  readonly deleteGroupOnStop?: boolean;
  /** How long the broker may hold a fetch that finds no result (default 100 ms; ADR 0041). */
  readonly fetchMaxWaitMs?: number;
  /** How often the group offsets are committed (default 1 s; ADR 0049). */
  readonly commitIntervalMs?: number;
}

type Notify = (result: CommandResult) => void;

export class CommandResultsListener {
  private readonly waiters = new Map<string, Set<Notify>>();
  private consumer: kafkajs.Consumer | null = null;
  /** The next offset to read, per partition, not committed yet. */
  private readonly positions = new Map<number, string>();
  private committer: NodeJS.Timeout | null = null;
  private fetching = false;
  private stopped = false;
  private markListening: () => void = () => undefined;
  private readonly listening = new Promise<void>((resolve) => (this.markListening = resolve));

  constructor(
    private readonly kafka: KafkaClient,
    private readonly options: ResultsListenerOptions,
    private readonly status: CommandStatusStore,
    private readonly logger: Logger,
  ) {}

  /** True once the group is joined and the starting offsets are fetched: no result of a later command is missed. */
  isListening(): boolean {
    return this.fetching;
  }

  /**
   * Starts consuming (retrying in the background while Kafka is away) and
   * resolves once the consumer has joined and fetched, so that requests
   * accepted from then on see their results; rejects after `timeoutMs`.
   */
  start(timeoutMs: number): Promise<void> {
    void this.openUntilStopped();
    return withTimeout(this.listening, timeoutMs, 'the results listener to join its group');
  }

  private async openUntilStopped(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.open();
        return;
      } catch (error) {
        this.logger.warn({ err: String(error), attempt }, 'results listener could not start; retrying');
        await this.consumer?.disconnect().catch(() => undefined);
        this.consumer = null;
        await new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** attempt, 5000)));
      }
    }
  }

  private async open(): Promise<void> {
    await this.options.beforeSubscribe?.();
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      readUncommitted: false,
      maxWaitTimeInMs: this.options.fetchMaxWaitMs ?? 100,
      allowAutoTopicCreation: false,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    });
    this.consumer = consumer;
    this.watchListening(consumer);
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.fetching = false;
      this.logger.warn({ err: String(payload.error), restart: payload.restart }, 'results listener crashed');
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.options.topic, fromBeginning: false });
    // Offsets are committed only so that a restart after a crash resumes
    // where it was instead of skipping to the end again. kafkajs' autoCommit
    // would commit after every batch, awaited before the next fetch: under
    // load that held each result back by one OffsetCommit per partition read.
    this.committer ??= setInterval(() => void this.commitPositions(), this.options.commitIntervalMs ?? 1000);
    this.committer.unref();
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        this.onMessages(batch.messages);
        this.positions.set(batch.partition, (BigInt(batch.lastOffset()) + 1n).toString());
      },
    });
  }

  /** Commits the positions read since the last commit; a failure (a rebalance, a broker away) waits for the next round. */
  private async commitPositions(): Promise<void> {
    const consumer = this.consumer;
    if (!consumer || this.positions.size === 0) return;
    const offsets = [...this.positions].map(([partition, offset]) => ({
      topic: this.options.topic,
      partition,
      offset,
    }));
    this.positions.clear();
    await consumer.commitOffsets(offsets).catch((error: unknown) => {
      this.logger.debug({ err: String(error) }, 'results listener could not commit its offsets');
      for (const o of offsets) if (!this.positions.has(o.partition)) this.positions.set(o.partition, o.offset);
    });
  }

  /** Bounded: a broker that does not answer must not hold up the API's shutdown. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.fetching = false;
    if (this.committer) clearInterval(this.committer);
    this.committer = null;
    await withTimeout(this.commitPositions(), 2000, 'the last offset commit').catch(() => undefined);
    const consumer = this.consumer;
    this.consumer = null;
    if (!consumer) return;
    await withTimeout(consumer.disconnect(), 5000, 'the results listener to leave').catch(() => undefined);
    if (this.options.deleteGroupOnStop) {
      await withTimeout(this.deleteGroup(), 5000, 'the group removal').catch(() => undefined);
    }
  }

  private async deleteGroup(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await admin.deleteGroups([this.options.groupId]);
    } finally {
      await admin.disconnect();
    }
  }

  /** Register before producing the command, so that even an immediate result is seen. */
  waitFor(commandId: string): ResultWaiter {
    // One promise per waiter, settled by the result or by its own timer.
    let settle: Notify & ((result: CommandResult | null) => void) = () => undefined;
    const answer = new Promise<CommandResult | null>((resolve) => (settle = resolve));
    const set = this.waiters.get(commandId) ?? new Set<Notify>();
    set.add(settle);
    this.waiters.set(commandId, set);
    const cancel = () => {
      set.delete(settle);
      if (set.size === 0 && this.waiters.get(commandId) === set) this.waiters.delete(commandId);
    };
    return {
      cancel,
      until: async (ms) => {
        const timer = setTimeout(() => settle(null), Math.max(0, ms));
        try {
          return await answer;
        } finally {
          clearTimeout(timer);
          cancel();
        }
      },
    };
  }

  private onMessages(messages: readonly kafkajs.KafkaMessage[]): void {
    for (const message of messages) {
      if (this.storeUnawaited(message)) continue;
      let result: CommandResult;
      try {
        ({ result } = readCommandResultRecord(message));
      } catch (error) {
        this.logger.warn({ offset: message.offset, err: String(error) }, 'undecodable command result skipped');
        continue;
      }
      this.status.recordOutcome(result, new Date(Number(message.timestamp)).toISOString());
      const waiting = this.waiters.get(result.commandId);
      commandMetrics.resultsSeen.inc({ waited: waiting ? 'yes' : 'no' });
      if (!waiting) continue;
      this.waiters.delete(result.commandId);
      commandMetrics.resultDelay.observe(Math.max(0, Date.now() - Number(message.timestamp)) / 1000);
      for (const notify of waiting) notify(result);
    }
  }

  /**
   * A result nobody here waits for, of a command this instance did not
   * submit (another instance's): its command id is the ce_id header, so it is
   * stored without decoding (ADR 0032). False: decode it as usual.
   */
  private storeUnawaited(message: kafkajs.KafkaMessage): boolean {
    const headers = message.headers ?? {};
    let commandId: string | undefined;
    try {
      commandId = headerText(headers, HEADER.id);
      if (commandId === undefined || this.waiters.has(commandId) || this.status.isTracked(commandId)) return false;
      if (headerText(headers, HEADER.type) !== COMMAND_RESULT_CE_TYPE || !message.value?.length) return false;
      const taskId = headerText(headers, HEADER.subject);
      this.status.recordUndecoded(commandId, taskId, message.value, new Date(Number(message.timestamp)).toISOString());
    } catch {
      return false; // a malformed header: the full decode reports it
    }
    commandMetrics.resultsSeen.inc({ waited: 'no' });
    return true;
  }

  // The first fetch after a join has resolved the starting offsets.
  private watchListening(consumer: kafkajs.Consumer): void {
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true;
      this.fetching = false;
    });
    consumer.on(consumer.events.FETCH, () => {
      if (!joined || this.fetching) return;
      this.logger.info({ groupId: this.options.groupId }, 'results listener fetching');
      this.fetching = true;
      this.markListening();
    });
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
