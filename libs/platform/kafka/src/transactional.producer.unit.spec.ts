import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import { compatibilityPartitioner } from '@platformatic/kafka';

// Records the transactional producer sends without a partition (dead letters)
// must land where kafkajs and the API put the same key.
describe('transactional producer partitioning', () => {
  it('maps keys to the partitions kafkajs’ default partitioner picks', () => {
    const kafkajsPartition = kafkajs.Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: 12 }, (_, i) => ({
      partitionId: i,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));
    for (let i = 0; i < 500; i++) {
      const key = randomUUID();
      const expected = kafkajsPartition({ topic: 't', partitionMetadata, message: { key, value: null } });
      const raw = compatibilityPartitioner({ topic: 't' }, Buffer.from(key));
      expect(raw % 12).toBe(expected);
    }
  });
});
