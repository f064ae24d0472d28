// Exits 0 when the broker at argv[2] answers a metadata request, 1 otherwise.
// Used by scripts/infra.sh to wait for Kafka to be really up, not just bound.
import kafkajs from 'kafkajs';

const broker = process.argv[2] ?? '127.0.0.1:9092';
const kafka = new kafkajs.Kafka({
  clientId: 'tasklog-infra-probe',
  brokers: [broker],
  connectionTimeout: 1000,
  requestTimeout: 2000,
  retry: { retries: 0 },
  logLevel: kafkajs.logLevel.NOTHING,
});
const admin = kafka.admin();
try {
  await admin.connect();
  const cluster = await admin.describeCluster();
  await admin.disconnect();
  process.exit(cluster.brokers.length > 0 && cluster.controller !== null ? 0 : 1);
} catch {
  process.exit(1);
}
