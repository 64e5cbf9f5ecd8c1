import { partitionKey } from './commit-marks.js';
import type { RebuildPlan } from './rebuild-plan.js';

/**
 * Where a member's operators are in each partition of its assignment (the next offset they have
 * not seen), and up to which offset a partition only rebuilds state (the records below it were
 * committed: their outputs went out before the assignment). Keys are `topic:partition`, by the
 * topics' broker names.
 */
export class PartitionPositions {
  private keys: readonly string[] = [];
  private readonly next = new Map<string, bigint>();
  private until = new Map<string, bigint>();

  /** The partitions of the assignment being rebuilt or consumed (empty before the first rebuild). */
  get assigned(): readonly string[] {
    return this.keys;
  }

  /** The next offset of a partition that the operators have not seen; undefined before they saw any. */
  of(kafkaTopic: string, partition: number): bigint | undefined {
    return this.next.get(partitionKey(kafkaTopic, partition));
  }

  /** The operators have seen a partition up to `last` (an offset). */
  passed(kafkaTopic: string, partition: number, last: string): void {
    this.next.set(partitionKey(kafkaTopic, partition), BigInt(last) + 1n);
  }

  /** Records of a partition below this offset only rebuild state; undefined when none do. */
  rebuildBound(kafkaTopic: string, partition: number): bigint | undefined {
    return this.until.get(partitionKey(kafkaTopic, partition));
  }

  /**
   * True when the assignment has partitions of `kafkaTopics` and every one is still below its rebuild
   * bound; the partition `key` counts as at `next` (its record is being handled).
   */
  allRebuilding(kafkaTopics: ReadonlySet<string>, key: string, next: bigint): boolean {
    const keys = this.keys.filter((k) => kafkaTopics.has(k.slice(0, k.lastIndexOf(':'))));
    return (
      keys.length > 0 &&
      keys.every((k) => {
        const bound = this.until.get(k);
        const at = k === key ? next : this.next.get(k);
        return bound !== undefined && at !== undefined && at < bound;
      })
    );
  }

  /** A new assignment is rebuilt as planned: its partitions are read from the plan's seeks. */
  rebuild(plan: Pick<RebuildPlan, 'seeks' | 'until'>): void {
    this.until = plan.until;
    this.keys = plan.seeks.map((s) => partitionKey(s.topic, s.partition));
    this.next.clear();
    for (const seek of plan.seeks) this.next.set(partitionKey(seek.topic, seek.partition), BigInt(seek.offset));
  }

  /** The consumer goes on from the group's committed offsets (no rebuild): where the operators are is not known. */
  forget(): void {
    this.next.clear();
  }

  /**
   * The seeks that resume `assignment` where the operators are, when it is the assignment they hold
   * and they have a position in each of its partitions; undefined otherwise (it must be rebuilt).
   */
  resumeSeeks(assignment: readonly { topic: string; partition: number }[]): { topic: string; partition: number; offset: string }[] | undefined {
    if (assignment.length === 0 || assignment.length !== this.keys.length) return undefined;
    const seeks: { topic: string; partition: number; offset: string }[] = [];
    for (const { topic, partition } of assignment) {
      const at = this.of(topic, partition);
      if (at === undefined || !this.keys.includes(partitionKey(topic, partition))) return undefined;
      seeks.push({ topic, partition, offset: at.toString() });
    }
    return seeks;
  }

  /** Each partition's next offset, for a checkpoint. */
  snapshot(): Map<string, bigint> {
    return new Map(this.next);
  }
}
