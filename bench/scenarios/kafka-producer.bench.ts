// The raw rate of this machine's broker for an idempotent, acks=all producer:
// the ceiling every write-path figure is compared with.
import { randomBytes, randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import { kafkaSection } from '@tasklog/platform/config';
import { createKafka, createTopicsAndWait } from '@tasklog/platform/kafka';
import { createLogger } from '@tasklog/platform/observability';
import type { BenchRow, BenchScenario } from '../bench.harness.js';
import { platformEnv } from '../bench.settings.js';

export async function measureRawProducer(total: number, batch = 1000, valueBytes = 256): Promise<number> {
  const kafka = createKafka({ ...kafkaSection(platformEnv()), clientId: 'bench-raw' }, createLogger('bench', 'warn'));
  const admin = kafka.admin();
  await admin.connect();
  const topic = `bench.raw.${randomUUID()}`;
  await createTopicsAndWait(admin, [{ topic, numPartitions: 12, replicationFactor: 1 }]);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const value = randomBytes(valueBytes);
  const messages = Array.from({ length: batch }, () => ({ key: randomUUID(), value }));
  const started = performance.now();
  const inFlight: Promise<unknown>[] = [];
  for (let sent = 0; sent < total; sent += batch) {
    inFlight.push(producer.send({ topic, acks: -1, compression: kafkajs.CompressionTypes.None, messages }));
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - started) / 1000;
  await producer.disconnect();
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
  return Math.round(total / seconds);
}

export const kafkaProducerBench: BenchScenario = {
  name: 'kafka-producer-raw',
  summary: 'raw idempotent producer rate (acks=all, 256-byte values, 12 partitions)',
  async run({ scale }): Promise<BenchRow[]> {
    const total = Math.round(200_000 * scale);
    const rate = await measureRawProducer(total);
    return [
      { metric: 'messages', value: total, unit: 'records' },
      { metric: 'raw idempotent producer rate', value: rate, unit: 'records/s', note: 'batches of 1000, one producer' },
    ];
  },
};
