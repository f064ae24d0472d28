// The classic consumer-group protocol, in its last non-flexible versions
// (Kafka 4 serves them all): JoinGroup v5, SyncGroup v3, Heartbeat v3,
// LeaveGroup v3, OffsetCommit v7 and OffsetFetch v5, with the consumer
// protocol's subscription and assignment (version 0) inside. The group consumer
// (group.consumer.ts, ADR 0052) sends them; nothing here keeps state.
import { RequestWriter, ResponseReader } from './protocol.codec.js';
import type { Api } from './producer.protocol.js';

export const JOIN_GROUP: Api = { key: 11, version: 5 };
export const HEARTBEAT: Api = { key: 12, version: 3 };
export const LEAVE_GROUP: Api = { key: 13, version: 3 };
export const SYNC_GROUP: Api = { key: 14, version: 3 };
export const OFFSET_COMMIT: Api = { key: 8, version: 7 };
export const OFFSET_FETCH: Api = { key: 9, version: 5 };

/**
 * The assignor every member offers. kafkajs' consumers name theirs the same
 * and use the same subscription and assignment format, so a group can hold
 * both during a rolling upgrade.
 */
export const ROUND_ROBIN = 'RoundRobinAssigner';
const CONSUMER_PROTOCOL = 'consumer';

export interface Membership {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
}

export interface JoinRequest {
  readonly groupId: string;
  readonly memberId: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly topics: readonly string[];
}

export function encodeJoinGroup(request: JoinRequest): Buffer {
  const metadata = new RequestWriter().int16(0);
  metadata.int32(request.topics.length);
  for (const topic of request.topics) metadata.string(topic); // the subscription: version 0, topics
  metadata.int32(-1); // user data: none
  return new RequestWriter()
    .string(request.groupId)
    .int32(request.sessionTimeoutMs)
    .int32(request.rebalanceTimeoutMs)
    .string(request.memberId)
    .string(null) // group instance id: dynamic membership
    .string(CONSUMER_PROTOCOL)
    .int32(1)
    .string(ROUND_ROBIN)
    .bytes(metadata.done())
    .done();
}

export interface JoinedMember {
  readonly memberId: string;
  readonly topics: readonly string[];
}

export interface JoinResponse {
  readonly errorCode: number;
  readonly generationId: number;
  readonly protocolName: string;
  readonly leader: string;
  readonly memberId: string;
  /** Only the leader is told the members (and their subscriptions). */
  readonly members: readonly JoinedMember[];
}

export function decodeJoinGroup(body: Buffer): JoinResponse {
  const r = new ResponseReader(body);
  r.int32(); // throttle time
  const errorCode = r.int16();
  const generationId = r.int32();
  const protocolName = r.string();
  const leader = r.string();
  const memberId = r.string();
  const members = r.array(() => {
    const id = r.string();
    r.nullableString(); // group instance id
    return { memberId: id, topics: subscribedTopics(r.bytes()) };
  });
  return { errorCode, generationId, protocolName, leader, memberId, members };
}

function subscribedTopics(metadata: Buffer): string[] {
  if (metadata.length < 6) return [];
  const r = new ResponseReader(metadata);
  r.int16(); // version (later versions only add fields after the topics)
  return r.array(() => r.string());
}

/** Partitions per topic, as the assignment of one member. */
export type Assignment = ReadonlyMap<string, readonly number[]>;

export function encodeAssignment(assignment: Assignment): Buffer {
  const w = new RequestWriter().int16(0).int32(assignment.size);
  for (const [topic, partitions] of assignment) {
    w.string(topic).int32(partitions.length);
    for (const p of partitions) w.int32(p);
  }
  return w.int32(-1).done(); // user data: none
}

export function decodeAssignment(bytes: Buffer): Map<string, number[]> {
  const assignment = new Map<string, number[]>();
  if (bytes.length < 6) return assignment;
  const r = new ResponseReader(bytes);
  r.int16(); // version
  for (const [topic, partitions] of r.array(() => [r.string(), r.array(() => r.int32())] as const))
    assignment.set(topic, [...(assignment.get(topic) ?? []), ...partitions]);
  return assignment;
}

