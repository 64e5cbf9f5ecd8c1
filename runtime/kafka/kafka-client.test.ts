import type { PartitionerArgs } from 'kafkajs';
import { Partitioners } from './kafkajs.js';
import { describe, expect, it } from 'vitest';
import { cachedKeyPartitioner } from './kafka-client.js';

const metadata = (n: number): PartitionerArgs['partitionMetadata'] =>
  Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));

describe('cachedKeyPartitioner', () => {
  it('puts every key where the default (Java murmur2) partitioner does, for each partition count, also from its cache', () => {
    const cached = cachedKeyPartitioner();
    const reference = Partitioners.DefaultPartitioner();
    const keys = Array.from({ length: 300 }, (_, i) => `${i * 7919}${'9'.repeat(i % 60)}`);
    const seen = new Set<number>();
    for (const n of [1, 4, 12]) {
      for (const pass of [0, 1]) {
        for (const key of keys) {
          const args = { topic: pass === 0 ? 'pm.book' : 'features.v1', partitionMetadata: metadata(n), message: { key, value: null } };
          const partition = cached(args);
          expect(partition).toBe(reference(args));
          seen.add(partition);
        }
      }
    }
    expect(seen.size).toBe(12);
  });

  it('keeps an explicit partition', () => {
    expect(cachedKeyPartitioner()({ topic: 't', partitionMetadata: metadata(4), message: { key: 'a', value: null, partition: 3 } })).toBe(3);
  });
});
