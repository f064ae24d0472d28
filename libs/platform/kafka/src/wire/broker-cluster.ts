// The brokers one producer (or group consumer) talks to: a connection per broker node, opened
// on first use; partition leaders from Metadata; coordinators from
// FindCoordinator. Protocol errors come back as KafkaProtocolError, which
// names the error code. Nothing is retried here.
import { BrokerConnection } from './broker-connection.js';
import {
  decodeFindCoordinator,
  decodeMetadata,
  encodeFindCoordinator,
  encodeMetadata,
  errorName,
  FIND_COORDINATOR,
  METADATA,
  type Api,
  type BrokerNode,
} from './producer.protocol.js';

/** An error code in a broker's answer. `errorName` is Kafka's name for it (`PRODUCER_FENCED`, …). */
export class KafkaProtocolError extends Error {
  override readonly name = 'KafkaProtocolError';
  readonly errorName: string;
  constructor(
    readonly operation: string,
    readonly errorCode: number,
    where = '',
  ) {
    super(`${operation}${where ? ` (${where})` : ''}: ${errorName(errorCode)}`);
    this.errorName = errorName(errorCode);
  }
}

export interface ClusterOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

export class BrokerCluster {
  private readonly nodes = new Map<number, BrokerNode>();
  private readonly connections = new Map<number, Promise<BrokerConnection>>();
  private readonly leaders = new Map<string, readonly number[]>();
  private closed = false;

  constructor(private readonly options: ClusterOptions) {}

  /** Sends a request to a broker node; answers the response body. */
  async request(nodeId: number, api: Api, body: Buffer, timeoutMs = this.options.requestTimeoutMs): Promise<Buffer> {
    const connection = await this.connection(nodeId);
    return connection.request(api.key, api.version, body, timeoutMs, api.flexible === true);
  }

  /** The node leading a partition (from metadata, looked up once per topic). */
  async leaderOf(topic: string, partition: number): Promise<number> {
    const leader = (await this.partitionsOf(topic))[partition];
    if (leader === undefined || leader < 0) throw new KafkaProtocolError('metadata', 5, `${topic}:${partition}`);
    return leader;
  }

  async partitionCount(topic: string): Promise<number> {
    return (await this.partitionsOf(topic)).length;
  }

  /** Forgets what metadata said of a topic: the next question looks it up again. */
  forgetTopic(topic: string): void {
    this.leaders.delete(topic);
  }

  /** The node coordinating a transactional id (keyType 1) or a consumer group (keyType 0). */
  async coordinator(key: string, keyType: number): Promise<number> {
    const body = await this.anyNode((c) =>
      c.request(
        FIND_COORDINATOR.key,
        FIND_COORDINATOR.version,
        encodeFindCoordinator(key, keyType),
        this.options.requestTimeoutMs,
      ),
    );
    const { errorCode, node } = decodeFindCoordinator(body);
    if (errorCode !== 0) throw new KafkaProtocolError('find coordinator', errorCode, key);
    this.nodes.set(node.nodeId, node);
    return node.nodeId;
  }

  close(): void {
    this.closed = true;
    for (const pending of this.connections.values())
      void pending.then(
        (c) => c.close(),
        () => undefined,
      );
    this.connections.clear();
  }

  private async partitionsOf(topic: string): Promise<readonly number[]> {
    const known = this.leaders.get(topic);
    if (known) return known;
    const body = await this.anyNode((c) =>
      c.request(METADATA.key, METADATA.version, encodeMetadata([topic]), this.options.requestTimeoutMs),
    );
    const { brokers, topics } = decodeMetadata(body);
    for (const node of brokers) this.nodes.set(node.nodeId, node);
    const found = topics.find((t) => t.name === topic);
    if (!found || found.errorCode !== 0) throw new KafkaProtocolError('metadata', found?.errorCode ?? 3, topic);
    this.leaders.set(topic, found.leaders);
    return found.leaders;
  }

  private connection(nodeId: number): Promise<BrokerConnection> {
    const existing = this.connections.get(nodeId);
    if (existing) return existing;
    const node = this.nodes.get(nodeId);
    if (!node) return Promise.reject(new Error(`broker node ${nodeId} is not known`));
    return this.open(nodeId, node.host, node.port);
  }

  private open(key: number, host: string, port: number): Promise<BrokerConnection> {
    if (this.closed) return Promise.reject(new Error('the Kafka client is closed'));
    const opening = BrokerConnection.open(host, port, this.options.clientId, this.options.connectionTimeoutMs);
    this.connections.set(key, opening);
    // A failed connection stays failed: the producer using it is thrown away.
    opening.catch(() => undefined);
    return opening;
  }

  /** A request any broker can answer: a known node's connection, else the bootstrap brokers in turn. */
  private async anyNode(send: (connection: BrokerConnection) => Promise<Buffer>): Promise<Buffer> {
    const first = this.nodes.keys().next();
    if (!first.done) return send(await this.connection(first.value));
    let lastError: unknown;
    for (const [index, address] of this.options.brokers.entries()) {
      const colon = address.lastIndexOf(':');
      const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
      try {
        // Bootstrap connections take negative keys: they are not node ids.
        return await send(await this.open(-1 - index, host, Number(address.slice(colon + 1))));
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError ?? new Error('no Kafka brokers configured');
  }
}
