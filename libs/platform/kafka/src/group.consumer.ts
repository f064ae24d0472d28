// A consumer-group member that reads one topic read_committed with Fetch
// requests of its own (ADR 0052). The membership (group.membership.ts) says
// which partitions are this member's; the owner of the consumer then says,
// with seek(), where each one starts, and only sought partitions are
// fetched. The owner takes those positions from outside Kafka (the projector
// keeps them in PostgreSQL, ADR 0015) or from the group's committed offsets
// (`committedOffsets`: the command processor, ADR 0055). Records are decoded
// straight from the fetched bytes (record-batch.ts) and handed out per
// partition, in order; the next fetch is on its way while they are handed
// out, and a hand-out that waits (backpressure) holds its leader's fetching,
// never the heartbeats. A new assignment, a seek or a failure ends the fetches in
// flight; reading starts again from what was handed out, never past it.
import { BrokerCluster, KafkaProtocolError } from './wire/broker-cluster.js';
import {
  FETCH_API_KEY,
  FETCH_API_VERSION,
  OFFSET_OUT_OF_RANGE,
  decodeFetchResponse,
  encodeFetchRequest,
  type FetchedPartition,
} from './wire/fetch.protocol.js';
import { GroupMembership, retryDelayMs, type Generation, type MembershipOptions } from './wire/group.membership.js';
import { decodeCommitted, scanBatches, type BatchHeader, type LogRecord } from './wire/record-batch.js';

export type { Generation };

export interface GroupConsumerOptions extends Omit<MembershipOptions, 'rebalanceTimeoutMs'> {
  readonly rebalanceTimeoutMs?: number;
  /** How long the broker may hold a fetch that finds nothing. */
  readonly maxWaitMs: number;
  readonly maxBytesPerPartition: number;
  readonly maxBytes: number;
}

/** One partition's records from one fetch, in offset order. */
export interface ConsumedBatch {
  readonly partition: number;
  readonly records: LogRecord[];
  /** One past the last offset the fetch covered (transaction markers included): the partition's next position. */
  readonly nextOffset: bigint;
  readonly highWatermark: bigint;
}

export interface GroupConsumerHandlers {
  /** A new generation: no partition is fetched until seek() gives it a position. */
  readonly assigned: (generation: Generation) => void;
  /** The assignment is gone; nothing more is handed out until the next one. */
  readonly revoked?: () => void;
  /** Awaited before its leader's next records are handed out. */
  readonly batch: (batch: ConsumedBatch) => Promise<void>;
  /** The group refuses this member for good (see GroupMembership); nothing more is read. */
  readonly failed?: (error: Error) => void;
  /** The log does not hold a sought position (ahead of it, or deleted: retention); the partition is no longer fetched. */
  readonly outOfRange?: (partition: number, position: bigint) => void;
}

const MAX_PARTITION_BYTES = 64 * 1024 * 1024;
/** Per partition, in the first fetch after a start, a seek or a new assignment. */
const FIRST_FETCH_BYTES = 256 * 1024;
const NO_END = 2n ** 63n - 1n;

/** Where a sought partition stands; a seek replaces the object, a hand-out moves its offset. */
interface Position {
  offset: bigint;
}

export class GroupConsumer {
  private readonly membership: GroupMembership;
  private cluster: BrokerCluster;
  /** The partitions being fetched, at the next offset to hand out. */
  private readonly positions = new Map<number, Position>();
  private readonly partitionBytes = new Map<number, number>();
  private assigned: readonly number[] = [];
  /** Bumped by every change of what is read: loops of an older epoch stop. */
  private epoch = 0;
  private wake: (() => void) | null = null;
  private stopped = false;
  private reading: Promise<void> | null = null;

  constructor(
    private readonly options: GroupConsumerOptions,
    private readonly handlers: GroupConsumerHandlers,
  ) {
    this.cluster = this.newCluster();
    this.membership = new GroupMembership(
      { ...options, rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? Math.max(options.sessionTimeoutMs, 30_000) },
      {
        assigned: (generation) => {
          this.positions.clear();
          this.assigned = generation.partitions;
          this.changed();
          handlers.assigned(generation);
        },
        revoked: () => {
          this.positions.clear();
          this.assigned = [];
          this.changed();
          handlers.revoked?.();
        },
        failed: (error) => {
          this.stopped = true;
          this.changed();
          handlers.failed?.(error);
        },
      },
    );
  }

  /** Joins the group and starts reading; resolves once the first assignment is in. */
  async start(): Promise<void> {
    this.reading ??= this.read();
    await this.membership.start();
  }

  /** Starts (or moves) the fetching of an assigned partition; ignored for one not assigned now. */
  seek(partition: number, offset: bigint): void {
    if (this.stopped || !this.assigned.includes(partition)) return;
    this.positions.set(partition, { offset });
    this.changed();
  }

  generation(): Generation | null {
    return this.membership.generation();
  }

  /** The group's committed offsets (`null`: none); for a consumer whose positions are the group's. */
  committedOffsets(partitions: readonly number[]): Promise<Map<number, bigint | null>> {
    return this.membership.committedOffsets(partitions);
  }

  /** Informational offsets (the positions that count live elsewhere). */
  commitOffsets(offsets: ReadonlyMap<number, bigint>): Promise<void> {
    return this.membership.commitOffsets(offsets);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.changed();
    this.cluster.close();
    await this.membership.stop();
    await this.reading;
  }

