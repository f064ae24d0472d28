import kafkajs from 'kafkajs';
import type { Logger } from '@tasklog/platform/observability';

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config: Readonly<Record<string, string>>;
}

export interface ProvisionReport {
  readonly created: string[];
  readonly existing: string[];
  readonly reconfigured: string[];
}

/**
 * Creates the missing topics and brings the configuration of existing ones in
 * line. Idempotent. It never adds partitions to an existing topic: that would
 * move keys to other partitions and break the one-writer-per-partition rule,
 * so a mismatch is an error an operator has to resolve.
 */
export async function ensureTopics(
  admin: kafkajs.Admin,
  specs: readonly TopicSpec[],
  logger?: Logger,
): Promise<ProvisionReport> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.name));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((s) => ({
        topic: s.name,
        numPartitions: s.partitions,
        replicationFactor: s.replicationFactor,
        configEntries: Object.entries(s.config).map(([name, value]) => ({ name, value })),
      })),
    });
  }
  const present = specs.filter((s) => existing.has(s.name));
  const reconfigured = present.length > 0 ? await reconcile(admin, present) : [];
  const report = { created: missing.map((s) => s.name), existing: present.map((s) => s.name), reconfigured };
  logger?.info(report, 'kafka topics provisioned');
  return report;
}

async function reconcile(admin: kafkajs.Admin, specs: readonly TopicSpec[]): Promise<string[]> {
  const metadata = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.name) });
  for (const spec of specs) {
    const found = metadata.topics.find((t) => t.name === spec.name);
    if (found && found.partitions.length !== spec.partitions) {
      throw new Error(
        `topic ${spec.name} has ${found.partitions.length} partitions, the platform expects ${spec.partitions}; ` +
          'changing the partition count of a keyed topic moves keys, so resolve this by hand',
      );
    }
  }
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: specs.map((s) => ({
      type: kafkajs.ConfigResourceTypes.TOPIC,
      name: s.name,
      configNames: Object.keys(s.config),
    })),
  });
  const drifted = specs.filter((spec) => {
    const resource = described.resources.find((r) => r.resourceName === spec.name);
    return Object.entries(spec.config).some(
      ([name, value]) => resource?.configEntries.find((e) => e.configName === name)?.configValue !== value,
    );
  });
  if (drifted.length > 0) {
    await admin.alterConfigs({
      validateOnly: false,
      resources: drifted.map((s) => ({
        type: kafkajs.ConfigResourceTypes.TOPIC,
        name: s.name,
        configEntries: Object.entries(s.config).map(([name, value]) => ({ name, value })),
      })),
    });
  }
  return drifted.map((s) => s.name);
}
