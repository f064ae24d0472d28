// Fetch v11 (KIP-320 era, the last version before flexible encoding; Kafka
// 4 serves v4 to v17): the request the range reader sends and the parts of
// the response it reads. Records stay undecoded here (record-batch.ts reads
// them); only batch headers are scanned, for the next fetch position.

export const FETCH_API_KEY = 1;
export const FETCH_API_VERSION = 11;
const READ_COMMITTED = 1;

export interface FetchPartitionRequest {
  readonly partition: number;
  readonly offset: bigint;
  readonly maxBytes: number;
}

export interface FetchRequest {
  readonly maxWaitMs: number;
  readonly maxBytes: number;
  readonly topics: ReadonlyMap<string, readonly FetchPartitionRequest[]>;
}

export function encodeFetchRequest(request: FetchRequest): Buffer {
  const topicNames = [...request.topics.keys()].map((t) => Buffer.from(t, 'utf8'));
  let size = 4 + 4 + 4 + 4 + 1 + 4 + 4 + 4 + 4 + 2;
  let t = 0;
  for (const partitions of request.topics.values()) size += 2 + topicNames[t++]!.length + 4 + partitions.length * 28;
  const out = Buffer.allocUnsafe(size);
  let o = out.writeInt32BE(-1, 0); // replica id: a consumer
  o = out.writeInt32BE(request.maxWaitMs, o);
  o = out.writeInt32BE(1, o); // min bytes
  o = out.writeInt32BE(request.maxBytes, o);
  o = out.writeInt8(READ_COMMITTED, o);
  o = out.writeInt32BE(0, o); // session id: none
  o = out.writeInt32BE(-1, o); // session epoch: a full fetch outside any session
  o = out.writeInt32BE(request.topics.size, o);
  t = 0;
  for (const partitions of request.topics.values()) {
    const name = topicNames[t++]!;
    o = out.writeInt16BE(name.length, o);
    o += name.copy(out, o);
    o = out.writeInt32BE(partitions.length, o);
    for (const p of partitions) {
      o = out.writeInt32BE(p.partition, o);
      o = out.writeInt32BE(-1, o); // current leader epoch: not checked
      o = out.writeBigInt64BE(p.offset, o);
      o = out.writeBigInt64BE(-1n, o); // log start offset: a consumer's is unknown
      o = out.writeInt32BE(p.maxBytes, o);
    }
  }
  o = out.writeInt32BE(0, o); // forgotten topics
  out.writeInt16BE(0, o); // rack id ''
  return out;
}

export interface AbortedTransaction {
  readonly producerId: bigint;
  readonly firstOffset: bigint;
}

export interface FetchedPartition {
  readonly topic: string;
  readonly partition: number;
  readonly errorCode: number;
  readonly highWatermark: bigint;
  readonly lastStableOffset: bigint;
  readonly logStartOffset: bigint;
  readonly aborted: readonly AbortedTransaction[];
  /** The record batches; the last one may be cut short (the broker stops at max bytes). */
  readonly records: Buffer;
}

export interface FetchResponse {
  readonly errorCode: number;
  readonly partitions: FetchedPartition[];
}

export function decodeFetchResponse(body: Buffer): FetchResponse {
  let o = 4; // throttle time
  const errorCode = body.readInt16BE(o);
  o += 2 + 4; // session id
  const partitions: FetchedPartition[] = [];
  const topics = body.readInt32BE(o);
  o += 4;
  for (let t = 0; t < topics; t++) {
    const nameLength = body.readInt16BE(o);
    const topic = body.toString('utf8', o + 2, o + 2 + nameLength);
    o += 2 + nameLength;
    const count = body.readInt32BE(o);
    o += 4;
    for (let i = 0; i < count; i++) {
      const partition = body.readInt32BE(o);
      const partitionError = body.readInt16BE(o + 4);
      const highWatermark = body.readBigInt64BE(o + 6);
      const lastStableOffset = body.readBigInt64BE(o + 14);
      const logStartOffset = body.readBigInt64BE(o + 22);
      const abortedCount = body.readInt32BE(o + 30);
      o += 34;
      const aborted: AbortedTransaction[] = [];
      for (let a = 0; a < abortedCount; a++, o += 16)
        aborted.push({ producerId: body.readBigInt64BE(o), firstOffset: body.readBigInt64BE(o + 8) });
      o += 4; // preferred read replica
      const recordsLength = body.readInt32BE(o);
      o += 4;
      const records = recordsLength > 0 ? body.subarray(o, o + recordsLength) : body.subarray(o, o);
      o += Math.max(recordsLength, 0);
      partitions.push({
        topic,
        partition,
        errorCode: partitionError,
        highWatermark,
        lastStableOffset,
        logStartOffset,
        aborted,
        records,
      });
    }
  }
  return { errorCode, partitions };
}

/** Error codes after which the reader looks the leaders up again and retries. */
export const RETRIABLE_FETCH_ERRORS: ReadonlyMap<number, string> = new Map([
  [3, 'UNKNOWN_TOPIC_OR_PARTITION'],
  [5, 'LEADER_NOT_AVAILABLE'],
  [6, 'NOT_LEADER_OR_FOLLOWER'],
  [7, 'REQUEST_TIMED_OUT'],
  [9, 'REPLICA_NOT_AVAILABLE'],
  [13, 'NETWORK_EXCEPTION'],
  [56, 'KAFKA_STORAGE_ERROR'],
  [74, 'FENCED_LEADER_EPOCH'],
  [75, 'UNKNOWN_LEADER_EPOCH'],
  [78, 'OFFSET_NOT_AVAILABLE'],
  [100, 'UNKNOWN_TOPIC_ID'],
]);

export const OFFSET_OUT_OF_RANGE = 1;
