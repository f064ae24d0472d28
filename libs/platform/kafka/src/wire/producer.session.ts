// The protocol side of a transactional producer (ADR 0051): its identity
// and connections, and each request of the transaction protocol, with the
// few answers that mean "try again in a moment" retried. Transactions'
// bookkeeping (which partitions and groups joined) is the caller's.
import { BrokerCluster, KafkaProtocolError } from './broker-cluster.js';
import { partitionForKey } from './murmur2.partitioner.js';
import {
  ADD_OFFSETS_TO_TXN,
  ADD_PARTITIONS_TO_TXN,
  decodeErrorCode,
  decodePartitionErrors,
  decodeProduce,
  encodeAddOffsets,
  encodeAddPartitions,
  encodeEndTxn,
  encodeProduce,
  encodeTxnOffsetCommit,
  END_TXN,
  GROUP_COORDINATOR,
  PRODUCE,
  TXN_OFFSET_COMMIT,
  type CommittedOffset,
  type ProducedBatch,
  type ProducerIdentity,
} from './producer.protocol.js';
import { encodeRecordBatch, measureRecords, nextSequence, type BatchRecord } from './record-batch.writer.js';

/** A record to send; without a partition it goes where its key hashes to. */
export interface SessionRecord extends BatchRecord {
  readonly partition?: number;
}

export interface PartitionOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}

export interface PartitionRecords {
  readonly topic: string;
  readonly partition: number;
  readonly records: SessionRecord[];
}

/** Answers to adding partitions, offsets or ending a transaction that mean "not yet": nothing happened. */
const NOT_YET = new Set(['CONCURRENT_TRANSACTIONS', 'COORDINATOR_LOAD_IN_PROGRESS']);

const MAX_BATCH_BYTES = 1024 * 1024;

export const partitionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * The producer's identity and connections, shared by its transactions:
 * each request of the transaction protocol, with the few answers that mean
 * "try again in a moment" retried.
 */
export class ProducerSession {
  private readonly sequences = new Map<string, number>();
  private readonly groupCoordinators = new Map<string, number>();

  constructor(
    readonly cluster: BrokerCluster,
    readonly id: ProducerIdentity,
    private readonly coordinator: number,
    private readonly timeoutMs: number,
  ) {}

  /** The records by partition, in order; a record without a partition goes where its key hashes to. */
  async partitioned(
    batches: ReadonlyArray<{ readonly topic: string; readonly records: readonly SessionRecord[] }>,
  ): Promise<Map<string, PartitionRecords>> {
    const byPartition = new Map<string, PartitionRecords>();
    for (const { topic, records } of batches) {
      if (records.length === 0) continue;
      const count = records.some((r) => r.partition === undefined) ? await this.cluster.partitionCount(topic) : 0;
      for (const record of records) {
        const partition = record.partition ?? partitionForKey(record.key, count);
        const key = partitionKey(topic, partition);
        const entry = byPartition.get(key);
        if (entry) entry.records.push(record);
        else byPartition.set(key, { topic, partition, records: [record] });
      }
    }
    return byPartition;
  }

  async addPartitions(partitions: ReadonlyMap<string, readonly number[]>): Promise<void> {
    await this.untilReady('add partitions to the transaction', async () => {
      const body = await this.cluster.request(
        this.coordinator,
        ADD_PARTITIONS_TO_TXN,
        encodeAddPartitions(this.id, partitions),
      );
      // A refused partition fails the others with OPERATION_NOT_ATTEMPTED (55): report the cause.
      const failed = decodePartitionErrors(body).filter((p) => p.errorCode !== 0);
      const cause = failed.find((p) => p.errorCode !== 55) ?? failed[0];
      return cause ? cause.errorCode : 0;
    });
  }

  async addOffsets(groupId: string): Promise<void> {
    await this.untilReady('add the group to the transaction', async () =>
      decodeErrorCode(
        await this.cluster.request(this.coordinator, ADD_OFFSETS_TO_TXN, encodeAddOffsets(this.id, groupId)),
      ),
    );
  }

