// The transactional producer of a single writer (the command processor's
// writer of one partition). It speaks the Kafka protocol itself
// (`wire/`, ADR 0051): record batches are written straight from the codecs'
// buffers and strings into one buffer per partition, with no per-record
// objects. Callers see only this module's types.
import type { KafkaConfig } from '@tasklog/platform/config';
import { BrokerCluster, KafkaProtocolError } from './wire/broker-cluster.js';
import {
  API_VERSIONS,
  decodeApiVersions,
  decodeInitProducerId,
  encodeApiVersions,
  encodeInitProducerId,
  END_TXN_V2,
  INIT_PRODUCER_ID,
  PRODUCE_V2,
  TRANSACTION_COORDINATOR,
  TXN_OFFSET_COMMIT_V2,
  type ProducerIdentity,
} from './wire/producer.protocol.js';
import { partitionKey, ProducerSession, type TransactionVersion } from './wire/producer.session.js';

export type { TransactionVersion };

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
  /**
   * The transaction protocol (ADR 0057): 2 where the broker has finalized
   * `transaction.version` 2 and serves its requests, else 1 (`auto`, the
   * default); or one of them, for tests.
   */
  readonly transactionVersion?: TransactionVersion | 'auto';
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

type ClusterConfig = Pick<KafkaConfig, 'brokers' | 'clientId' | 'connectionTimeoutMs'>;

