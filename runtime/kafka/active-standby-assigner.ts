import type { PartitionAssigner } from 'kafkajs';
import { AssignerProtocol } from './kafkajs.js';

const ACTIVE = 'active';

/**
 * A group assignment for pipelines whose state cannot be split (trade: one account's portfolio and
 * risk limits): every partition goes to one member, the others stand by with none, ready to take
 * over when it leaves or dies (their state is rebuilt on that assignment). Sticky: each member says
 * in its join metadata since when it has been the active one (`activeSince()`: ms, or undefined
 * for a standby), and the latest of those keeps everything, so a standby that joins takes nothing
 * over, and a member the group had given up on (a session timeout) that comes back still claiming
 * does not take the partitions back from the one that took over (the times are each host's
 * clock: a skew larger than the gap between two claims can still pick the older one, for one
 * rebalance); with no active member, the first by id becomes it.
 */
export function activeStandbyAssigner(activeSince: () => number | undefined): PartitionAssigner {
  return ({ cluster }) => ({
    name: 'PolyflowActiveStandby',
    version: 0,
    async assign({ members, topics }) {
      const byId = [...members].sort((a, b) => a.memberId.localeCompare(b.memberId));
      let active = byId[0];
      let latest = -Infinity;
      for (const m of byId) {
        const since = claimOf(AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.userData.toString() ?? '');
        if (since !== undefined && since > latest) [active, latest] = [m, since];
      }
      const everything = Object.fromEntries(topics.map((topic) => [topic, cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId)]));
      return members.map((m) => ({
        memberId: m.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: m.memberId === active?.memberId ? everything : {}, userData: Buffer.alloc(0) }),
      }));
    },
    protocol({ topics }) {
      const since = activeSince();
      return {
        name: 'PolyflowActiveStandby',
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.from(since === undefined ? 'standby' : `${ACTIVE}:${since}`) }),
      };
    },
  });
}

/** `active:<ms>` -> ms; the bare `active` of the first version -> 0 (older than any timed claim); a standby -> undefined. */
function claimOf(userData: string): number | undefined {
  if (userData === ACTIVE) return 0;
  if (!userData.startsWith(`${ACTIVE}:`)) return undefined;
  const since = Number(userData.slice(ACTIVE.length + 1));
  return Number.isFinite(since) ? since : undefined;
}