  async commitOffsets(groupId: string, offsets: readonly CommittedOffset[]): Promise<void> {
    let coordinator = this.groupCoordinators.get(groupId);
    if (coordinator === undefined) {
      coordinator = await this.cluster.coordinator(groupId, GROUP_COORDINATOR);
      this.groupCoordinators.set(groupId, coordinator);
    }
    const body = await this.cluster.request(
      coordinator,
      TXN_OFFSET_COMMIT,
      encodeTxnOffsetCommit(this.id, groupId, offsets),
    );
    const failed = decodePartitionErrors(body).find((p) => p.errorCode !== 0);
    if (failed)
      throw new KafkaProtocolError(
        'commit offsets',
        failed.errorCode,
        `${groupId} ${failed.topic}:${failed.partition}`,
      );
  }

  async endTransaction(committed: boolean): Promise<void> {
    await this.untilReady(committed ? 'commit' : 'abort', async () =>
      decodeErrorCode(await this.cluster.request(this.coordinator, END_TXN, encodeEndTxn(this.id, committed))),
    );
  }

  /** Encodes and sends the partitions' records, one produce request per leader; answers their base offsets. */
  async produce(
    partitions: ReadonlyArray<{ topic: string; partition: number; records: SessionRecord[] }>,
  ): Promise<PartitionOffset[]> {
    const timestamp = Date.now();
    const requests = new Map<number, ProducedBatch[][]>();
    for (const { topic, partition, records } of partitions) {
      const leader = await this.cluster.leaderOf(topic, partition);
      const rounds = requests.get(leader) ?? [];
      requests.set(leader, rounds);
      // A partition takes one batch per request: a larger one is split over several requests.
      this.batchesOf(records, topic, partition, timestamp).forEach((records, round) =>
        (rounds[round] ??= []).push({ topic, partition, records }),
      );
    }
    const answers = await Promise.allSettled(
      [...requests].map(async ([leader, rounds]) => {
        const offsets: PartitionOffset[] = [];
        for (const [round, batches] of rounds.entries()) {
          const body = await this.cluster.request(
            leader,
            PRODUCE,
            encodeProduce(this.id.transactionalId, this.timeoutMs, batches),
          );
          for (const answer of decodeProduce(body)) {
            if (answer.errorCode !== 0)
              throw new KafkaProtocolError('produce', answer.errorCode, `${answer.topic}:${answer.partition}`);
            if (round === 0)
              offsets.push({ topic: answer.topic, partition: answer.partition, offset: answer.baseOffset });
          }
        }
        return offsets;
      }),
    );
    const failed = answers.find((a) => a.status === 'rejected');
    if (failed) throw failed.reason;
    return answers.flatMap((a) => (a.status === 'fulfilled' ? a.value : []));
  }

  private batchesOf(records: readonly SessionRecord[], topic: string, partition: number, timestamp: number): Buffer[] {
    const key = partitionKey(topic, partition);
    const batches: Buffer[] = [];
    for (let start = 0; start < records.length;) {
      let chunk = records.slice(start);
      let measured = measureRecords(chunk);
      while (measured.total > MAX_BATCH_BYTES && chunk.length > 1) {
        chunk = chunk.slice(0, Math.ceil(chunk.length / 2));
        measured = measureRecords(chunk);
      }
      const sequence = this.sequences.get(key) ?? 0;
      batches.push(encodeRecordBatch(chunk, this.id, sequence, timestamp, measured));
      this.sequences.set(key, nextSequence(sequence, chunk.length));
      start += chunk.length;
    }
    return batches;
  }

  /** Runs a coordinator request until it is not answered "not yet" (bounded by the request timeout). */
  private async untilReady(operation: string, send: () => Promise<number>): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
      const errorCode = await send();
      if (errorCode === 0) return;
      const error = new KafkaProtocolError(operation, errorCode, this.id.transactionalId);
      if (!NOT_YET.has(error.errorName) || Date.now() + delay > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
