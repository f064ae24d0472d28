// The API instance's one producer of tasklog.task-commands.v1 (ADR 0012).
// kafkajs has no linger.ms and an idempotent producer sends one request at a
// time, so commands are gathered while the previous request is in flight (or
// for lingerMs when idle) and go out together; every caller awaits its own
// record's acknowledgment, bounded by sendTimeoutMs.
import type kafkajs from 'kafkajs';
import type { KafkaRecord } from '@tasklog/contracts';
import type { KafkaClient } from '@tasklog/platform/kafka';
import type { Logger } from '@tasklog/platform/observability';
import { commandMetrics } from '../commands.metrics.js';

/** The broker did not confirm the command: it may or may not be stored (a retry with the same id is safe). */
export class CommandNotStoredError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CommandNotStoredError';
  }
}

export interface CommandProducerOptions {
  readonly topic: string;
  readonly sendTimeoutMs: number;
  readonly lingerMs: number;
  readonly maxBatchSize: number;
}

interface Entry {
  readonly record: KafkaRecord;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
  settled: boolean;
}

interface Connection {
  readonly producer: kafkajs.Producer;
  readonly ready: Promise<void>;
}

export class CommandProducer {
  private queue: Entry[] = [];
  private lingerTimer: NodeJS.Timeout | null = null;
  private scheduled = false;
  private sending = false;
  private connection: Connection | null = null;
  private closed = false;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly options: CommandProducerOptions,
    private readonly logger: Logger,
  ) {}

  /** Connects ahead of the first command; a broker that is down now is not an error (commands get 503). */
  async start(): Promise<void> {
    await this.connect().ready.catch(() => undefined);
  }

  /** Resolves once the broker acknowledged the record (acks=all); rejects with CommandNotStoredError. */
  send(record: KafkaRecord): Promise<void> {
    if (this.closed) return Promise.reject(new CommandNotStoredError('the API is shutting down'));
    return new Promise<void>((resolve, reject) => {
      const entry: Entry = {
        record,
        resolve,
        reject,
        settled: false,
        timer: setTimeout(
          () => settle(entry, new CommandNotStoredError(`no acknowledgment within ${this.options.sendTimeoutMs} ms`)),
          this.options.sendTimeoutMs,
        ),
      };
      this.queue.push(entry);
      this.schedule();
    });
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    for (const entry of this.queue) settle(entry, new CommandNotStoredError('the API is shutting down'));
    this.queue = [];
    const current = this.connection;
    this.connection = null;
    // Bounded: a broker that does not answer must not hold up the API's shutdown.
    if (current) await raceTimeout(current.producer.disconnect(), 5000).catch(() => undefined);
  }

  /**
   * An idle producer lingers so that a burst goes out together; records that
   * queued up behind a request in flight (or a full batch) go at once.
   */
  private schedule(immediately = false): void {
    if (this.sending || this.scheduled) return;
    this.scheduled = true;
    const go = () => {
      this.scheduled = false;
      this.lingerTimer = null;
      void this.flush();
    };
    if (immediately || this.queue.length >= this.options.maxBatchSize || this.options.lingerMs === 0) setImmediate(go);
    else this.lingerTimer = setTimeout(go, this.options.lingerMs);
  }

  private async flush(): Promise<void> {
    const batch = this.take();
    if (batch.length === 0) return;
    this.sending = true;
    const connection = this.connect();
    const sent = connection.ready.then(() =>
      connection.producer.send({
        topic: this.options.topic,
        acks: -1,
        timeout: this.options.sendTimeoutMs,
        messages: batch.map((e) => e.record),
      }),
    );
    commandMetrics.batchSize.observe(batch.length);
    try {
      await raceTimeout(sent, this.options.sendTimeoutMs);
      const late = batch.filter((e) => e.settled).length;
      if (late > 0) this.countLate(late);
      for (const entry of batch) settle(entry);
    } catch (error) {
      const failure = new CommandNotStoredError(`the broker did not acknowledge: ${String(error)}`, { cause: error });
      for (const entry of batch) settle(entry, failure);
      this.abandon(connection, error);
      this.watchLateAck(sent, batch.length);
    } finally {
      this.sending = false;
      if (this.queue.length > 0) this.schedule(true);
    }
  }

  /** The unsettled entries, oldest first, up to one batch; expired ones are dropped unsent. */
  private take(): Entry[] {
    const pending = this.queue.filter((e) => !e.settled);
    const batch = pending.slice(0, this.options.maxBatchSize);
    this.queue = pending.slice(batch.length);
    return batch;
  }

  private connect(): Connection {
    if (this.connection) return this.connection;
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // One retry (idempotence needs at least one), so kafkajs gives up soon
      // after the request was answered 503 instead of retrying for minutes.
      retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 500 },
    });
    const ready = producer.connect();
    const connection = { producer, ready };
    ready.catch((error: unknown) => {
      this.logger.warn({ err: String(error) }, 'command producer could not connect');
      this.abandon(connection, error);
    });
    this.connection = connection;
    return connection;
  }

  /**
   * A producer whose request failed or hung is not reused: an idempotent
   * producer's sequence numbers may be out of step after a timeout. The next
   * batch gets a fresh producer; this one is disconnected in the background.
   */
  private abandon(connection: Connection, error: unknown): void {
    if (this.connection !== connection) return;
    this.connection = null;
    this.logger.warn({ err: String(error) }, 'command producer abandoned: the next batch uses a new one');
    void connection.producer.disconnect().catch(() => undefined);
  }

  private watchLateAck(sent: Promise<unknown>, count: number): void {
    sent.then(
      () => this.countLate(count),
      () => undefined,
    );
  }

  private countLate(count: number): void {
    commandMetrics.lateAcks.inc(count);
    this.logger.warn({ count }, 'commands were stored after their requests were answered 503 (not confirmed)');
  }
}

function settle(entry: Entry, error?: Error): void {
  if (entry.settled) return;
  entry.settled = true;
  clearTimeout(entry.timer);
  if (error) entry.reject(error);
  else entry.resolve();
}

function raceTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no acknowledgment within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
