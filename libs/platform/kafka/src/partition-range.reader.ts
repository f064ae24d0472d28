import kafkajs from 'kafkajs';
import { BrokerConnection, BrokerConnectionError } from './wire/broker-connection.js';
import {
  FETCH_API_KEY,
  FETCH_API_VERSION,
  OFFSET_OUT_OF_RANGE,
  RETRIABLE_FETCH_ERRORS,
  decodeFetchResponse,
  encodeFetchRequest,
  type FetchPartitionRequest,
  type FetchResponse,
  type FetchedPartition,
} from './wire/fetch.protocol.js';
import { decodeCommitted, scanBatches, type BatchHeader, LogRecord } from './wire/record-batch.js';

export { LogRecord };

/** Reads [from, end) of one partition; `end` is a high watermark taken before the read. */
export interface PartitionRange {
  readonly topic: string;
  readonly partition: number;
  readonly from: bigint;
  readonly end: bigint;
}

export interface RangeMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly message: LogRecord;
}

export interface ReadRangesOptions {
  readonly timeoutMs?: number;
  /** Bytes per partition per fetch (default 4 MiB; a larger first batch is still read whole). */
  readonly fetchBytes?: number;
  /** Called for every partition's share of a fetch, in offset order per partition; awaited before that partition's next share. */
  readonly onBatch: (messages: RangeMessage[]) => void | Promise<void>;
  /**
   * A range starting below its partition's first offset: `refuse` (default;
   * RangeNotInLogError, for a log whose every record counts) or `clamp`
   * (read from where the log starts now: a compacted topic read for its
   * latest values, whose start may move).
   */
  readonly belowLogStart?: 'refuse' | 'clamp';
}

/**
 * Reads chosen partitions from chosen offsets to chosen ends (the write
 * side's catch-up, a rebuild, a verify), read_committed, with Fetch requests
 * of its own to each partition's leader (ADR 0042): no consumer group, and
 * records decoded straight from the fetched bytes. Ends when every partition
 * has passed its end offset, transaction markers included. A range that
 * starts before the first offset its partition still holds (retention or
 * deleted records took the rest) is refused with RangeNotInLogError (or,
 * with `belowLogStart: 'clamp'`, read from where the log starts now).
 * Lost connections and leader moves are retried from the records handed out
 * so far; an error thrown by `onBatch` ends the read at once.
 */
export async function readPartitionRanges(
  kafka: kafkajs.Kafka,
  ranges: readonly PartitionRange[],
  options: ReadRangesOptions,
): Promise<void> {
  const requested = ranges.filter((r) => r.end > r.from);
  if (requested.length === 0) return;
  const pending = await withinLog(kafka, requested, options.belowLogStart ?? 'refuse');
  if (pending.length === 0) return;
  await new RangeFetcher(kafka, pending, options).run();
}

/** Some records of a range are no longer in the log: reading it would skip them. */
export class RangeNotInLogError extends Error {
  override readonly name = 'RangeNotInLogError';
}

async function withinLog(
  kafka: kafkajs.Kafka,
  ranges: readonly PartitionRange[],
  belowLogStart: 'refuse' | 'clamp',
): Promise<PartitionRange[]> {
  const within: PartitionRange[] = [];
  for (const [topic, list] of groupByTopic(ranges)) {
    const logs = await logRanges(kafka, topic);
    const start = (r: PartitionRange) => logs.get(r.partition)?.start ?? 0n;
    const gone = list.filter((r) => r.from < start(r));
    if (gone.length > 0 && belowLogStart === 'refuse')
      throw new RangeNotInLogError(
        gone.map((r) => `${topic}/${r.partition} from ${r.from}: the log starts at ${start(r)}`).join('; '),
      );
    for (const r of list) {
      const from = r.from < start(r) ? start(r) : r.from;
      if (r.end > from) within.push({ ...r, from });
    }
  }
  return within;
}

function groupByTopic(ranges: readonly PartitionRange[]): Map<string, PartitionRange[]> {
  const byTopic = new Map<string, PartitionRange[]>();
  for (const r of ranges) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
  return byTopic;
}

/** A fetch answered with an error worth retrying after looking the leaders up again. */
class RetriableFetchError extends Error {
  override readonly name = 'RetriableFetchError';
}

interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly end: bigint;
  /** The next offset to hand out. */
  position: bigint;
  maxBytes: number;
}

