// The configuration sections shared by several apps. Defaults match the
// local infrastructure of scripts/infra.sh, so nothing needs setting locally.
import { env, readConfig, type EnvSource } from './env.reader.js';

export function kafkaSection(source: EnvSource) {
  return readConfig(
    {
      brokers: env.list('KAFKA_BROKERS', ['127.0.0.1:9092']),
      clientId: env.string('KAFKA_CLIENT_ID', 'tasklog'),
      partitions: env.int('TASKLOG_PARTITIONS', 12, { min: 1, max: 1000 }),
      replicationFactor: env.int('KAFKA_REPLICATION_FACTOR', 1, { min: 1 }),
      topicPrefix: env.string('TASKLOG_TOPIC_PREFIX', ''),
      connectionTimeoutMs: env.int('KAFKA_CONNECTION_TIMEOUT_MS', 3000, { min: 100 }),
      requestTimeoutMs: env.int('KAFKA_REQUEST_TIMEOUT_MS', 10000, { min: 100 }),
    },
    source,
  );
}
export type KafkaConfig = ReturnType<typeof kafkaSection>;

export function postgresSection(source: EnvSource) {
  return readConfig(
    {
      url: env.string('DATABASE_URL', 'postgresql://tasklog:tasklog@127.0.0.1:5432/tasklog'),
      schema: env.string('DATABASE_SCHEMA', 'public'),
      poolMax: env.int('DATABASE_POOL_MAX', 10, { min: 1, max: 200 }),
      statementTimeoutMs: env.int('DATABASE_STATEMENT_TIMEOUT_MS', 30000, { min: 0 }),
    },
    source,
  );
}
export type PostgresConfig = ReturnType<typeof postgresSection>;

export function redisSection(source: EnvSource) {
  return readConfig(
    {
      url: env.string('REDIS_URL', 'redis://127.0.0.1:6379/0'),
      keyPrefix: env.string('REDIS_KEY_PREFIX', 'tasklog:'),
      commandTimeoutMs: env.int('REDIS_COMMAND_TIMEOUT_MS', 200, { min: 10 }),
    },
    source,
  );
}
export type RedisConfig = ReturnType<typeof redisSection>;
