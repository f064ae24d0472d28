// The transactional producer of a single writer (the command processor's
// writer of one partition), on @platformatic/kafka: it encodes records at
// about half kafkajs' CPU per record (ADR 0024). Callers see only this
// module's types, so the client stays swappable.
import type { Message, Producer } from '@platformatic/kafka';
import type { KafkaConfig } from '@tasklog/platform/config';

// Loaded on first use: @platformatic/kafka compiles its option schemas when
// imported (about 0.25 s of CPU at boot), which the apps that only read
// through this library (the projector, the API) should not pay.
let platformatic: Promise<typeof import('@platformatic/kafka')> | undefined;
const loadPlatformatic = () => (platformatic ??= import('@platformatic/kafka'));

/** A record as the codecs of @tasklog/contracts build it. */
export interface OutgoingRecord {
  readonly key: string;
  readonly value: Buffer;
  readonly headers: Readonly<Record<string, string>>;
  /** Without it the partition comes from the key (Java-compatible murmur2, as kafkajs and the API use). */
  readonly partition?: number;
}

export interface TransactionalProducerOptions {
  readonly transactionalId: string;
  /** The broker aborts a transaction left open longer than this; also each request's timeout. */
  readonly transactionTimeoutMs?: number;
  /** How long `fence()` retries a coordinator that is not available yet (default 60 s). */
  readonly fenceTimeoutMs?: number;
}

/** The base offset a send got in one partition. */
export interface TopicPartitionOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}

/** A failed transactional operation. `fenced`: a newer owner of the transactional id exists. */
export class KafkaTransactionError extends Error {
  override readonly name = 'KafkaTransactionError';
  constructor(
    message: string,
    readonly fenced: boolean,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

const FENCING = new Set(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED']);

/** Answers of a transaction coordinator that is not there yet, moving, or still busy: worth retrying. */
const TRANSIENT_COORDINATOR = new Set([
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'CONCURRENT_TRANSACTIONS',
]);

/** Kafka protocol error ids found anywhere in a @platformatic/kafka error (they nest). */
function protocolErrorIds(error: unknown, seen = new Set<unknown>()): string[] {
  if (typeof error !== 'object' || error === null || seen.has(error)) return [];
  seen.add(error);
  const e = error as { apiId?: unknown; errors?: unknown; cause?: unknown };
  const own = typeof e.apiId === 'string' ? [e.apiId] : [];
  const nested = Array.isArray(e.errors) ? e.errors.flatMap((x) => protocolErrorIds(x, seen)) : [];
  return [...own, ...nested, ...protocolErrorIds(e.cause, seen)];
}

function wrap(operation: string, error: unknown): KafkaTransactionError {
  if (error instanceof KafkaTransactionError) return error;
  const ids = [...new Set(protocolErrorIds(error))];
  const fenced = ids.some((id) => FENCING.has(id));
  const detail = ids.length > 0 ? ids.join(', ') : error instanceof Error ? error.message : String(error);
  return new KafkaTransactionError(`${operation} failed: ${detail}${fenced ? ' (fenced)' : ''}`, fenced, {
    cause: error,
  });
}

async function attempt<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw wrap(operation, error);
  }
}

type Client = Producer<string, Buffer, string, string>;
type ClientTransaction = Awaited<ReturnType<Client['beginTransaction']>>;

/**
 * One transaction. Never reuse its producer after any error here: close it
 * and fence again with a new one (an error may be ambiguous).
 */
export class KafkaTransaction {
  constructor(
    private readonly tx: ClientTransaction,
    private readonly coordinatorOf: (groupId: string) => Promise<number>,
  ) {}

  /** Sends records of one topic; answers the base offset given to the first partition written. */
  async send(topic: string, records: readonly OutgoingRecord[]): Promise<bigint | undefined> {
    if (records.length === 0) return undefined;
    const offsets = await this.sendAll([{ topic, records }]);
    const first = records[0]!.partition;
    return offsets.find((o) => o.topic === topic && (first === undefined || o.partition === first))?.offset;
  }