const DEFAULT_PARTITION_BYTES = 4 * 1024 * 1024;
const MAX_PARTITION_BYTES = 64 * 1024 * 1024;
const RESPONSE_BYTES = 16 * 1024 * 1024;
const MAX_WAIT_MS = 50;
const REQUEST_TIMEOUT_MS = 30_000;
const CONNECT_TIMEOUT_MS = 5_000;
const MAX_RETRIES = 10;

class RangeFetcher {
  private readonly states: PartitionState[];
  private readonly connections = new Map<string, BrokerConnection>();
  private timedOut = false;

  constructor(
    private readonly kafka: kafkajs.Kafka,
    ranges: readonly PartitionRange[],
    private readonly options: ReadRangesOptions,
  ) {
    this.states = ranges.map((r) => ({
      topic: r.topic,
      partition: r.partition,
      end: r.end,
      position: r.from,
      maxBytes: options.fetchBytes ?? DEFAULT_PARTITION_BYTES,
    }));
  }

  async run(): Promise<void> {
    const timeoutMs = this.options.timeoutMs ?? 120_000;
    const timer = setTimeout(() => {
      this.timedOut = true;
      this.closeConnections();
    }, timeoutMs);
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      let retries = 0;
      while (this.open().length > 0) {
        const before = this.handedOut();
        try {
          await this.readAll(admin);
        } catch (error) {
          if (this.timedOut)
            throw new Error(
              `partition range read timed out after ${timeoutMs} ms; still reading ${this.open()
                .map((s) => `${s.topic}:${s.partition}`)
                .join(', ')}`,
              { cause: error },
            );
          const retriable = error instanceof RetriableFetchError || error instanceof BrokerConnectionError;
          retries = this.handedOut() > before ? 1 : retries + 1;
          if (!retriable || retries > MAX_RETRIES) throw error;
          this.closeConnections();
          await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** (retries - 1), 5000)));
        }
      }
    } finally {
      clearTimeout(timer);
      this.closeConnections();
      await admin.disconnect().catch(() => undefined);
    }
  }

  /**
   * One reading loop per leader. The first loop to fail closes every
   * connection, so the others stop too; only once all have stopped may a
   * retry start new ones (no partition is ever read by two loops at once).
   */
  private async readAll(admin: kafkajs.Admin): Promise<void> {
    const loops = [...(await this.leaders(admin))].map(([address, states]) =>
      this.readFrom(address, states).catch((error: unknown) => {
        this.closeConnections();
        throw error;
      }),
    );
    const failures = (await Promise.allSettled(loops)).flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
    // A loop stopped by another's failure fails with a closed connection: report the cause.
    const cause = failures.find((e) => !(e instanceof BrokerConnectionError)) ?? failures[0];
    if (cause !== undefined) throw cause;
  }

  private open(): PartitionState[] {
    return this.states.filter((s) => s.position < s.end);
  }

  private handedOut(): bigint {
    return this.states.reduce((sum, s) => sum + s.position, 0n);
  }

  /** The open partitions by the address of their leader. */
  private async leaders(admin: kafkajs.Admin): Promise<Map<string, PartitionState[]>> {
    const open = this.open();
    const [metadata, cluster] = await Promise.all([
      admin.fetchTopicMetadata({ topics: [...new Set(open.map((s) => s.topic))] }),
      admin.describeCluster(),
    ]);
    const brokers = new Map(cluster.brokers.map((b) => [b.nodeId, `${b.host}:${b.port}`]));
    const byAddress = new Map<string, PartitionState[]>();
    for (const state of open) {
      const leader = metadata.topics
        .find((t) => t.name === state.topic)
        ?.partitions.find((p) => p.partitionId === state.partition)?.leader;
      const address = leader === undefined ? undefined : brokers.get(leader);
      if (address === undefined)
        throw new RetriableFetchError(`${state.topic}:${state.partition} has no leader the cluster knows`);
      byAddress.set(address, [...(byAddress.get(address) ?? []), state]);
    }
    return byAddress;
  }

  private async connection(address: string): Promise<BrokerConnection> {
    let connection = this.connections.get(address);
    if (!connection) {
      const colon = address.lastIndexOf(':');
      connection = await BrokerConnection.open(
        address.slice(0, colon),
        Number(address.slice(colon + 1)),
        'tasklog-range-reader',
        CONNECT_TIMEOUT_MS,
      );
      if (this.timedOut) connection.close();
      this.connections.set(address, connection);
    }
    return connection;
  }

  private closeConnections(): void {
    for (const connection of this.connections.values()) connection.close();
    this.connections.clear();
  }

  /**
   * Reads the partitions one leader holds until each has passed its end. The
   * next fetch goes out as soon as a response's batch headers are scanned, so
   * the broker reads while this thread decodes and hands records out.
   */
  private async readFrom(address: string, states: readonly PartitionState[]): Promise<void> {
    const connection = await this.connection(address);
    const fetchFrom = new Map(states.map((s) => [s, s.position]));
    const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;
    const byKey = new Map(states.map((s) => [key(s.topic, s.partition), s]));
    const fetch = (): Promise<FetchResponse> | null => {
      const open = states.filter((s) => fetchFrom.get(s)! < s.end);
      if (open.length === 0) return null;
      const topics = new Map<string, FetchPartitionRequest[]>();
      for (const s of open)
        topics.set(s.topic, [
          ...(topics.get(s.topic) ?? []),
          { partition: s.partition, offset: fetchFrom.get(s)!, maxBytes: s.maxBytes },
        ]);
      const request = encodeFetchRequest({ maxWaitMs: MAX_WAIT_MS, maxBytes: RESPONSE_BYTES, topics });
      const response = connection
        .request(FETCH_API_KEY, FETCH_API_VERSION, request, REQUEST_TIMEOUT_MS + MAX_WAIT_MS)
        .then(decodeFetchResponse);
      response.catch(() => undefined); // awaited below; a failure while handing out must not go unhandled
      return response;
    };
    let inFlight = fetch();
    while (inFlight) {
      const response = await inFlight;
      if (response.errorCode !== 0) throw fetchError(address, response.errorCode);
      const fetched: { state: PartitionState; part: FetchedPartition; batches: BatchHeader[] }[] = [];
      for (const part of response.partitions) {
        const state = byKey.get(key(part.topic, part.partition));
        if (!state) continue;
        if (part.errorCode === OFFSET_OUT_OF_RANGE)
          throw new RangeNotInLogError(
            `${part.topic}/${part.partition} from ${fetchFrom.get(state)}: the log holds ${part.logStartOffset} to ${part.highWatermark}`,
          );
        if (part.errorCode !== 0) throw fetchError(`${address} ${part.topic}/${part.partition}`, part.errorCode);
        const batches = scanBatches(part.records);
        if (batches.length > 0) fetchFrom.set(state, batches[batches.length - 1]!.nextOffset);
        // Records but no whole batch: a batch larger than the partition's bytes.
        else if (part.records.length > 0) state.maxBytes = Math.min(state.maxBytes * 2, MAX_PARTITION_BYTES);
        fetched.push({ state, part, batches });
      }
      inFlight = fetch();
      for (const { state, part, batches } of fetched) {
        // Another loop failed (or the read timed out): hand nothing more out.
        if (connection.closed) throw new BrokerConnectionError(`${address}: reading stopped`);
        if (batches.length === 0) continue;
        const records: LogRecord[] = [];
        decodeCommitted(part.records, batches, part.aborted, state.position, state.end, records);
        if (records.length > 0)
          await this.options.onBatch(
            records.map((message) => ({
              topic: state.topic,
              partition: state.partition,
              offset: message.offsetValue,
              message,
            })),
          );
        const next = batches[batches.length - 1]!.nextOffset;
        if (next > state.position) state.position = next;
      }
    }
  }
}

