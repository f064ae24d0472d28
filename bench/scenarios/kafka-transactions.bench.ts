// One writer's sequential transactions, Kafka's transaction protocol v1
// against v2 (ADR 0057), in alternated rounds: each transaction writes one
// record to each of two partitions and commits a consumer offset, as a
// command processor's one-command transaction does (event, result, command
// offset). The figures are the time from opening a transaction to its commit.
//
// Then the broker's CPU per transaction: twelve writers, one per partition as
// the command processor has them, open such transactions at fixed rates
// (BENCH_TX_RATES, default 50,200,600 a second in all), and the broker's CPU
// over each step (/proc/<pid>/stat) is divided by the transactions it
// committed. This is the work a command costs the broker at low and moderate
// HTTP rates, where each transaction holds one or two commands (ADR 0058).
import { randomUUID } from 'node:crypto';
import { kafkaSection } from '@tasklog/platform/config';
import { createKafka, createTopicsAndWait, TransactionalProducer, type KafkaClient } from '@tasklog/platform/kafka';
import { createLogger } from '@tasklog/platform/observability';
import { localBrokerPid, percentile, processCpuSeconds, type BenchRow, type BenchScenario } from '../bench.harness.js';
import { benchSettings, platformEnv } from '../bench.settings.js';

const ROUNDS = 3;
const WARM_UP = 20;

async function transactionTimes(topic: string, version: 1 | 2, count: number): Promise<number[]> {
  const config = kafkaSection(platformEnv());
  const producer = await TransactionalProducer.fence(
    { ...config, clientId: 'bench-transactions' },
    { transactionalId: `bench-transactions-${randomUUID()}`, transactionVersion: version },
  );
  const times: number[] = [];
  try {
    for (let i = 0; i < WARM_UP + count; i++) {
      const started = performance.now();
      const tx = await producer.transaction();
      const record = (partition: number) => ({ key: 'k', value: Buffer.from(`v${i}`), headers: {}, partition });
      await Promise.all([
        tx.sendAll([{ topic, records: [record(0), record(1)] }]),
        tx.sendOffsets(`bench-transactions-${version}`, topic, 2, BigInt(i + 1)),
      ]);
      await tx.commit();
      if (i >= WARM_UP) times.push(performance.now() - started);
    }
  } finally {
    await producer.disconnect();
  }
  return times;
}

const WRITERS = 12;
const STEP_SECONDS = 10;

interface RateStep {
  readonly offered: number;
  readonly committed: number;
  readonly seconds: number;
  readonly brokerCpuSeconds: number | undefined;
  readonly times: number[];
}

/**
 * Transactions offered at `rate` a second in all (open loop, round robin over
 * the writers; a writer's transactions run one after the other) for `seconds`.
 */
async function rateStep(
  writers: readonly TransactionalProducer[],
  topics: readonly [string, string],
  rate: number,
  seconds: number,
  brokerPid: number | undefined,
): Promise<RateStep> {
  const chains = writers.map(() => Promise.resolve());
  const next = writers.map(() => 0n);
  const times: number[] = [];
  const value = Buffer.alloc(300, 0x61);
  const transaction = async (writer: number) => {
    const started = performance.now();
    const tx = await writers[writer]!.transaction();
    const record = { key: `task-${writer}`, value, headers: {}, partition: writer };
    next[writer]! += 1n;
    await Promise.all([
      tx.sendAll(topics.map((topic) => ({ topic, records: [record] }))),
      tx.sendOffsets(`${topics[0]}-group`, topics[0], writer, next[writer]!),
    ]);
    await tx.commit();
    times.push(performance.now() - started);
  };
  const cpuBefore = await processCpuSeconds(brokerPid);
  const started = performance.now();
  for (let i = 0; performance.now() - started < seconds * 1000; i++) {
    const wait = started + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const writer = i % writers.length;
    chains[writer] = chains[writer]!.then(() => transaction(writer));
  }
  await Promise.all(chains);
  const elapsed = (performance.now() - started) / 1000;
  const cpuAfter = await processCpuSeconds(brokerPid);
  return {
    offered: rate,
    committed: times.length,
    seconds: elapsed,
    brokerCpuSeconds: cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : undefined,
    times,
  };
}

