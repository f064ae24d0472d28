// The protocol side of a transactional producer (ADR 0051): its identity
// and connections, and each request of the transaction protocol, with the
// few answers that mean "try again in a moment" retried. Transactions'
// bookkeeping (which partitions and groups joined) is the caller's.
import { BrokerCluster, KafkaProtocolError } from './broker-cluster.js';
import { partitionForKey } from './murmur2.partitioner.js';
import {
  ADD_OFFSETS_TO_TXN,
  ADD_PARTITIONS_TO_TXN,
  decodeEndTxnV2,
  decodeErrorCode,
  decodePartitionErrors,
  decodePartitionErrorsV2,
  decodeProduce,
  decodeProduceV2,
  encodeAddOffsets,
  encodeAddPartitions,
  encodeEndTxn,
  encodeEndTxnV2,
  encodeProduce,
  encodeProduceV2,
  encodeTxnOffsetCommit,
  encodeTxnOffsetCommitV2,
  END_TXN,
  END_TXN_V2,
  errorName,
  GROUP_COORDINATOR,
  PRODUCE,
  PRODUCE_V2,
  TXN_OFFSET_COMMIT,
  TXN_OFFSET_COMMIT_V2,
  type ProducedPartition,
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

/**
 * The transaction protocol in use (ADR 0057). 1: partitions and groups join
 * a transaction through AddPartitionsToTxn and AddOffsetsToTxn. 2 (KIP-890
 * part 2): a produce or an offset commit joins them itself, and every
 * EndTxn bumps the epoch the next transaction is written with.
 */
export type TransactionVersion = 1 | 2;

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
    private identity: ProducerIdentity,
    private readonly coordinator: number,
    private readonly timeoutMs: number,
    readonly transactionVersion: TransactionVersion = 1,
  ) {}

  /** The producer id and the epoch of the current transaction. */
  get id(): ProducerIdentity {
    return this.identity;
  }

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
    const v2 = this.transactionVersion === 2;
    let where = groupId;
    // v2: the commit adds the group to the transaction itself, and may hear "not yet" as adding it would.
    await this.untilReady(
      'commit offsets',
      async () => {
        const body = await this.cluster.request(
          coordinator,
          v2 ? TXN_OFFSET_COMMIT_V2 : TXN_OFFSET_COMMIT,
          v2 ? encodeTxnOffsetCommitV2(this.id, groupId, offsets) : encodeTxnOffsetCommit(this.id, groupId, offsets),
        );
        const failed = (v2 ? decodePartitionErrorsV2(body) : decodePartitionErrors(body)).find(
          (p) => p.errorCode !== 0,
        );
        if (failed) where = `${groupId} ${failed.topic}:${failed.partition}`;
        return failed?.errorCode ?? 0;
      },
      () => where,
    );
  }

  async endTransaction(committed: boolean): Promise<void> {
    if (this.transactionVersion === 1) {
      await this.untilReady(committed ? 'commit' : 'abort', async () =>
        decodeErrorCode(await this.cluster.request(this.coordinator, END_TXN, encodeEndTxn(this.id, committed))),
      );
      return;
    }
    await this.untilReady(committed ? 'commit' : 'abort', async () => {
      const answer = decodeEndTxnV2(
        await this.cluster.request(this.coordinator, END_TXN_V2, encodeEndTxnV2(this.id, committed)),
      );
      if (answer.errorCode === 0) {
        // The next transaction is written with the bumped epoch (a new producer id when the epoch ran out),
        // and its sequences start again at 0.
        this.identity = { ...this.identity, producerId: answer.producerId, epoch: answer.epoch };
        this.sequences.clear();
      }
      return answer.errorCode;
    });
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
          for (const answer of await this.produceRound(leader, batches)) {
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

  /**
   * One produce request to a leader. With the transaction protocol v2 the
   * leader adds each partition to the transaction first, and answers "not
   * yet" while the previous transaction is still being completed: nothing
   * of such a partition was written, so its batch is sent again (same
   * sequence) after a short wait, within the request timeout.
   */
  private async produceRound(leader: number, batches: ProducedBatch[]): Promise<ProducedPartition[]> {
    const v2 = this.transactionVersion === 2;
    const deadline = Date.now() + this.timeoutMs;
    const done: ProducedPartition[] = [];
    for (let pending = batches, delay = 2; ; delay = Math.min(delay * 2, 100)) {
      const body = await this.cluster.request(
        leader,
        v2 ? PRODUCE_V2 : PRODUCE,
        (v2 ? encodeProduceV2 : encodeProduce)(this.id.transactionalId, this.timeoutMs, pending),
      );
      const answers = v2 ? decodeProduceV2(body) : decodeProduce(body);
      const retry = new Set(
        answers.filter((a) => v2 && NOT_YET.has(errorName(a.errorCode))).map((a) => partitionKey(a.topic, a.partition)),
      );
      done.push(...answers.filter((a) => !retry.has(partitionKey(a.topic, a.partition))));
      if (retry.size === 0 || Date.now() + delay > deadline) {
        return [...done, ...answers.filter((a) => retry.has(partitionKey(a.topic, a.partition)))];
      }
      pending = pending.filter((b) => retry.has(partitionKey(b.topic, b.partition)));
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
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
  private async untilReady(
    operation: string,
    send: () => Promise<number>,
    where: () => string = () => this.id.transactionalId,
  ): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
      const errorCode = await send();
      if (errorCode === 0) return;
      const error = new KafkaProtocolError(operation, errorCode, where());
      if (!NOT_YET.has(error.errorName) || Date.now() + delay > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
