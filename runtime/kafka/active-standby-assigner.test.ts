import type { Cluster, GroupMember } from 'kafkajs';
import { AssignerProtocol } from './kafkajs.js';
import { describe, expect, it } from 'vitest';
import { activeStandbyAssigner } from './active-standby-assigner.js';

const cluster = {
  findTopicPartitionMetadata: (topic: string) => Array.from({ length: topic === 'a' ? 4 : 2 }, (_, partitionId) => ({ partitionId })),
} as unknown as Cluster;

const metadata = (userData: string): Buffer => AssignerProtocol.MemberMetadata.encode({ version: 0, topics: ['a', 'b'], userData: Buffer.from(userData) });

/** A member as it joins: active since `since` (ms), or a standby. */
const member = (memberId: string, since?: number): GroupMember => ({
  memberId,
  memberMetadata: activeStandbyAssigner(() => since)({ cluster, groupId: 'g', logger: undefined as never }).protocol({ topics: ['a', 'b'] }).metadata,
});

async function assign(members: GroupMember[]): Promise<Record<string, Record<string, number[]>>> {
  const assigner = activeStandbyAssigner(() => undefined)({ cluster, groupId: 'g', logger: undefined as never });
  const result = await assigner.assign({ members, topics: ['a', 'b'] });
  return Object.fromEntries(result.map((r) => [r.memberId, AssignerProtocol.MemberAssignment.decode(r.memberAssignment)?.assignment ?? {}]));
}

const ALL = { a: [0, 1, 2, 3], b: [0, 1] };

describe('activeStandbyAssigner', () => {
  it('gives every partition of every topic to the active member, and nothing to a standby that joins', async () => {
    expect(await assign([member('m-1'), member('m-2', 1_000)])).toEqual({ 'm-1': {}, 'm-2': ALL });
  });

  it('with no active member, gives them all to the first by id', async () => {
    expect(await assign([member('m-9'), member('m-3')])).toEqual({ 'm-3': ALL, 'm-9': {} });
  });

  it('gives them to a lone member', async () => {
    expect(await assign([member('m-1')])).toEqual({ 'm-1': ALL });
  });

  it('keeps them with the member that took over when one the group had given up on comes back still claiming', async () => {
    // m-1 was active since 1,000, timed out; m-2 took over at 5,000; m-1 rejoins with its old claim.
    expect(await assign([member('m-1', 1_000), member('m-2', 5_000)])).toEqual({ 'm-1': {}, 'm-2': ALL });
  });

  it('reads the untimed claim of the first version as older than any timed one, and ignores a malformed one', async () => {
    expect(await assign([{ memberId: 'm-1', memberMetadata: metadata('active') }, member('m-2', 5)])).toEqual({ 'm-1': {}, 'm-2': ALL });
    expect(await assign([{ memberId: 'm-1', memberMetadata: metadata('active') }, member('m-2')])).toEqual({ 'm-1': ALL, 'm-2': {} });
    expect(await assign([member('m-1'), { memberId: 'm-2', memberMetadata: metadata('active:soon') }])).toEqual({ 'm-1': ALL, 'm-2': {} });
  });
});
