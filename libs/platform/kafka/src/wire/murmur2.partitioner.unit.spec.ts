import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import kafkajs from 'kafkajs';
import { partitionForKey } from './murmur2.partitioner.js';

// Records the transactional producer sends without a partition (dead letters)
// must land where kafkajs and the API put the same key.
describe('murmur2 partitioner', () => {
  it('maps keys to the partitions kafkajs’ default partitioner picks', () => {
    const kafkajsPartition = kafkajs.Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: 12 }, (_, i) => ({
      partitionId: i,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));
    // Every tail length (0–3 bytes past the last whole word), and non-ASCII keys.
    const keys = [
      ...Array.from({ length: 400 }, () => randomUUID()),
      ...Array.from({ length: 40 }, (_, i) => 'k'.repeat(i)),
      'tâche-é',
      '任务',
    ];
    for (const key of keys) {
      const expected = kafkajsPartition({ topic: 't', partitionMetadata, message: { key, value: null } });
      expect(partitionForKey(key, 12)).toBe(expected);
    }
  });
});