/** The broker's CPU per one-command transaction at each of BENCH_TX_RATES. */
async function brokerCostPerTransaction(kafka: KafkaClient, scale: number): Promise<BenchRow[]> {
  const brokerPid = await localBrokerPid();
  const admin = kafka.admin();
  await admin.connect();
  const id = randomUUID().slice(0, 8);
  const topics = [`bench.transactions.${id}.events`, `bench.transactions.${id}.results`] as const;
  const writers: TransactionalProducer[] = [];
  try {
    await createTopicsAndWait(
      admin,
      topics.map((topic) => ({ topic, numPartitions: WRITERS, replicationFactor: 1 })),
    );
    // Every partition takes a write before the writers start: a leader that
    // the metadata names may still answer NOT_LEADER_OR_FOLLOWER for a moment,
    // which kafkajs' plain producer retries and a transaction would not.
    const probe = kafka.producer();
    await probe.connect();
    for (const topic of topics) {
      const records = Array.from({ length: WRITERS }, (_, partition) => ({ partition, value: 'probe' }));
      await probe.send({ topic, acks: -1, messages: records });
    }
    await probe.disconnect();
    const config = kafkaSection(platformEnv());
    for (let w = 0; w < WRITERS; w++) {
      writers.push(
        await TransactionalProducer.fence(
          { ...config, clientId: `bench-transactions-${w}` },
          { transactionalId: `bench-transactions-${id}-${w}`, transactionVersion: 'auto' },
        ),
      );
    }
    const seconds = Math.max(2, STEP_SECONDS * scale);
    const rates = benchSettings().transactionRates;
    // A warm-up at the first rate: leaders settled, connections open, the broker's code compiled for this path.
    await rateStep(writers, topics, rates[0]!, Math.min(3, seconds), brokerPid);
    const rows: BenchRow[] = [];
    for (const rate of rates) {
      const step = await rateStep(writers, topics, rate, seconds, brokerPid);
      const label = `${rate} transactions/s offered`;
      const perSecond = step.committed / step.seconds;
      rows.push({
        metric: `${label}: committed`,
        value: Math.round(perSecond),
        unit: 'transactions/s',
        note: `${step.committed} in ${step.seconds.toFixed(1)} s by ${WRITERS} writers (one per partition), p50 ${percentile(step.times, 50).toFixed(1)} ms, p99 ${percentile(step.times, 99).toFixed(1)} ms`,
      });
      if (step.brokerCpuSeconds !== undefined) {
        rows.push(
          {
            metric: `${label}: broker CPU`,
            value: +(step.brokerCpuSeconds / step.seconds).toFixed(2),
            unit: 'cores',
            note: 'the broker process, /proc/<pid>/stat utime + stime',
          },
          {
            metric: `${label}: broker CPU per transaction`,
            value: +((step.brokerCpuSeconds * 1000) / step.committed).toFixed(2),
            unit: 'ms',
            note: 'one record to each of two partitions and a consumer offset, as a one-command processor transaction',
          },
        );
      }
    }
    if (brokerPid === undefined) {
      rows.push({
        metric: 'broker CPU',
        value: 0,
        unit: 'n/a',
        note: 'not measured: the broker is not one scripts/infra.sh started on this machine',
      });
    }
    return rows;
  } finally {
    await Promise.all(writers.map((w) => w.disconnect().catch(() => undefined)));
    await admin.deleteTopics({ topics: [...topics] }).catch(() => undefined);
    await admin.disconnect();
  }
}

export const kafkaTransactionsBench: BenchScenario = {
  name: 'kafka-transactions',
  summary:
    "one writer's sequential transactions, Kafka's transaction protocol v1 against v2; the broker's CPU per transaction at fixed rates",
  async run({ scale }): Promise<BenchRow[]> {
    const count = Math.max(20, Math.round(300 * scale));
    const kafka = createKafka(
      { ...kafkaSection(platformEnv()), clientId: 'bench-transactions' },
      createLogger('bench', 'warn'),
    );
    const admin = kafka.admin();
    await admin.connect();
    const topic = `bench.transactions.${randomUUID()}`;
    try {
      await createTopicsAndWait(admin, [{ topic, numPartitions: 3, replicationFactor: 1 }]);
      const times: Record<1 | 2, number[]> = { 1: [], 2: [] };
      for (let round = 0; round < ROUNDS; round++) {
        for (const version of [1, 2] as const) times[version].push(...(await transactionTimes(topic, version, count)));
      }
      const sequential = ([1, 2] as const).flatMap((version) => {
        const all = times[version];
        const mean = all.reduce((sum, t) => sum + t, 0) / all.length;
        const name = `transaction, protocol v${version}`;
        return [
          {
            metric: `${name}, mean`,
            value: +mean.toFixed(2),
            unit: 'ms',
            note: `${all.length} transactions in ${ROUNDS} rounds`,
          },
          { metric: `${name}, p50`, value: +percentile(all, 50).toFixed(2), unit: 'ms' },
          { metric: `${name}, p99`, value: +percentile(all, 99).toFixed(2), unit: 'ms' },
        ];
      });
      return [...sequential, ...(await brokerCostPerTransaction(kafka, scale))];
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  },
};
