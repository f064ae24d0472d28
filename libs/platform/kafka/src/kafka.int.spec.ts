import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestTopics, testKafka, uniqueName } from '../../../testing/src/infra.js';
import type kafkajs from 'kafkajs';

// Smoke tests of the real broker: the guarantees the write side builds on.
describe('Kafka broker (real, local)', () => {
  const kafka = testKafka();
  let topics: Awaited<ReturnType<typeof createTestTopics>>;

  beforeAll(async () => {
    topics = await createTestTopics(kafka, ['smoke', 'tx'], 1);
  });
  afterAll(async () => {
    await topics.drop();
  });

  async function readAll(topic: string, expected: number, readUncommitted = false): Promise<string[]> {
    const consumer = kafka.consumer({ groupId: uniqueName('smoke'), readUncommitted, maxWaitTimeInMs: 100 });
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 8000);
      void consumer.run({
        eachMessage: async ({ message }: kafkajs.EachMessagePayload) => {
          seen.push(message.value?.toString() ?? '');
          if (seen.length >= expected) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    return seen;
  }

  it('produces with an idempotent producer and consumes the records back in order', async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const values = Array.from({ length: 50 }, (_, i) => `m-${i}`);
    await producer.send({ topic: topics.topics[0]!, acks: -1, messages: values.map((value) => ({ key: 'k', value })) });
    await producer.disconnect();

    expect(await readAll(topics.topics[0]!, values.length)).toEqual(values);
  });

  it('leaves an idle connection asleep: no timer re-armed after the last answer (ADR 0054)', async () => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic: topics.topics[0]!, acks: -1, messages: [{ key: 'k', value: 'idle' }] });
    const original = globalThis.setTimeout;
    let armed = 0;
    const counting = ((...args: Parameters<typeof setTimeout>) => {
      armed++;
      return original(...args);
    }) as typeof setTimeout;
    globalThis.setTimeout = counting;
    try {
      await new Promise((resolve) => original(resolve, 300));
    } finally {
      globalThis.setTimeout = original;
      await producer.disconnect();
    }
    // Unpatched kafkajs 2.2.4 armed 528 here (a 1 ms timer per connection, forever).
    expect(armed).toBeLessThan(5);
  });

  it('shows a read_committed consumer only the committed transaction', async () => {
    const topic = topics.topics[1]!;
    const producer = kafka.producer({
      transactionalId: uniqueName('smoke-tx'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ key: 'k', value: 'aborted' }] });
    await aborted.abort();
    const committed = await producer.transaction();
    await committed.send({ topic, messages: [{ key: 'k', value: 'committed' }] });
    await committed.commit();
    await producer.disconnect();

    expect(await readAll(topic, 1)).toEqual(['committed']);
    // The aborted record is in the log: an uncommitted reader does see it.
    expect(await readAll(topic, 2, true)).toEqual(['aborted', 'committed']);
  });
});
