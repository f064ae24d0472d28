// Helpers that isolate int and e2e test files on the shared local services:
// every file gets its own topics, consumer groups, PostgreSQL schema and Redis
// key prefix, all random, and removes them when it is done.
import { randomBytes } from 'node:crypto';
import kafkajs from 'kafkajs';
import { kafkaSection, postgresSection, redisSection } from '@tasklog/platform/config';
import { createLogger, type Logger } from '@tasklog/platform/observability';
import { createKafka, type KafkaClient } from '@tasklog/platform/kafka';

export const testLogger: Logger = createLogger('test', inheritedEnv()['TEST_LOG_LEVEL'] ?? 'silent');

/** A short random name, safe for topics, groups, schemas and key prefixes. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/**
 * The environment the test runner was started with: handed to the platform's
 * config sections and to the apps the tests start (with their own settings on top).
 */
export function inheritedEnv(): Record<string, string | undefined> {
  return { ...process.env };
}

const testEnv = {
  ...inheritedEnv(),
  DATABASE_URL: inheritedEnv()['TEST_DATABASE_URL'] ?? 'postgresql://tasklog:tasklog@127.0.0.1:5432/tasklog_test',
};

export const testKafkaConfig = () => kafkaSection(testEnv);
export const testPostgresConfig = (schema: string) => postgresSection({ ...testEnv, DATABASE_SCHEMA: schema });
export const testRedisConfig = (keyPrefix: string) => redisSection({ ...testEnv, REDIS_KEY_PREFIX: `${keyPrefix}:` });

export function testKafka(clientId = uniqueName('test')): KafkaClient {
  return createKafka({ ...testKafkaConfig(), clientId }, testLogger);
}

/** Creates topics with random names; `drop()` deletes them again. */
export async function createTestTopics(kafka: KafkaClient, names: string[], partitions = 3) {
  const admin = kafka.admin();
  await admin.connect();
  const topics = names.map((n) => uniqueName(`test.${n}`));
  await admin.createTopics({
    waitForLeaders: true,
    topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
  });
  return {
    topics,
    admin,
    async drop(): Promise<void> {
      await admin.deleteTopics({ topics }).catch(() => undefined);
      await admin.disconnect();
    },
  };
}

export { kafkajs };

/** A MikroORM instance on a fresh random schema of tasklog_test, migrated. */
export async function createTestDatabase() {
  const { createOrm, migrate } = await import('@tasklog/platform/postgres');
  const schema = uniqueName('t');
  const config = testPostgresConfig(schema);
  const orm = await createOrm(config, testLogger);
  await migrate(orm, schema);
  return {
    orm,
    schema,
    config,
    async drop(): Promise<void> {
      await orm.em.getConnection().execute(`drop schema if exists "${schema}" cascade`);
      await orm.close(true);
    },
  };
}
