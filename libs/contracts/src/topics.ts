// Topic names and policies as data: the platform provisions topics from this
// list at start, and the AsyncAPI document describes the same topics (a unit
// spec keeps them in step). All task topics are keyed by task id and share
// one partition count, so a task's commands, events and snapshots sit in
// partitions with the same number.

export const TOPICS = {
  commands: 'tasklog.task-commands.v1',
  events: 'tasklog.task-events.v1',
  snapshots: 'tasklog.task-snapshots.v1',
  commandResults: 'tasklog.task-command-results.v1',
} as const;

export type TopicRole = keyof typeof TOPICS | 'dlq';

export const DEFAULT_PARTITIONS = 12;

/** The side-effect consumers that own a dead-letter topic. */
export const DLQ_CONSUMERS = ['projector', 'webhook-dispatcher', 'crm-sync', 'scheduler'] as const;

const DAY_MS = 24 * 60 * 60 * 1000;

/** Kafka topic configuration per role (cleanup.policy, retention.ms ...). */
export const TOPIC_POLICIES: Readonly<Record<TopicRole, Readonly<Record<string, string>>>> = {
  commands: { 'cleanup.policy': 'delete', 'retention.ms': String(7 * DAY_MS) },
  // The source of truth: never deleted, by time or by size.
  events: { 'cleanup.policy': 'delete', 'retention.ms': '-1', 'retention.bytes': '-1' },
  snapshots: { 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0.1' },
  commandResults: { 'cleanup.policy': 'delete', 'retention.ms': String(DAY_MS) },
  dlq: { 'cleanup.policy': 'delete', 'retention.ms': String(30 * DAY_MS) },
};

const CONSUMER_NAME = /^[a-z][a-z0-9-]*$/;

/** tasklog.<consumer>.dlq.v1 */
export function dlqTopic(consumer: string): string {
  if (!CONSUMER_NAME.test(consumer)) throw new Error(`invalid consumer name for a dead-letter topic: ${consumer}`);
  return `tasklog.${consumer}.dlq.v1`;
}

/** Shaped like the platform's TopicSpec, so provisioning takes it as is. */
export interface TopicDefinition {
  readonly role: TopicRole;
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config: Readonly<Record<string, string>>;
}

export interface TopicOptions {
  readonly partitions?: number;
  readonly replicationFactor?: number;
  /** Prepended to every name (tests use a random prefix per run). */
  readonly prefix?: string;
  readonly dlqConsumers?: readonly string[];
}

export function topicDefinitions(options: TopicOptions = {}): TopicDefinition[] {
  const partitions = options.partitions ?? DEFAULT_PARTITIONS;
  const replicationFactor = options.replicationFactor ?? 1;
  const prefix = options.prefix ?? '';
  if (!Number.isInteger(partitions) || partitions < 1) throw new Error(`invalid partition count ${partitions}`);
  const define = (role: TopicRole, name: string): TopicDefinition => ({
    role,
    name: prefix + name,
    partitions,
    replicationFactor,
    config: TOPIC_POLICIES[role],
  });
  const main = (Object.keys(TOPICS) as (keyof typeof TOPICS)[]).map((role) => define(role, TOPICS[role]));
  const dlqs = (options.dlqConsumers ?? DLQ_CONSUMERS).map((consumer) => define('dlq', dlqTopic(consumer)));
  return [...main, ...dlqs];
}
