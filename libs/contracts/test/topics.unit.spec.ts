import { describe, expect, it } from '@jest/globals';
import { DEFAULT_PARTITIONS, TOPICS, dlqTopic, topicDefinitions } from '@tasklog/contracts';

describe('topics', () => {
  it('have the names of the design', () => {
    expect(TOPICS).toEqual({
      commands: 'tasklog.task-commands.v1',
      events: 'tasklog.task-events.v1',
      snapshots: 'tasklog.task-snapshots.v1',
      commandResults: 'tasklog.task-command-results.v1',
    });
    expect(dlqTopic('webhook-dispatcher')).toBe('tasklog.webhook-dispatcher.dlq.v1');
    expect(() => dlqTopic('Bad Name')).toThrow(/invalid consumer name/);
  });

  it('carry their retention policies as topic configuration', () => {
    const byName = Object.fromEntries(topicDefinitions().map((topic) => [topic.name, topic.config]));
    expect(byName['tasklog.task-commands.v1']).toMatchObject({
      'cleanup.policy': 'delete',
      'retention.ms': '604800000',
    });
    expect(byName['tasklog.task-events.v1']).toMatchObject({
      'cleanup.policy': 'delete',
      'retention.ms': '-1',
      'retention.bytes': '-1',
    });
    expect(byName['tasklog.task-snapshots.v1']).toMatchObject({ 'cleanup.policy': 'compact' });
    expect(byName['tasklog.task-command-results.v1']).toMatchObject({
      'cleanup.policy': 'delete',
      'retention.ms': '86400000',
    });
    expect(byName['tasklog.crm-sync.dlq.v1']).toMatchObject({
      'cleanup.policy': 'delete',
      'retention.ms': '2592000000',
    });
  });

  it('share one partition count, 12 unless configured, and take a prefix', () => {
    expect(new Set(topicDefinitions().map((topic) => topic.partitions))).toEqual(new Set([DEFAULT_PARTITIONS]));
    const custom = topicDefinitions({
      partitions: 3,
      replicationFactor: 3,
      prefix: 't-abc.',
      dlqConsumers: ['projector'],
    });
    expect(custom.map((topic) => topic.name)).toEqual([
      't-abc.tasklog.task-commands.v1',
      't-abc.tasklog.task-events.v1',
      't-abc.tasklog.task-snapshots.v1',
      't-abc.tasklog.task-command-results.v1',
      't-abc.tasklog.projector.dlq.v1',
    ]);
    expect(custom.every((topic) => topic.partitions === 3 && topic.replicationFactor === 3)).toBe(true);
    expect(() => topicDefinitions({ partitions: 0 })).toThrow(/invalid partition count/);
  });
});