function fetchError(where: string, code: number): Error {
  const name = RETRIABLE_FETCH_ERRORS.get(code);
  return name
    ? new RetriableFetchError(`fetch from ${where} answered ${name}`)
    : new Error(`fetch from ${where} answered Kafka error code ${code}`);
}

/** The high watermark of every partition of a topic (the end a reader reads to). */
export async function highWatermarks(kafka: kafkajs.Kafka, topic: string): Promise<Map<number, bigint>> {
  const ranges = await logRanges(kafka, topic);
  return new Map([...ranges].map(([partition, { end }]) => [partition, end]));
}

/** Per partition: the first offset the log still holds and one past its last (the high watermark). */
export interface LogRange {
  readonly start: bigint;
  readonly end: bigint;
}

export async function logRanges(kafka: kafkajs.Kafka, topic: string): Promise<Map<number, LogRange>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const offsets = await admin.fetchTopicOffsets(topic);
        return new Map(offsets.map((o) => [o.partition, { start: BigInt(o.low), end: BigInt(o.high) }]));
      } catch (error) {
        // A topic created a moment ago may not have elected its leaders yet.
        const retriable = error instanceof kafkajs.KafkaJSError && error.retriable;
        if (!retriable || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
  } finally {
    await admin.disconnect();
  }
}
