// One member of a classic consumer group (ADR 0052): join, the leader's
// round-robin plan, sync, then heartbeats on a timer of their own, so a
// member whose records wait (a full writer queue, a database outage) stays
// in the group. A heartbeat answered REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION
// or UNKNOWN_MEMBER_ID revokes the assignment and joins again at once; any
// other failure (a lost connection, a moved coordinator) revokes it, waits a
// backoff and starts over on new connections. Nothing is assigned to this
// member between a revocation and the next sync.
import type { Logger } from '@tasklog/platform/observability';
import { BrokerCluster, KafkaProtocolError } from './broker-cluster.js';
import {
  HEARTBEAT,
  JOIN_GROUP,
  LEAVE_GROUP,
  OFFSET_COMMIT,
  OFFSET_FETCH,
  SYNC_GROUP,
  assignRoundRobin,
  decodeJoinGroup,
  decodeOffsetCommit,
  decodeOffsetFetch,
  decodeSyncGroup,
  decodeThrottledError,
  encodeHeartbeat,
  encodeJoinGroup,
  encodeLeaveGroup,
  encodeOffsetCommit,
  encodeOffsetFetch,
  encodeSyncGroup,
  type Membership,
} from './group.protocol.js';
import { GROUP_COORDINATOR } from './producer.protocol.js';

export interface MembershipOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly groupId: string;
  readonly topic: string;
  readonly sessionTimeoutMs: number;
  /** How long the coordinator waits for every member to join again in a rebalance. */
  readonly rebalanceTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly logger: Logger;
}

/** This member's share of the topic in one generation of the group. */
export interface Generation {
  readonly generationId: number;
  readonly memberId: string;
  readonly partitions: readonly number[];
}

export interface MembershipListener {
  /** A new generation's assignment; called synchronously after the sync. */
  assigned(generation: Generation): void;
  /** The assignment is gone (a rebalance began, or the membership failed). */
  revoked(): void;
  /** The group refuses this member for good (a bad configuration or missing rights); it stops trying. */
  failed(error: KafkaProtocolError): void;
}

const MEMBER_ID_REQUIRED = 79;
const UNKNOWN_MEMBER_ID = 25;
/** Answers after which the member joins again at once, on the same connections. */
const REJOIN = new Set([27, 22, UNKNOWN_MEMBER_ID]); // REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID
/** Answers no retry can change: INCONSISTENT_GROUP_PROTOCOL, INVALID_GROUP_ID, INVALID_SESSION_TIMEOUT, the authorization failures, GROUP_MAX_SIZE_REACHED. */
const FATAL = new Set([23, 24, 26, 29, 30, 81]);
const RETRY_INITIAL_MS = 100;
const RETRY_MAX_MS = 5000;

/** The wait before the next attempt after `attempt` failed ones in a row: 100 ms doubling to 5 s. */
export const retryDelayMs = (attempt: number): number =>
  Math.min(RETRY_MAX_MS, RETRY_INITIAL_MS * 2 ** Math.min(attempt, 10));

export class GroupMembership {
  private cluster: BrokerCluster;
  private coordinator: number | null = null;
  private memberId = '';
  private current: (Generation & Membership) | null = null;
  private stopped = false;
  private readonly stopping = new AbortController();
  private running: Promise<void> | null = null;
  private firstAssignment: { resolve: () => void; promise: Promise<void> };

  constructor(
    private readonly options: MembershipOptions,
    private readonly listener: MembershipListener,
  ) {
    this.cluster = this.newCluster();
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.firstAssignment = { resolve, promise };
  }

  /** Starts the membership; resolves once the first generation is assigned (or the member stops). */
  start(): Promise<void> {
    this.running ??= this.run();
    return this.firstAssignment.promise;
  }

  generation(): Generation | null {
    return this.current;
  }

  /** Commits offsets as the current generation's member (informational offsets, monitoring). */
  async commitOffsets(offsets: ReadonlyMap<number, bigint>): Promise<void> {
    const member = this.current;
    if (!member || this.coordinator === null || offsets.size === 0) return;
    const body = await this.cluster.request(
      this.coordinator,
      OFFSET_COMMIT,
      encodeOffsetCommit(member, this.options.topic, offsets),
    );
    const code = decodeOffsetCommit(body);
    if (code !== 0) throw new KafkaProtocolError('offset commit', code, this.options.groupId);
  }

  /**
   * The group's committed offsets of `partitions` (`null`: none committed).
   * Offsets of a transaction still open are not among them: a consumer that
   * commits in transactions fences their producers first.
   */
  async committedOffsets(partitions: readonly number[]): Promise<Map<number, bigint | null>> {
    const { groupId, topic } = this.options;
    const coordinator = this.coordinator ?? (await this.cluster.coordinator(groupId, GROUP_COORDINATOR));
    const body = await this.cluster.request(coordinator, OFFSET_FETCH, encodeOffsetFetch(groupId, topic, partitions));
    const fetched = decodeOffsetFetch(body, topic);
    if (fetched.errorCode !== 0) throw new KafkaProtocolError('offset fetch', fetched.errorCode, groupId);
    const offsets = new Map<number, bigint | null>();
    for (const partition of partitions) {
      const answer = fetched.offsets.get(partition);
      if (answer === undefined) throw new Error(`offset fetch: no answer for ${topic}:${partition}`);
      if (answer.errorCode !== 0)
        throw new KafkaProtocolError('offset fetch', answer.errorCode, `${topic}:${partition}`);
      offsets.set(partition, answer.offset);
    }
    return offsets;
  }

