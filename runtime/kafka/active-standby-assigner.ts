import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';

const ACTIVE = 'active';

/**
 * A group assignment for pipelines whose state cannot be split (trade: one account's portfolio and
 * risk limits): every partition goes to one member, the others stand by with none, ready to take
 * over when it leaves or dies (their state is rebuilt on that assignment). Sticky: each member says
 * in its join metadata whether it is the active one (its last assignment named topics), and that
 * one keeps everything, so a standby that joins takes nothing over; with no active member, the
 * first by id becomes it.
 */
export function activeStandbyAssigner(isActive: () => boolean): PartitionAssigner {
  return ({ cluster }) => ({
    name: 'PolyflowActiveStandby',
    version: 0,
    async assign({ members, topics }) {
      const byId = [...members].sort((a, b) => a.memberId.localeCompare(b.memberId));
      const active = byId.find((m) => AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.userData.toString() === ACTIVE) ?? byId[0];
      const everything = Object.fromEntries(topics.map((topic) => [topic, cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId)]));
      return members.map((m) => ({
        memberId: m.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: m.memberId === active?.memberId ? everything : {}, userData: Buffer.alloc(0) }),
      }));
    },
    protocol({ topics }) {
      return {
        name: 'PolyflowActiveStandby',
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.from(isActive() ? ACTIVE : 'standby') }),
      };
    },
  });
}
