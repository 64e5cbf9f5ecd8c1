import type { PartitionAssigner } from 'kafkajs';
import { AssignerProtocol } from './kafkajs.js';

const NAME = 'PolyflowCoPartitioned';

/**
 * A group assignment that keeps co-partitioned topics together: partition number p of every
 * subscribed topic goes to one member (the (p mod members)-th by id), as Kafka Streams assigns a
 * task. kafkajs's round robin walks the topics' partitions in one sequence, so with a member count
 * that does not divide the partition count, pm.book's partition 0 and pm.trade's partition 0 land
 * on different members, and a features member would see an asset's books without its trades.
 */
export const coPartitionedAssigner: PartitionAssigner = ({ cluster }) => ({
  name: NAME,
  version: 0,
  async assign({ members, topics }) {
    const byId = members.map((m) => m.memberId).sort();
    const assignment = new Map<string, Record<string, number[]>>(byId.map((id) => [id, {}]));
    for (const topic of topics) {
      for (const { partitionId } of cluster.findTopicPartitionMetadata(topic)) {
        const member = assignment.get(byId[partitionId % byId.length] as string) as Record<string, number[]>;
        (member[topic] ??= []).push(partitionId);
      }
    }
    return byId.map((memberId) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: assignment.get(memberId) ?? {}, userData: Buffer.alloc(0) }),
    }));
  },
  protocol({ topics }) {
    return { name: NAME, metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
  },
});