  /** Leaves the group (its partitions go to the others at once) and closes the connections. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.stopping.abort();
    if (this.memberId !== '') {
      // On connections of its own: a join in flight (the coordinator holds it
      // until every member has joined) would hold a request sent behind it.
      const leaving = this.newCluster();
      const timeoutMs = Math.min(this.options.requestTimeoutMs, 5000);
      await leaving
        .coordinator(this.options.groupId, GROUP_COORDINATOR)
        .then((coordinator) =>
          leaving.request(coordinator, LEAVE_GROUP, encodeLeaveGroup(this.options.groupId, this.memberId), timeoutMs),
        )
        .catch((error: unknown) => this.options.logger.debug({ err: String(error) }, 'leave group failed'))
        .finally(() => leaving.close());
    }
    this.revoke();
    this.cluster.close();
    this.firstAssignment.resolve();
    await this.running;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    let rejoins = 0;
    while (!this.stopped) {
      try {
        await this.joinAndSync();
        attempt = 0;
        rejoins = 0;
        await this.heartbeats();
      } catch (error) {
        if (this.stopped) break;
        this.revoke();
        if (error instanceof KafkaProtocolError && FATAL.has(error.errorCode)) {
          this.options.logger.error({ err: error.message }, 'the group refuses this member; it stops');
          this.listener.failed(error);
          this.firstAssignment.resolve();
          break;
        }
        if (error instanceof KafkaProtocolError && REJOIN.has(error.errorCode)) {
          if (error.errorCode === UNKNOWN_MEMBER_ID) this.memberId = '';
          this.options.logger.info({ reason: error.errorName }, 'group rebalancing: joining again');
          // At once the first time; a join refused again and again (the group still settling) backs off a little.
          if (rejoins++ > 0) await this.sleep(Math.min(RETRY_MAX_MS, 50 * 2 ** Math.min(rejoins, 6)));
          continue;
        }
        this.options.logger[attempt === 0 ? 'warn' : 'debug'](
          { err: String(error), attempt },
          'group membership failed; joining again after a backoff',
        );
        this.cluster.close();
        this.cluster = this.newCluster();
        this.coordinator = null;
        await this.sleep(retryDelayMs(attempt++));
      }
    }
  }

  private async joinAndSync(): Promise<void> {
    const { groupId, topic, rebalanceTimeoutMs, requestTimeoutMs } = this.options;
    this.coordinator ??= await this.cluster.coordinator(groupId, GROUP_COORDINATOR);
    const coordinator = this.coordinator;
    // The coordinator answers a join once every member has joined, or the rebalance timeout passed.
    const joinTimeout = rebalanceTimeoutMs + requestTimeoutMs;
    let joined = decodeJoinGroup(await this.cluster.request(coordinator, JOIN_GROUP, this.joinRequest(), joinTimeout));
    if (joined.errorCode === MEMBER_ID_REQUIRED) {
      // KIP-394: the first join only hands out a member id.
      this.memberId = joined.memberId;
      joined = decodeJoinGroup(await this.cluster.request(coordinator, JOIN_GROUP, this.joinRequest(), joinTimeout));
    }
    if (joined.errorCode !== 0) throw new KafkaProtocolError('join group', joined.errorCode, groupId);
    this.memberId = joined.memberId;
    const membership: Membership = { groupId, generationId: joined.generationId, memberId: joined.memberId };
    let plan = new Map<string, Map<string, number[]>>();
    if (joined.leader === joined.memberId) {
      const topics = [...new Set(joined.members.flatMap((m) => m.topics))];
      const counts = new Map<string, number>();
      for (const t of topics) {
        // Looked up afresh at every plan: partitions may have been added.
        this.cluster.forgetTopic(t);
        counts.set(t, await this.cluster.partitionCount(t));
      }
      plan = assignRoundRobin(joined.members, counts);
    }
    const synced = decodeSyncGroup(
      await this.cluster.request(coordinator, SYNC_GROUP, encodeSyncGroup(membership, plan), joinTimeout),
    );
    if (synced.errorCode !== 0) throw new KafkaProtocolError('sync group', synced.errorCode, groupId);
    if (this.stopped) return;
    const partitions = [...(synced.assignment.get(topic) ?? [])].sort((a, b) => a - b);
    this.current = { ...membership, partitions };
    this.options.logger.info({ generation: joined.generationId, partitions }, 'group joined');
    this.listener.assigned(this.current);
    this.firstAssignment.resolve();
  }

  private joinRequest(): Buffer {
    const { groupId, topic, sessionTimeoutMs, rebalanceTimeoutMs } = this.options;
    return encodeJoinGroup({ groupId, memberId: this.memberId, sessionTimeoutMs, rebalanceTimeoutMs, topics: [topic] });
  }

  /** Heartbeats until one is answered with an error (thrown) or the member stops. */
  private async heartbeats(): Promise<void> {
    while (!this.stopped) {
      await this.sleep(this.options.heartbeatIntervalMs);
      const member = this.current;
      if (this.stopped || !member || this.coordinator === null) return;
      const code = decodeThrottledError(
        await this.cluster.request(this.coordinator, HEARTBEAT, encodeHeartbeat(member)),
      );
      if (code !== 0) throw new KafkaProtocolError('heartbeat', code, this.options.groupId);
    }
  }

  private revoke(): void {
    if (this.current === null) return;
    this.current = null;
    this.listener.revoked();
  }

  private newCluster(): BrokerCluster {
    const { brokers, clientId, connectionTimeoutMs, requestTimeoutMs } = this.options;
    return new BrokerCluster({ brokers, clientId, connectionTimeoutMs, requestTimeoutMs });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopping.signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      const signal = this.stopping.signal;
      signal.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
    });
  }
}
