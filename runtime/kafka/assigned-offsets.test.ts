import { describe, expect, it } from 'vitest';
import { assignedOffsets, type OffsetsAdmin } from './assigned-offsets.js';

describe('assignedOffsets', () => {
  it("gives each assigned partition's retained range and commit (-1: none), and lists those the metadata does not", async () => {
    const reads: string[] = [];
    const admin = {
      fetchOffsets: ({ groupId, topics }: { groupId: string; topics: string[] }) => {
        reads.push(`commits ${groupId} ${topics.join(',')}`);
        return Promise.resolve([{ topic: 'p.pm.book', partitions: [{ partition: 0, offset: '7' }, { partition: 1, offset: '-1' }] }]);
      },
      fetchTopicOffsets: (topic: string) => {
        reads.push(`offsets ${topic}`);
        return Promise.resolve(
          topic === 'p.pm.book'
            ? [
                { partition: 0, low: '2', high: '10', offset: '10' },
                { partition: 1, low: '0', high: '4', offset: '4' },
              ]
            : [{ partition: 0, low: '0', high: '3', offset: '3' }],
        );
      },
    } as unknown as OffsetsAdmin;
    const { offsets, missing } = await assignedOffsets(admin, 'g', { 'p.pm.book': [0, 1], 'p.pm.trade': [0, 2], 'p.other': [0] }, ['p.pm.book', 'p.pm.trade']);
    expect(offsets).toEqual([
      { topic: 'p.pm.book', partition: 0, low: 2n, high: 10n, commit: 7n },
      { topic: 'p.pm.book', partition: 1, low: 0n, high: 4n, commit: -1n },
      { topic: 'p.pm.trade', partition: 0, low: 0n, high: 3n, commit: -1n },
    ]);
    expect(missing).toEqual([{ topic: 'p.pm.trade', partition: 2 }]);
    // One read of the group's commits, then each asked topic's offsets (not the topic it was not asked for).
    expect(reads).toEqual(['commits g p.pm.book,p.pm.trade', 'offsets p.pm.book', 'offsets p.pm.trade']);
  });
});