const FENCING = new Set(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED']);

/** Answers of a transaction coordinator that is not there yet, moving, or still busy: worth retrying. */
const TRANSIENT_COORDINATOR = new Set([
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'CONCURRENT_TRANSACTIONS',
]);

const protocolErrorName = (error: unknown): string | undefined =>
  error instanceof KafkaProtocolError
    ? error.errorName
    : error instanceof KafkaTransactionError
      ? protocolErrorName(error.cause)
      : undefined;

function wrap(operation: string, error: unknown): KafkaTransactionError {
  if (error instanceof KafkaTransactionError) return error;
  const name = protocolErrorName(error);
  const fenced = name !== undefined && FENCING.has(name);
  const detail =
    error instanceof KafkaProtocolError ? error.message : error instanceof Error ? error.message : String(error);
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

/**
 * One transaction. Never reuse its producer after any error here: close it
 * and fence again with a new one (an error may be ambiguous).
 */
export class KafkaTransaction {
  private readonly partitions = new Set<string>();
  private readonly groups = new Set<string>();
  private ended = false;

  constructor(
    private readonly session: ProducerSession,
    private readonly onEnd: (tx: KafkaTransaction) => void,
  ) {}

  /** Sends records of one topic; answers the base offset given to the first partition written. */
  async send(topic: string, records: readonly OutgoingRecord[]): Promise<bigint | undefined> {
    if (records.length === 0) return undefined;
    const offsets = await this.sendAll([{ topic, records }]);
    const first = records[0]!.partition;
    return offsets.find((o) => o.topic === topic && (first === undefined || o.partition === first))?.offset;
  }

  /**
   * Sends the records of several topics together: new partitions join the
   * transaction in one request, then every partition's records go out as one
   * record batch, in one produce request per leader. Answers the base offset
   * of every partition written.
   */
  sendAll(
    batches: ReadonlyArray<{ readonly topic: string; readonly records: readonly OutgoingRecord[] }>,
  ): Promise<TopicPartitionOffset[]> {
    const topics = [...new Set(batches.filter((b) => b.records.length > 0).map((b) => b.topic))].join(', ');
    return attempt(`send to ${topics}`, async () => {
      const byPartition = await this.session.partitioned(batches);
      if (byPartition.size === 0) return [];
      this.checkOpen();
      const joining = new Map<string, number[]>();
      for (const { topic, partition } of byPartition.values()) {
        if (this.partitions.has(partitionKey(topic, partition))) continue;
        joining.set(topic, [...(joining.get(topic) ?? []), partition]);
      }
      // Protocol v2: the produce request adds its partitions itself (they count as touched from now on).
      if (joining.size > 0 && this.session.transactionVersion === 1) await this.session.addPartitions(joining);
      for (const [topic, indexes] of joining) for (const p of indexes) this.partitions.add(partitionKey(topic, p));
      return this.session.produce([...byPartition.values()]);
    });
  }

  /**
   * Commits `nextOffset` of a consumed partition for a consumer group as part
   * of this transaction (kafkajs' sendOffsets). It is sent without the
   * group's generation, as kafkajs does: the writer is fenced by its
   * transactional id, which every new owner of the partition initialises.
   */
  sendOffsets(groupId: string, topic: string, partition: number, nextOffset: bigint): Promise<void> {
    return attempt('add offsets to the transaction', async () => {
      this.checkOpen();
      if (!this.groups.has(groupId)) {
        // Protocol v2: the offset commit adds the group itself.
        if (this.session.transactionVersion === 1) await this.session.addOffsets(groupId);
        this.groups.add(groupId);
      }
      await this.session.commitOffsets(groupId, [{ topic, partition, offset: nextOffset }]);
    });
  }

  commit(): Promise<void> {
    return attempt('commit', () => this.end(true));
  }

  abort(): Promise<void> {
    return attempt('abort', () => this.end(false));
  }

  private async end(committed: boolean): Promise<void> {
    this.checkOpen();
    this.ended = true;
    this.onEnd(this);
    // A transaction that touched nothing has nothing for the coordinator to end.
    if (this.partitions.size === 0 && this.groups.size === 0) return;
    await this.session.endTransaction(committed);
  }

  private checkOpen(): void {
    if (this.ended) throw new Error('the transaction has ended');
  }
}

/**
 * A producer with a transactional id. `fence()` initialises the id: the
 * broker bumps its epoch, aborts whatever the previous owner left open and
 * refuses every later request of that owner (zombie fencing).
 */
export class TransactionalProducer {
  private current: KafkaTransaction | null = null;

  private constructor(private readonly session: ProducerSession) {}

  /**
   * Connects and initialises the transactional id. A fresh broker has no
   * transaction coordinator until `__transaction_state` exists, and a
   * coordinator may be moving or finishing the previous owner's transaction:
   * those answers are retried with backoff until `fenceTimeoutMs` (each
   * attempt on new connections, so no cached coordinator survives).
   */
  static async fence(config: ClusterConfig, options: TransactionalProducerOptions): Promise<TransactionalProducer> {
    const deadline = Date.now() + (options.fenceTimeoutMs ?? 60_000);
    for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
      try {
        return await TransactionalProducer.fenceOnce(config, options);
      } catch (error) {
        const name = protocolErrorName(error);
        const transient = name !== undefined && TRANSIENT_COORDINATOR.has(name);
        if (!transient || Date.now() + delay > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private static async fenceOnce(
    config: ClusterConfig,
    options: TransactionalProducerOptions,
  ): Promise<TransactionalProducer> {
    const timeoutMs = options.transactionTimeoutMs ?? 30_000;
    const cluster = new BrokerCluster({ ...config, requestTimeoutMs: timeoutMs });
    try {
      const coordinator = await cluster.coordinator(options.transactionalId, TRANSACTION_COORDINATOR);
      const body = await cluster.request(
        coordinator,
        INIT_PRODUCER_ID,
        encodeInitProducerId(options.transactionalId, timeoutMs),
      );
      const { errorCode, producerId, epoch } = decodeInitProducerId(body);
      if (errorCode !== 0) throw new KafkaProtocolError('init producer id', errorCode, options.transactionalId);
      const id = { transactionalId: options.transactionalId, producerId, epoch };
      const version = await transactionVersionOf(cluster, coordinator, options.transactionVersion ?? 'auto');
      return new TransactionalProducer(new ProducerSession(cluster, id, coordinator, timeoutMs, version));
    } catch (error) {
      cluster.close();
      throw wrap('fence', error);
    }
  }

  /** Starts a transaction (nothing goes to the broker until the first send). One at a time. */
  transaction(): Promise<KafkaTransaction> {
    return attempt('begin transaction', async () => {
      if (this.current) throw new Error('a transaction is already open on this producer');
      this.current = new KafkaTransaction(this.session, (tx) => {
        if (this.current === tx) this.current = null;
      });
      return this.current;
    });
  }

  /** The producer id and epoch the broker gave this owner of the transactional id (of the current transaction). */
  get identity(): ProducerIdentity {
    return this.session.id;
  }

  get transactionVersion(): TransactionVersion {
    return this.session.transactionVersion;
  }

  async disconnect(): Promise<void> {
    this.session.cluster.close();
  }
}

/**
 * Version 2 of the transaction protocol when the coordinator's broker has
 * finalized `transaction.version` 2 (Kafka 4 does on a new cluster) and
 * serves the request versions it needs; version 1 otherwise.
 */
async function transactionVersionOf(
  cluster: BrokerCluster,
  coordinator: number,
  wanted: TransactionVersion | 'auto',
): Promise<TransactionVersion> {
  if (wanted !== 'auto') return wanted;
  const versions = decodeApiVersions(await cluster.request(coordinator, API_VERSIONS, encodeApiVersions()));
  if (versions.errorCode !== 0) return 1;
  const serves = [PRODUCE_V2, TXN_OFFSET_COMMIT_V2, END_TXN_V2].every(
    (api) => (versions.maxVersions.get(api.key) ?? -1) >= api.version,
  );
  return serves && (versions.features.get('transaction.version') ?? 0) >= 2 ? 2 : 1;
}
