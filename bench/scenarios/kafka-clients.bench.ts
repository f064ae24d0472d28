// kafkajs against @platformatic/kafka on the two paths the write side lives
// on: read_committed consumption of a pre-filled, transactionally written
// topic, and transactional produce with the consumed offsets in the
// transaction. Each row reports wall-clock records/s and the process CPU per
// record (the figure that matters on a shared 2-core machine).
import { randomUUID } from 'node:crypto';
import { Consumer, FetchIsolationLevels, Producer, stringSerializer, type Message } from '@platformatic/kafka';
import { kafkaSection } from '@tasklog/platform/config';
import { taskEventRecord, type KafkaRecord } from '@tasklog/contracts';
import { recordEvents, type TaskEvent } from '@tasklog/domain';
import {
  createKafka,
  createTopicsAndWait,
  readPartitionRanges,
  highWatermarks,
  TransactionalProducer,
  type KafkaClient,
} from '@tasklog/platform/kafka';
import { createLogger } from '@tasklog/platform/observability';
import type { BenchRow, BenchScenario } from '../bench.harness.js';
import { platformEnv } from '../bench.settings.js';

const PARTITIONS = 4;
const PER_TRANSACTION = 500;
const ABORTED = 200;
const brokers = () => kafkaSection(platformEnv()).brokers;

interface Measured {
  readonly records: number;
  readonly seconds: number;
  readonly cpuMicros: number;
}

async function measure(run: () => Promise<number>): Promise<Measured> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const records = await run();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { records, seconds, cpuMicros: used.user + used.system };
}

function row(metric: string, m: Measured, note = ''): BenchRow {
  const perRecord = (m.cpuMicros / Math.max(1, m.records)).toFixed(1);
  return {
    metric,
    value: Math.round(m.records / m.seconds),
    unit: 'records/s',
    note: `${m.records} records, ${perRecord} µs CPU/record${note ? `; ${note}` : ''}`,
  };
}

/** Event records of the real shape (protobuf value, CloudEvents headers), round-robin over the partitions. */
function eventRecords(total: number): KafkaRecord[] {
  return Array.from({ length: total }, (_, i) => {
    const taskId = randomUUID();
    const event: TaskEvent = {
      type: 'TaskDetailsUpdated',
      schemaVersion: 1,
      data: { taskId, changes: { title: `bench ${i}` }, updatedAt: new Date().toISOString() },
    };
    const [recorded] = recordEvents([event], {
      command: { commandId: randomUUID(), taskId, actorId: 'bench' },
      versionBefore: 1,
      recordedAt: new Date().toISOString(),
      newEventId: () => randomUUID(),
    });
    return { ...taskEventRecord(recorded!, { source: '/bench' }), partition: i % PARTITIONS };
  });
}

/** Committed transactions of PER_TRANSACTION records, plus one aborted transaction a reader must never see. */
async function prefill(kafka: KafkaClient, topic: string, records: readonly KafkaRecord[]): Promise<void> {
  const producer = kafka.producer({ transactionalId: `${topic}-fill`, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const aborted = await producer.transaction();
  await aborted.send({ topic, acks: -1, messages: records.slice(0, ABORTED).map((r) => ({ ...r, partition: 0 })) });
  await aborted.abort();
  for (let start = 0; start < records.length; start += PER_TRANSACTION * PARTITIONS) {
    const tx = await producer.transaction();
    await tx.send({ topic, acks: -1, messages: [...records.slice(start, start + PER_TRANSACTION * PARTITIONS)] });
    await tx.commit();
  }
  await producer.disconnect();
}

async function readWithKafkajsGroup(kafka: KafkaClient, topic: string, ends: Map<number, bigint>): Promise<number> {
  const consumer = kafka.consumer({
    groupId: `${topic}-kafkajs`,
    readUncommitted: false,
    maxWaitTimeInMs: 50,
    maxBytesPerPartition: 16 * 1024 * 1024,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let count = 0;
  const remaining = new Set(ends.keys());
  await new Promise<void>((resolve) => {
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (BigInt(payload.lastOffset) + 1n >= ends.get(payload.partition)!) remaining.delete(payload.partition);
      if (remaining.size === 0) resolve();
    });
    void consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: PARTITIONS,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) if (message.value) count++;
      },
    });
  });
  await consumer.disconnect();
  return count;
}

