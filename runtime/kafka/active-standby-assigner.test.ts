import { AssignerProtocol, type Cluster, type GroupMember } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { activeStandbyAssigner } from './active-standby-assigner.js';

const cluster = {
  findTopicPartitionMetadata: (topic: string) => Array.from({ length: topic === 'a' ? 4 : 2 }, (_, partitionId) => ({ partitionId })),
} as unknown as Cluster;

const member = (memberId: string, active: boolean): GroupMember => ({
  memberId,
  memberMetadata: activeStandbyAssigner(() => active)({ cluster, groupId: 'g', logger: undefined as never }).protocol({ topics: ['a', 'b'] }).metadata,
});

async function assign(members: GroupMember[]): Promise<Record<string, Record<string, number[]>>> {
  const assigner = activeStandbyAssigner(() => false)({ cluster, groupId: 'g', logger: undefined as never });
  const result = await assigner.assign({ members, topics: ['a', 'b'] });
  return Object.fromEntries(result.map((r) => [r.memberId, AssignerProtocol.MemberAssignment.decode(r.memberAssignment)?.assignment ?? {}]));
}

describe('activeStandbyAssigner', () => {
  it('gives every partition of every topic to the active member, and nothing to a standby that joins', async () => {
    expect(await assign([member('m-1', false), member('m-2', true)])).toEqual({ 'm-1': {}, 'm-2': { a: [0, 1, 2, 3], b: [0, 1] } });
  });

  it('with no active member, gives them all to the first by id', async () => {
    expect(await assign([member('m-9', false), member('m-3', false)])).toEqual({ 'm-3': { a: [0, 1, 2, 3], b: [0, 1] }, 'm-9': {} });
  });

  it('gives them to a lone member', async () => {
    expect(await assign([member('m-1', false)])).toEqual({ 'm-1': { a: [0, 1, 2, 3], b: [0, 1] } });
  });
});