  private changed(): void {
    this.epoch++;
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private async read(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      const epoch = this.epoch;
      if (this.positions.size === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      try {
        const byLeader = new Map<number, number[]>();
        for (const partition of this.positions.keys()) {
          const leader = await this.cluster.leaderOf(this.options.topic, partition);
          byLeader.set(leader, [...(byLeader.get(leader) ?? []), partition]);
        }
        const loops = [...byLeader].map(([node, partitions]) =>
          this.readFrom(node, partitions, epoch).catch((error: unknown) => {
            if (epoch === this.epoch) this.changed(); // the other loops stop too
            throw error;
          }),
        );
        const failure = (await Promise.allSettled(loops)).find((r) => r.status === 'rejected');
        if (failure) throw failure.reason;
        attempt = 0;
      } catch (error) {
        if (this.stopped) break;
        this.options.logger[attempt === 0 ? 'warn' : 'debug'](
          { err: String(error), attempt },
          'fetching failed; reading again from the records handed out',
        );
        this.cluster.close();
        this.cluster = this.newCluster();
        await this.pause(retryDelayMs(attempt++));
      }
    }
  }

  /** Reads one leader's partitions until the epoch changes. */
  private async readFrom(node: number, partitions: readonly number[], epoch: number): Promise<void> {
    if (epoch !== this.epoch) return; // changed during the leader lookups
    const { topic, maxWaitMs, maxBytes, requestTimeoutMs } = this.options;
    const fetchFrom = new Map(partitions.map((p) => [p, this.positions.get(p)!.offset]));
    // The first fetch of a loop asks for little: its records are handed out
    // sooner (a member taking over partitions with a backlog starts within
    // tens of milliseconds, not after a fetch of maxBytes), while the next
    // fetch, already on its way, asks for the full size.
    let first = true;
    const fetch = () => {
      const bytesOf = (p: number) => (first ? Math.min(this.bytesOf(p), FIRST_FETCH_BYTES) : this.bytesOf(p));
      const request = encodeFetchRequest({
        maxWaitMs,
        maxBytes,
        topics: new Map([
          [topic, partitions.map((p) => ({ partition: p, offset: fetchFrom.get(p)!, maxBytes: bytesOf(p) }))],
        ]),
      });
      first = false;
      const response = this.cluster
        .request(node, { key: FETCH_API_KEY, version: FETCH_API_VERSION }, request, requestTimeoutMs + maxWaitMs)
        .then(decodeFetchResponse);
      response.catch(() => undefined); // awaited below, unless the epoch ends first
      return response;
    };
    let inFlight = fetch();
    for (let answered = 0; epoch === this.epoch; answered++) {
      const response = await inFlight;
      if (epoch !== this.epoch) return;
      if (response.errorCode !== 0) throw new KafkaProtocolError('fetch', response.errorCode, topic);
      const fetched: { part: FetchedPartition; batches: BatchHeader[] }[] = [];
      for (const part of response.partitions) {
        if (part.topic !== topic || !fetchFrom.has(part.partition)) continue;
        if (part.errorCode === OFFSET_OUT_OF_RANGE) return this.outOfRange(part, epoch);
        if (part.errorCode !== 0) throw new KafkaProtocolError('fetch', part.errorCode, `${topic}:${part.partition}`);
        const batches = scanBatches(part.records);
        if (batches.length > 0) fetchFrom.set(part.partition, batches[batches.length - 1]!.nextOffset);
        // Bytes but no whole batch: a batch larger than the partition's share (not the first fetch's small one).
        else if (part.records.length > 0 && answered > 0) this.grow(part.partition);
        if (batches.length > 0) fetched.push({ part, batches });
      }
      inFlight = fetch();
      for (const { part, batches } of fetched) {
        const position = this.positions.get(part.partition);
        if (epoch !== this.epoch || position === undefined) return;
        const from = position.offset;
        const records: LogRecord[] = [];
        decodeCommitted(part.records, batches, part.aborted, from, NO_END, records);
        const nextOffset = batches[batches.length - 1]!.nextOffset;
        if (records.length > 0)
          await this.handlers.batch({
            partition: part.partition,
            records,
            nextOffset,
            highWatermark: part.highWatermark,
          });
        // Handed out: the position moves on, unless a seek replaced it meanwhile.
        if (nextOffset > position.offset) position.offset = nextOffset;
        if (epoch !== this.epoch) return;
      }
    }
  }

  private outOfRange(part: FetchedPartition, epoch: number): void {
    if (epoch !== this.epoch) return;
    const position = this.positions.get(part.partition)!.offset;
    this.positions.delete(part.partition);
    this.changed();
    // (The broker's answer carries no log range with this error: the owner asks for one if it needs it.)
    this.handlers.outOfRange?.(part.partition, position);
  }

  private bytesOf(partition: number): number {
    return this.partitionBytes.get(partition) ?? this.options.maxBytesPerPartition;
  }

  private grow(partition: number): void {
    this.partitionBytes.set(partition, Math.min(this.bytesOf(partition) * 2, MAX_PARTITION_BYTES));
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private newCluster(): BrokerCluster {
    const { brokers, clientId, connectionTimeoutMs, requestTimeoutMs } = this.options;
    return new BrokerCluster({ brokers, clientId, connectionTimeoutMs, requestTimeoutMs });
  }
}