  /**
   * Sends the records of several topics together: the partitions join the
   * transaction in one request and the records go out in one produce request
   * per broker. Answers the base offset of every partition written.
   */
  async sendAll(
    batches: ReadonlyArray<{ readonly topic: string; readonly records: readonly OutgoingRecord[] }>,
  ): Promise<TopicPartitionOffset[]> {
    const messages = batches.flatMap(({ topic, records }) =>
      records.map((r) => ({
        topic,
        key: r.key,
        value: r.value,
        headers: r.headers as Record<string, string>,
        ...(r.partition === undefined ? {} : { partition: r.partition }),
      })),
    );
    if (messages.length === 0) return [];
    const topics = [...new Set(batches.map((b) => b.topic))].join(', ');
    const result = await attempt(`send to ${topics}`, () => this.tx.send({ messages }));
    return (result.offsets ?? []).map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset }));
  }

  /**
   * Commits `nextOffset` of a consumed partition for a consumer group as part
   * of this transaction (kafkajs' sendOffsets). It is sent without the
   * group's generation, as kafkajs does: the writer is fenced by its
   * transactional id, which every new owner of the partition initialises.
   */
  async sendOffsets(groupId: string, topic: string, partition: number, nextOffset: bigint): Promise<void> {
    await attempt('add offsets to the transaction', async () => {
      await this.tx.addConsumer({ groupId } as Parameters<ClientTransaction['addConsumer']>[0]);
      const coordinatorId = await this.coordinatorOf(groupId);
      const consumed = {
        topic,
        partition,
        // The client commits the offset after the message it is given.
        offset: nextOffset - 1n,
        metadata: { consumer: { groupId, generationId: -1, memberId: '', coordinatorId } },
      } as unknown as Message;
      await this.tx.addOffset(consumed);
    });
  }

  commit(): Promise<void> {
    return attempt('commit', () => this.tx.commit());
  }

  abort(): Promise<void> {
    return attempt('abort', () => this.tx.abort());
  }
}

/**
 * A producer with a transactional id. `fence()` initialises the id: the
 * broker bumps its epoch, aborts whatever the previous owner left open and
 * refuses every later request of that owner (zombie fencing).
 */
export class TransactionalProducer {
  private readonly coordinators = new Map<string, number>();

  private constructor(
    private readonly client: Client,
    private readonly config: Pick<KafkaConfig, 'brokers' | 'clientId' | 'connectionTimeoutMs'>,
  ) {}

  /**
   * Creates the producer and initialises its transactional id. A fresh
   * broker has no transaction coordinator until `__transaction_state` exists,
   * and a coordinator may be moving or finishing the previous owner's
   * transaction: those answers are retried with backoff until `fenceTimeoutMs`
   * (each attempt on a new client, so no cached coordinator survives).
   */
  static async fence(
    config: Pick<KafkaConfig, 'brokers' | 'clientId' | 'connectionTimeoutMs'>,
    options: TransactionalProducerOptions,
  ): Promise<TransactionalProducer> {
    const deadline = Date.now() + (options.fenceTimeoutMs ?? 60_000);
    for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
      try {
        return await TransactionalProducer.fenceOnce(config, options);
      } catch (error) {
        const transient = protocolErrorIds(error).some((id) => TRANSIENT_COORDINATOR.has(id));
        if (!transient || Date.now() + delay > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private static async fenceOnce(
    config: Pick<KafkaConfig, 'brokers' | 'clientId' | 'connectionTimeoutMs'>,
    options: TransactionalProducerOptions,
  ): Promise<TransactionalProducer> {
    const { Producer, compatibilityPartitioner, stringSerializer } = await loadPlatformatic();
    const client: Client = new Producer({
      clientId: config.clientId,
      bootstrapBrokers: config.brokers,
      connectTimeout: config.connectionTimeoutMs,
      timeout: options.transactionTimeoutMs ?? 30_000,
      transactionalId: options.transactionalId,
      idempotent: true,
      acks: -1,
      retries: 3,
      // Its default, 1 s, is paid on every CONCURRENT_TRANSACTIONS answer the
      // broker gives while it still writes the previous transaction's markers.
      retryDelay: 20,
      autocreateTopics: false,
      partitioner: compatibilityPartitioner,
      serializers: { key: stringSerializer, headerKey: stringSerializer, headerValue: stringSerializer },
    });
    const producer = new TransactionalProducer(client, config);
    try {
      // producerId -1: take the id over whatever its current producer id and
      // epoch are (the client would otherwise claim 0/0 and be refused as fenced).
      const tx = await client.beginTransaction({ producerId: -1n, producerEpoch: -1 });
      await tx.cancel();
    } catch (error) {
      await producer.disconnect();
      throw wrap('fence', error);
    }
    return producer;
  }

  async transaction(): Promise<KafkaTransaction> {
    const tx = await attempt('begin transaction', () => this.client.beginTransaction());
    return new KafkaTransaction(tx, (groupId) => this.coordinatorOf(groupId));
  }

  /** The broker coordinating a consumer group, where its transactional offsets go. */
  private async coordinatorOf(groupId: string): Promise<number> {
    const known = this.coordinators.get(groupId);
    if (known !== undefined) return known;
    const { Consumer } = await loadPlatformatic();
    const finder = new Consumer({
      clientId: this.config.clientId,
      bootstrapBrokers: this.config.brokers,
      connectTimeout: this.config.connectionTimeoutMs,
      groupId,
    });
    try {
      const id = await finder.findGroupCoordinator();
      this.coordinators.set(groupId, id);
      return id;
    } finally {
      await finder.close(true).catch(() => undefined);
    }
  }

  async disconnect(): Promise<void> {
    await this.client.close(true).catch(() => undefined);
  }
}