async function readWithPlatformaticStream(
  topic: string,
  expected: number,
): Promise<{ count: number; aborted: number }> {
  const consumer = new Consumer({
    clientId: 'bench-platformatic',
    bootstrapBrokers: brokers(),
    groupId: `${topic}-platformatic`,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    maxWaitTime: 50,
    maxBytesPerPartition: 16 * 1024 * 1024,
    autocommit: false,
  });
  let count = 0;
  let aborted = 0;
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest' });
  const deadline = setTimeout(() => void stream.close(), 120_000);
  try {
    for await (const message of stream as AsyncIterable<Message>) {
      // The aborted transaction holds the first ABORTED offsets of partition 0.
      if (message.partition === 0 && message.offset < BigInt(ABORTED)) aborted++;
      if (message.value) count++;
      if (count >= expected) break;
    }
  } finally {
    clearTimeout(deadline);
    await stream.close().catch(() => undefined);
    await consumer.close(true);
  }
  return { count, aborted };
}

async function readWithRangeReader(kafka: KafkaClient, topic: string, ends: Map<number, bigint>): Promise<number> {
  let count = 0;
  await readPartitionRanges(
    kafka,
    [...ends].map(([partition, end]) => ({ topic, partition, from: 0n, end })),
    {
      onBatch: (messages) => {
        count += messages.length;
      },
    },
  );
  return count;
}

