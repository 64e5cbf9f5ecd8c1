import type { Cluster, GroupMember } from 'kafkajs';
import { AssignerProtocol, PartitionAssigners } from './kafkajs.js';
import { describe, expect, it } from 'vitest';
import { coPartitionedAssigner } from './co-partitioned-assigner.js';

const cluster = {
  findTopicPartitionMetadata: () => Array.from({ length: 4 }, (_, partitionId) => ({ partitionId, leader: 0 })),
} as unknown as Cluster;

const members = (n: number): GroupMember[] => Array.from({ length: n }, (_, i) => ({ memberId: `m-${i}`, memberMetadata: Buffer.alloc(0) }));

async function assign(assigner: typeof coPartitionedAssigner, n: number): Promise<Record<string, Record<string, number[]>>> {
  const result = await assigner({ cluster, groupId: 'g', logger: undefined as never }).assign({ members: members(n), topics: ['pm.book', 'pm.trade'] });
  return Object.fromEntries(result.map((r) => [r.memberId, AssignerProtocol.MemberAssignment.decode(r.memberAssignment)?.assignment ?? {}]));
}

describe('coPartitionedAssigner', () => {
  it('gives each partition number of every topic to one member, whatever the member count', async () => {
    expect(await assign(coPartitionedAssigner, 3)).toEqual({
      'm-0': { 'pm.book': [0, 3], 'pm.trade': [0, 3] },
      'm-1': { 'pm.book': [1], 'pm.trade': [1] },
      'm-2': { 'pm.book': [2], 'pm.trade': [2] },
    });
    expect(await assign(coPartitionedAssigner, 1)).toEqual({ 'm-0': { 'pm.book': [0, 1, 2, 3], 'pm.trade': [0, 1, 2, 3] } });
    // More members than partitions: the rest get nothing and stand by.
    expect((await assign(coPartitionedAssigner, 5))['m-4']).toEqual({});
  });

  it("where kafkajs's round robin splits them (three members, four partitions)", async () => {
    const roundRobin = await assign(PartitionAssigners.roundRobin, 3);
    expect(roundRobin['m-0']?.['pm.book']).not.toEqual(roundRobin['m-0']?.['pm.trade']);
  });
});
