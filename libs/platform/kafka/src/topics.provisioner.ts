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
    await createTopicsAndWait(
      admin,
      missing.map((s) => ({
        topic: s.name,
        numPartitions: s.partitions,
        replicationFactor: s.replicationFactor,
        configEntries: Object.entries(s.config).map(([name, value]) => ({ name, value })),
      })),
    );
  }
  const present = specs.filter((s) => existing.has(s.name));
  const reconfigured = present.length > 0 ? await reconcile(admin, present) : [];
  const report = { created: missing.map((s) => s.name), existing: present.map((s) => s.name), reconfigured };
  logger?.info(report, 'kafka topics provisioned');
  return report;
}

/**
 * Creates topics and waits until every partition has a leader. kafkajs' own
 * `waitForLeaders` gives up on the first UNKNOWN_TOPIC_OR_PARTITION, which a
 * busy KRaft broker answers for a moment after creating a topic.
 */
export async function createTopicsAndWait(
  admin: kafkajs.Admin,
  topics: kafkajs.ITopicConfig[],
  timeoutMs = 30_000,
): Promise<void> {
  await admin.createTopics({ waitForLeaders: false, topics });
  const names = topics.map((t) => t.topic);
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics: names });
      const led = found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (led && found.length === names.length) return;
    } catch (error) {
      const retriable = error instanceof kafkajs.KafkaJSError && error.retriable;
      if (!retriable || Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`topics ${names.join(', ')} have no leaders after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(50 * attempt, 500)));
  }
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