/** One transaction per PER_TRANSACTION records to one partition, with an offset commit for a group in it. */
async function transactionalKafkajs(kafka: KafkaClient, topic: string, records: readonly KafkaRecord[]) {
  const producer = kafka.producer({ transactionalId: `${topic}-tx-kafkajs`, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let start = 0, n = 0; start < records.length; start += PER_TRANSACTION, n++) {
    const tx = await producer.transaction();
    const partition = n % PARTITIONS;
    const messages = records.slice(start, start + PER_TRANSACTION).map((r) => ({ ...r, partition }));
    await tx.send({ topic, acks: -1, messages });
    await tx.sendOffsets({
      consumerGroupId: `${topic}-offsets`,
      topics: [{ topic, partitions: [{ partition, offset: String(n + 1) }] }],
    });
    await tx.commit();
  }
  await producer.disconnect();
  return records.length;
}

/** The same through @platformatic/kafka's producer (the writer's client before ADR 0051). */
async function transactionalPlatformatic(topic: string, records: readonly KafkaRecord[]) {
  const config = kafkaSection(platformEnv());
  const producer = new Producer({
    clientId: 'bench-platformatic-tx',
    bootstrapBrokers: config.brokers,
    transactionalId: `${topic}-tx-platformatic`,
    idempotent: true,
    acks: -1,
    retries: 3,
    retryDelay: 20,
    autocreateTopics: false,
    serializers: { key: stringSerializer, headerKey: stringSerializer, headerValue: stringSerializer },
  });
  const groupId = `${topic}-offsets-p`;
  const finder = new Consumer({ clientId: 'bench-platformatic-finder', bootstrapBrokers: config.brokers, groupId });
  const coordinatorId = await finder.findGroupCoordinator();
  await finder.close(true);
  try {
    for (let start = 0, n = 0; start < records.length; start += PER_TRANSACTION, n++) {
      const tx = await producer.beginTransaction(n === 0 ? { producerId: -1n, producerEpoch: -1 } : undefined);
      const partition = n % PARTITIONS;
      const messages = records
        .slice(start, start + PER_TRANSACTION)
        .map((r) => ({ topic, key: r.key, value: r.value, headers: r.headers as Record<string, string>, partition }));
      await tx.send({ messages });
      await tx.addConsumer({ groupId } as Parameters<typeof tx.addConsumer>[0]);
      await tx.addOffset({
        topic,
        partition,
        offset: BigInt(n),
        metadata: { consumer: { groupId, generationId: -1, memberId: '', coordinatorId } },
      } as unknown as Message<string, Buffer, string, string>);
      await tx.commit();
    }
  } finally {
    await producer.close(true);
  }
  return records.length;
}

/** The same through libs/platform/kafka's TransactionalProducer (its own protocol code, ADR 0051). */
async function transactionalWire(topic: string, records: readonly KafkaRecord[]) {
  const config = { ...kafkaSection(platformEnv()), clientId: 'bench-wire-tx' };
  const producer = await TransactionalProducer.fence(config, { transactionalId: `${topic}-tx-wire` });
  try {
    for (let start = 0, n = 0; start < records.length; start += PER_TRANSACTION, n++) {
      const tx = await producer.transaction();
      const partition = n % PARTITIONS;
      await tx.send(
        topic,
        records.slice(start, start + PER_TRANSACTION).map((r) => ({ ...r, partition })),
      );
      await tx.sendOffsets(`${topic}-offsets-w`, topic, partition, BigInt(n + 1));
      await tx.commit();
    }
  } finally {
    await producer.disconnect();
  }
  return records.length;
}

async function kafkaClientsComparison(total: number): Promise<BenchRow[]> {
  const logger = createLogger('bench', 'warn');
  const kafka = createKafka({ ...kafkaSection(platformEnv()), clientId: 'bench-clients' }, logger);
  const admin = kafka.admin();
  await admin.connect();
  const topic = `bench.clients.${randomUUID()}`;
  const txTopic = `${topic}.tx`;
  await createTopicsAndWait(
    admin,
    [topic, txTopic].map((t) => ({ topic: t, numPartitions: PARTITIONS, replicationFactor: 1 })),
  );
  try {
    const records = eventRecords(total);
    await prefill(kafka, topic, records);
    const ends = await highWatermarks(kafka, topic);
    const kafkajsRead = await measure(() => readWithKafkajsGroup(kafka, topic, ends));
    let abortedSeen = 0;
    const platformaticRead = await measure(async () => {
      const { count, aborted } = await readWithPlatformaticStream(topic, total);
      abortedSeen = aborted;
      return count;
    });
    const rangeRead = await measure(() => readWithRangeReader(kafka, topic, ends));
    const kafkajsTx = await measure(() => transactionalKafkajs(kafka, txTopic, records));
    const platformaticTx = await measure(() => transactionalPlatformatic(txTopic, records));
    const wireTx = await measure(() => transactionalWire(txTopic, records));
    return [
      { metric: 'records per partition set', value: total, unit: 'records', note: `${PARTITIONS} partitions` },
      row('read_committed, kafkajs consumer group', kafkajsRead),
      row(
        'read_committed, @platformatic/kafka stream',
        platformaticRead,
        `${abortedSeen} records of the aborted transaction delivered`,
      ),
      row('read_committed, readPartitionRanges (libs/platform/kafka)', rangeRead),
      row('transactional produce + offsets, kafkajs', kafkajsTx, `${PER_TRANSACTION} records per transaction`),
      row(
        'transactional produce + offsets, @platformatic/kafka',
        platformaticTx,
        `${PER_TRANSACTION} records per transaction`,
      ),
      row(
        'transactional produce + offsets, TransactionalProducer (libs/platform/kafka, ADR 0051)',
        wireTx,
        `${PER_TRANSACTION} records per transaction`,
      ),
    ];
  } finally {
    await admin.deleteTopics({ topics: [topic, txTopic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

export const kafkaClientsBench: BenchScenario = {
  name: 'kafka-clients',
  summary:
    'kafkajs vs @platformatic/kafka vs our wire code: read_committed consumption and transactional produce with offsets',
  async run({ scale }) {
    return kafkaClientsComparison(Math.round(100_000 * scale));
  },
};
