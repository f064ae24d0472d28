import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestTopics, testKafka, uniqueName } from '../../../libs/testing/src/infra.js';
import { ConsumersResetError, resetConsumerGroup } from '../src/commands/consumers-reset.command.js';

describe('tasklog consumers reset (real broker)', () => {
  const kafka = testKafka();
  let topics: Awaited<ReturnType<typeof createTestTopics>>;
  let topic: string;
  const groupId = uniqueName('downstream');
  let middle = 0;

  async function consumeAll(): Promise<void> {
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 50 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    await new Promise<void>((resolve) => {
      void consumer.run({ eachMessage: async () => void (++seen >= 10 && resolve()) });
    });
    await consumer.disconnect();
  }

  const committed = async () =>
    (await topics.admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions.map((p) => p.offset);

  beforeAll(async () => {
    topics = await createTestTopics(kafka, ['reset'], 1);
    topic = topics.topics[0]!;
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 10; i++) {
      if (i === 5) middle = Date.now();
      await producer.send({ topic, messages: [{ value: `m${i}` }] });
      if (i === 4) await new Promise((r) => setTimeout(r, 20));
    }
    await producer.disconnect();
    await consumeAll();
  });
  afterAll(async () => {
    await topics.drop();
  });

  it('plans without moving anything on --dry-run', async () => {
    const plan = await resetConsumerGroup(topics.admin, groupId, { kind: 'earliest' }, { dryRun: true });
    expect(plan).toEqual([{ topic, partition: 0, from: '10', to: '0' }]);
    expect(await committed()).toEqual(['10']);
  });

  it('moves the group to a point in time, then to the earliest offset', async () => {
    await resetConsumerGroup(topics.admin, groupId, { kind: 'time', at: middle });
    expect(await committed()).toEqual(['5']);
    await resetConsumerGroup(topics.admin, groupId, { kind: 'earliest' });
    expect(await committed()).toEqual(['0']);
  });

  it('refuses while the group has live members', async () => {
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 50 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => void (joined = true));
    await consumer.run({ eachMessage: async () => undefined });
    while (!joined) await new Promise((r) => setTimeout(r, 20));
    await expect(resetConsumerGroup(topics.admin, groupId, { kind: 'earliest' })).rejects.toBeInstanceOf(
      ConsumersResetError,
    );
    await consumer.disconnect();
  });
});
