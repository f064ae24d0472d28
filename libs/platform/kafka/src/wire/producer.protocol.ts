// The requests of a transactional producer, in their last non-flexible
// versions (Kafka 4 serves all of them): metadata, coordinator lookup,
// producer id, the transaction's partitions and consumer offsets, produce,
// end of transaction (ADR 0051). Each encoder returns a request body, each
// decoder reads a response body (after the correlation id).
import { RequestWriter, ResponseReader } from './protocol.codec.js';

export interface Api {
  readonly key: number;
  readonly version: number;
  /** A flexible version (KIP-482): request header v2, response header v1. */
  readonly flexible?: boolean;
}

export const PRODUCE: Api = { key: 0, version: 7 };
export const METADATA: Api = { key: 3, version: 4 };
export const FIND_COORDINATOR: Api = { key: 10, version: 2 };
export const INIT_PRODUCER_ID: Api = { key: 22, version: 1 };
export const ADD_PARTITIONS_TO_TXN: Api = { key: 24, version: 2 };
export const ADD_OFFSETS_TO_TXN: Api = { key: 25, version: 2 };
export const END_TXN: Api = { key: 26, version: 2 };
export const TXN_OFFSET_COMMIT: Api = { key: 28, version: 2 };

// The transaction protocol v2 (KIP-890 part 2, ADR 0057): a produce or an
// offset commit adds its partition to the transaction itself, and each
// EndTxn bumps the producer epoch. Flexible versions only.
export const API_VERSIONS: Api = { key: 18, version: 3, flexible: true };
export const PRODUCE_V2: Api = { key: 0, version: 12, flexible: true };
export const TXN_OFFSET_COMMIT_V2: Api = { key: 28, version: 5, flexible: true };
export const END_TXN_V2: Api = { key: 26, version: 5, flexible: true };

export interface ProducerIdentity {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly epoch: number;
}

/** A partition's answer inside a response: its error code (0 for none). */
export interface PartitionError {
  readonly topic: string;
  readonly partition: number;
  readonly errorCode: number;
}

// ---- Metadata v4