/** The leader's plan: every member's assignment (followers send none). */
export function encodeSyncGroup(membership: Membership, assignments: ReadonlyMap<string, Assignment>): Buffer {
  const w = new RequestWriter()
    .string(membership.groupId)
    .int32(membership.generationId)
    .string(membership.memberId)
    .string(null)
    .int32(assignments.size);
  for (const [memberId, assignment] of assignments) w.string(memberId).bytes(encodeAssignment(assignment));
  return w.done();
}

export function decodeSyncGroup(body: Buffer): { errorCode: number; assignment: Map<string, number[]> } {
  const r = new ResponseReader(body);
  r.int32(); // throttle time
  const errorCode = r.int16();
  return { errorCode, assignment: errorCode === 0 ? decodeAssignment(r.bytes()) : new Map() };
}

export const encodeHeartbeat = (m: Membership): Buffer =>
  new RequestWriter().string(m.groupId).int32(m.generationId).string(m.memberId).string(null).done();

/** Heartbeat's answer, and any answer that is a throttle time and an error code. */
export function decodeThrottledError(body: Buffer): number {
  const r = new ResponseReader(body);
  r.int32();
  return r.int16();
}

export const encodeLeaveGroup = (groupId: string, memberId: string): Buffer =>
  new RequestWriter().string(groupId).int32(1).string(memberId).string(null).done();

export function encodeOffsetCommit(m: Membership, topic: string, offsets: ReadonlyMap<number, bigint>): Buffer {
  const w = new RequestWriter()
    .string(m.groupId)
    .int32(m.generationId)
    .string(m.memberId)
    .string(null)
    .int32(1)
    .string(topic)
    .int32(offsets.size);
  for (const [partition, offset] of offsets) w.int32(partition).int64(offset).int32(-1).string(null);
  return w.done();
}

/** The first partition error of an OffsetCommit answer (0 when every partition was committed). */
export function decodeOffsetCommit(body: Buffer): number {
  const r = new ResponseReader(body);
  r.int32();
  let first = 0;
  r.array(() => {
    r.string();
    r.array(() => {
      r.int32();
      const code = r.int16();
      if (first === 0) first = code;
    });
  });
  return first;
}

export function encodeOffsetFetch(groupId: string, topic: string, partitions: readonly number[]): Buffer {
  const w = new RequestWriter().string(groupId).int32(1).string(topic).int32(partitions.length);
  for (const partition of partitions) w.int32(partition);
  return w.done();
}

/** A group's committed offsets, by partition; `null` where the group has none. */
export interface FetchedOffsets {
  readonly errorCode: number;
  readonly offsets: Map<number, { readonly offset: bigint | null; readonly errorCode: number }>;
}

export function decodeOffsetFetch(body: Buffer, topic: string): FetchedOffsets {
  const r = new ResponseReader(body);
  r.int32(); // throttle time
  const offsets = new Map<number, { offset: bigint | null; errorCode: number }>();
  r.array(() => {
    const name = r.string();
    r.array(() => {
      const partition = r.int32();
      const offset = r.int64();
      r.int32(); // committed leader epoch
      r.nullableString(); // metadata
      const errorCode = r.int16();
      if (name === topic) offsets.set(partition, { offset: offset < 0n ? null : offset, errorCode });
    });
  });
  return { errorCode: r.int16(), offsets };
}

/**
 * Round robin over the members sorted by id and the topics' partitions in
 * order, as kafkajs' assigner does: member i of n gets partitions i, i + n, …
 * of what it subscribed to.
 */
export function assignRoundRobin(
  members: readonly JoinedMember[],
  partitionCounts: ReadonlyMap<string, number>,
): Map<string, Map<string, number[]>> {
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const plan = new Map(sorted.map((m) => [m.memberId, new Map<string, number[]>()]));
  for (const [topic, count] of [...partitionCounts].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const subscribers = sorted.filter((m) => m.topics.includes(topic));
    for (let p = 0; p < count && subscribers.length > 0; p++) {
      const member = plan.get(subscribers[p % subscribers.length]!.memberId)!;
      member.set(topic, [...(member.get(topic) ?? []), p]);
    }
  }
  return plan;
}
