// One writer's sequential transactions, Kafka's transaction protocol v1
// against v2 (ADR 0057), in alternated rounds: each transaction writes one
// record to each of two partitions and commits a consumer offset, as a
// command processor's one-command transaction does (event, result, command
// offset). The figures are the time from opening a transaction to its commit.
import { randomUUID } from 'node:crypto';
import { kafkaSection } from '@tasklog/platform/config';
import { createKafka, createTopicsAndWait, TransactionalProducer } from '@tasklog/platform/kafka';
import { createLogger } from '@tasklog/platform/observability';
import { percentile, type BenchRow, type BenchScenario } from '../bench.harness.js';
import { platformEnv } from '../bench.settings.js';

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

export const kafkaTransactionsBench: BenchScenario = {
  name: 'kafka-transactions',
  summary: "one writer's sequential transactions: Kafka's transaction protocol v1 against v2, alternated",
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
      return ([1, 2] as const).flatMap((version) => {
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
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  },
};