export interface BrokerNode {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

export interface TopicMetadata {
  readonly errorCode: number;
  readonly name: string;
  /** The leader's node id by partition index (-1: none now). */
  readonly leaders: readonly number[];
}

export function encodeMetadata(topics: readonly string[]): Buffer {
  const w = new RequestWriter();
  w.array(topics, (t) => w.string(t));
  return w.bool(false).done(); // never creates a topic
}

export function decodeMetadata(body: Buffer): { brokers: BrokerNode[]; topics: TopicMetadata[] } {
  const r = new ResponseReader(body);
  r.int32(); // throttle
  const brokers = r.array(() => {
    const node = { nodeId: r.int32(), host: r.string(), port: r.int32() };
    r.nullableString(); // rack
    return node;
  });
  r.nullableString(); // cluster id
  r.int32(); // controller
  const topics = r.array(() => {
    const errorCode = r.int16();
    const name = r.string();
    r.bool(); // internal
    const leaders: number[] = [];
    r.array(() => {
      r.int16(); // partition error
      const index = r.int32();
      leaders[index] = r.int32();
      r.array(() => r.int32()); // replicas
      r.array(() => r.int32()); // in-sync replicas
    });
    return { errorCode, name, leaders };
  });
  return { brokers, topics };
}

// ---- FindCoordinator v2, InitProducerId v1

export const GROUP_COORDINATOR = 0;
export const TRANSACTION_COORDINATOR = 1;

export const encodeFindCoordinator = (key: string, keyType: number): Buffer =>
  new RequestWriter().string(key).int8(keyType).done();

export function decodeFindCoordinator(body: Buffer): { errorCode: number; node: BrokerNode } {
  const r = new ResponseReader(body);
  r.int32(); // throttle
  const errorCode = r.int16();
  r.nullableString(); // message
  return { errorCode, node: { nodeId: r.int32(), host: r.string(), port: r.int32() } };
}

export const encodeInitProducerId = (transactionalId: string, transactionTimeoutMs: number): Buffer =>
  new RequestWriter().string(transactionalId).int32(transactionTimeoutMs).done();

export function decodeInitProducerId(body: Buffer): { errorCode: number; producerId: bigint; epoch: number } {
  const r = new ResponseReader(body);
  r.int32(); // throttle
  return { errorCode: r.int16(), producerId: r.int64(), epoch: r.int16() };
}

// ---- AddPartitionsToTxn v2, AddOffsetsToTxn v2, TxnOffsetCommit v2, EndTxn v2

const identity = (w: RequestWriter, id: ProducerIdentity) =>
  w.string(id.transactionalId).int64(id.producerId).int16(id.epoch);

export function encodeAddPartitions(id: ProducerIdentity, partitions: ReadonlyMap<string, readonly number[]>): Buffer {
  const w = identity(new RequestWriter(), id);
  w.array([...partitions], ([topic, indexes]) => {
    w.string(topic);
    w.array(indexes, (p) => w.int32(p));
  });
  return w.done();
}

export function decodePartitionErrors(body: Buffer): PartitionError[] {
  const r = new ResponseReader(body);
  r.int32(); // throttle
  return r
    .array(() => {
      const topic = r.string();
      return r.array(() => ({ topic, partition: r.int32(), errorCode: r.int16() }));
    })
    .flat();
}

export const encodeAddOffsets = (id: ProducerIdentity, groupId: string): Buffer =>
  identity(new RequestWriter(), id).string(groupId).done();

export interface CommittedOffset {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to consume. */
  readonly offset: bigint;
}

export function encodeTxnOffsetCommit(
  id: ProducerIdentity,
  groupId: string,
  offsets: readonly CommittedOffset[],
): Buffer {
  const w = new RequestWriter().string(id.transactionalId).string(groupId).int64(id.producerId).int16(id.epoch);
  const byTopic = byTopicOf(offsets);
  w.array([...byTopic], ([topic, partitions]) => {
    w.string(topic);
    w.array(partitions, (p) => w.int32(p.partition).int64(p.offset).int32(-1).string(null));
  });
  return w.done();
}

export const encodeEndTxn = (id: ProducerIdentity, committed: boolean): Buffer =>
  identity(new RequestWriter(), id).bool(committed).done();

/** The error code of a response that is only a throttle time and an error code. */
export function decodeErrorCode(body: Buffer): number {
  const r = new ResponseReader(body);
  r.int32(); // throttle
  return r.int16();
}

// ---- Produce v7

export interface ProducedBatch {
  readonly topic: string;
  readonly partition: number;
  /** One record batch (Produce v3+ takes exactly one per partition). */
  readonly records: Buffer;
}

export function encodeProduce(transactionalId: string, timeoutMs: number, batches: readonly ProducedBatch[]): Buffer {
  const w = new RequestWriter().string(transactionalId).int16(-1).int32(timeoutMs);
  const byTopic = byTopicOf(batches);
  w.array([...byTopic], ([topic, partitions]) => {
    w.string(topic);
    w.array(partitions, (b) => w.int32(b.partition).bytes(b.records));
  });
  return w.done();
}

export interface ProducedPartition extends PartitionError {
  readonly baseOffset: bigint;
}

export function decodeProduce(body: Buffer): ProducedPartition[] {
  const r = new ResponseReader(body);
  return r
    .array(() => {
      const topic = r.string();
      return r.array(() => {
        const answer = { topic, partition: r.int32(), errorCode: r.int16(), baseOffset: r.int64() };
        r.int64(); // log append time
        r.int64(); // log start offset
        return answer;
      });
    })
    .flat();
}

function byTopicOf<T extends { readonly topic: string }>(items: readonly T[]): Map<string, T[]> {
  const byTopic = new Map<string, T[]>();
  for (const item of items) {
    const list = byTopic.get(item.topic);
    if (list) list.push(item);
    else byTopic.set(item.topic, [item]);
  }
  return byTopic;
}

// ---- ApiVersions v3: what the broker serves, and its finalized features

export interface BrokerVersions {
  readonly errorCode: number;
  /** The highest version of each API key. */
  readonly maxVersions: ReadonlyMap<number, number>;
  /** The finalized level of each feature (e.g. transaction.version). */
  readonly features: ReadonlyMap<string, number>;
}

export const encodeApiVersions = (): Buffer =>
  new RequestWriter().compactString('tasklog').compactString('1').tags().done();

export function decodeApiVersions(body: Buffer): BrokerVersions {
  const r = new ResponseReader(body);
  const errorCode = r.int16();
  const maxVersions = new Map<number, number>();
  const features = new Map<string, number>();
  if (errorCode !== 0) return { errorCode, maxVersions, features };
  r.compactArray(() => {
    const key = r.int16();
    r.int16(); // min
    maxVersions.set(key, r.int16());
    r.tags();
  });
  r.int32(); // throttle
  r.tags((tag, field) => {
    if (tag !== 2) return; // FinalizedFeatures
    field.compactArray(() => {
      const name = field.compactString();
      const max = field.int16();
      field.int16(); // min
      field.tags();
      features.set(name, max);
    });
  });
  return { errorCode, maxVersions, features };
}

// ---- Produce v12, TxnOffsetCommit v5, EndTxn v5 (the transaction protocol v2)

export function encodeProduceV2(transactionalId: string, timeoutMs: number, batches: readonly ProducedBatch[]): Buffer {
  const w = new RequestWriter().compactString(transactionalId).int16(-1).int32(timeoutMs);
  w.compactArray([...byTopicOf(batches)], ([topic, partitions]) => {
    w.compactString(topic);
    w.compactArray(partitions, (b) => w.int32(b.partition).compactBytes(b.records).tags());
    w.tags();
  });
  return w.tags().done();
}

export function decodeProduceV2(body: Buffer): ProducedPartition[] {
  const r = new ResponseReader(body);
  const answers = r
    .compactArray(() => {
      const topic = r.compactString();
      const partitions = r.compactArray(() => {
        const answer = { topic, partition: r.int32(), errorCode: r.int16(), baseOffset: r.int64() };
        r.int64(); // log append time
        r.int64(); // log start offset
        r.compactArray(() => {
          r.int32(); // batch index
          r.compactNullableString(); // its error message
          r.tags();
        });
        r.compactNullableString(); // error message
        r.tags();
        return answer;
      });
      r.tags();
      return partitions;
    })
    .flat();
  return answers;
}

export function encodeTxnOffsetCommitV2(
  id: ProducerIdentity,
  groupId: string,
  offsets: readonly CommittedOffset[],
): Buffer {
  const w = new RequestWriter()
    .compactString(id.transactionalId)
    .compactString(groupId)
    .int64(id.producerId)
    .int16(id.epoch)
    .int32(-1) // generation: the writer is fenced by its transactional id, not by the group
    .compactString('') // member id
    .compactString(null); // group instance id
  w.compactArray([...byTopicOf(offsets)], ([topic, partitions]) => {
    w.compactString(topic);
    w.compactArray(partitions, (p) => w.int32(p.partition).int64(p.offset).int32(-1).compactString(null).tags());
    w.tags();
  });
  return w.tags().done();
}

export function decodePartitionErrorsV2(body: Buffer): PartitionError[] {
  const r = new ResponseReader(body);
  r.int32(); // throttle
  return r
    .compactArray(() => {
      const topic = r.compactString();
      const partitions = r.compactArray(() => {
        const answer = { topic, partition: r.int32(), errorCode: r.int16() };
        r.tags();
        return answer;
      });
      r.tags();
      return partitions;
    })
    .flat();
}

export const encodeEndTxnV2 = (id: ProducerIdentity, committed: boolean): Buffer =>
  new RequestWriter()
    .compactString(id.transactionalId)
    .int64(id.producerId)
    .int16(id.epoch)
    .bool(committed)
    .tags()
    .done();

/**
 * EndTxn v5 answers the producer id and epoch of the next transaction (bumped
 * by this one), laid out as InitProducerId's answer is.
 */
export const decodeEndTxnV2 = decodeInitProducerId;

// ---- Error codes

const ERROR_NAMES: ReadonlyMap<number, string> = new Map([
  [-1, 'UNKNOWN_SERVER_ERROR'],
  [1, 'OFFSET_OUT_OF_RANGE'],
  [2, 'CORRUPT_MESSAGE'],
  [3, 'UNKNOWN_TOPIC_OR_PARTITION'],
  [5, 'LEADER_NOT_AVAILABLE'],
  [6, 'NOT_LEADER_OR_FOLLOWER'],
  [7, 'REQUEST_TIMED_OUT'],
  [10, 'MESSAGE_TOO_LARGE'],
  [14, 'COORDINATOR_LOAD_IN_PROGRESS'],
  [15, 'COORDINATOR_NOT_AVAILABLE'],
  [16, 'NOT_COORDINATOR'],
  [17, 'INVALID_TOPIC_EXCEPTION'],
  [18, 'RECORD_LIST_TOO_LARGE'],
  [19, 'NOT_ENOUGH_REPLICAS'],
  [20, 'NOT_ENOUGH_REPLICAS_AFTER_APPEND'],
  [22, 'ILLEGAL_GENERATION'],
  [23, 'INCONSISTENT_GROUP_PROTOCOL'],
  [24, 'INVALID_GROUP_ID'],
  [25, 'UNKNOWN_MEMBER_ID'],
  [26, 'INVALID_SESSION_TIMEOUT'],
  [27, 'REBALANCE_IN_PROGRESS'],
  [29, 'TOPIC_AUTHORIZATION_FAILED'],
  [30, 'GROUP_AUTHORIZATION_FAILED'],
  [45, 'OUT_OF_ORDER_SEQUENCE_NUMBER'],
  [46, 'DUPLICATE_SEQUENCE_NUMBER'],
  [47, 'INVALID_PRODUCER_EPOCH'],
  [48, 'INVALID_TXN_STATE'],
  [49, 'INVALID_PRODUCER_ID_MAPPING'],
  [50, 'INVALID_TRANSACTION_TIMEOUT'],
  [51, 'CONCURRENT_TRANSACTIONS'],
  [52, 'TRANSACTION_COORDINATOR_FENCED'],
  [53, 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'],
  [59, 'UNKNOWN_PRODUCER_ID'],
  [87, 'INVALID_RECORD'],
  [79, 'MEMBER_ID_REQUIRED'],
  [81, 'GROUP_MAX_SIZE_REACHED'],
  [90, 'PRODUCER_FENCED'],
]);

export const errorName = (code: number): string => ERROR_NAMES.get(code) ?? `KAFKA_ERROR_${code}`;
