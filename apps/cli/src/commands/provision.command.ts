// `tasklog provision`: creates or reconciles the Kafka topics of DESIGN §3 and
// applies the database migrations. Every app does the same at start; this
// does it on its own, e.g. before a deployment.
import { DLQ_CONSUMERS, topicDefinitions } from '@tasklog/contracts';
import { kafkaSection, postgresSection } from '@tasklog/platform/config';
import { createKafka, ensureTopics } from '@tasklog/platform/kafka';
import { createLogger } from '@tasklog/platform/observability';
import { createOrm, migrate } from '@tasklog/platform/postgres';
import { print, type CliCommand } from './cli-command.js';

export const provisionCommand: CliCommand = {
  name: 'provision',
  summary: 'create/reconcile the Kafka topics and apply database migrations (idempotent)',
  async run(_args, env) {
    const logger = createLogger('cli', 'warn');
    const kafka = kafkaSection(env);
    const admin = createKafka(kafka, logger).admin();
    await admin.connect();
    try {
      const report = await ensureTopics(
        admin,
        topicDefinitions({
          partitions: kafka.partitions,
          replicationFactor: kafka.replicationFactor,
          prefix: kafka.topicPrefix,
          dlqConsumers: [...DLQ_CONSUMERS, 'command-processor'],
        }),
      );
      print(
        `topics: ${report.created.length} created, ${report.existing.length} present, ${report.reconfigured.length} reconfigured`,
      );
    } finally {
      await admin.disconnect();
    }
    const pg = postgresSection(env);
    const orm = await createOrm(pg, logger);
    try {
      const applied = await migrate(orm, pg.schema);
      print(`migrations: ${applied.length === 0 ? 'up to date' : `applied ${applied.join(', ')}`}`);
    } finally {
      await orm.close(true);
    }
    return 0;
  },
};
