/** A partition's offset to commit. */
export interface PartitionOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

interface Mark extends PartitionOffset {
  /** Records published when the mark was made: it is due once that many are acknowledged. */
  readonly after: number;
}

/** A partition's key in maps and checkpoints: `topic:partition`. */
export const partitionKey = (topic: string, partition: number): string => `${topic}:${partition}`;

/**
 * The delivery rule (commit an input's offset only once every output published before it is
 * acknowledged) without a broker round trip per batch: a consumed batch leaves a mark with its next
 * offset and the count of records published so far; the mark is due once that many records are
 * acknowledged (acknowledgements come in publish order). Due marks of several batches and
 * partitions are committed together, the latest offset per partition.
 */
export class CommitMarks {
  private marks: Mark[] = [];
  private published = 0;
  private acknowledged = 0;
  /** The partitions of the latest assignment (keepAssigned), when one was given. */
  private assigned: ReadonlySet<string> | undefined;

  /** Records queued for publishing so far. */
  get publishedCount(): number {
    return this.published;
  }

  /** One record queued for publishing. */
  recordPublished(): void {
    this.published++;
  }

  /** The broker acknowledged the next `n` records queued. */
  recordsAcknowledged(n: number): void {
    this.acknowledged += n;
  }

  /** The partition's next offset, due once everything published so far is acknowledged. */
  mark(topic: string, partition: number, offset: string): void {
    this.marks.push({ topic, partition, offset, after: this.published });
  }

  /** The latest due offset of each partition, removed from the marks. */
  takeDue(): PartitionOffset[] {
    const latest = new Map<string, PartitionOffset>();
    let kept = 0;
    for (const mark of this.marks) {
      if (mark.after <= this.acknowledged) latest.set(partitionKey(mark.topic, mark.partition), { topic: mark.topic, partition: mark.partition, offset: mark.offset });
      else this.marks[kept++] = mark;
    }
    this.marks.length = kept;
    return [...latest.values()];
  }

  /**
   * Offsets whose commit was refused: due again, before any later mark of their partition (which
   * supersedes them); not those of partitions another member took meanwhile (a commit refused for a
   * rebalance must not move the new owner's committed offset back).
   */
  retry(offsets: readonly PartitionOffset[]): void {
    const { assigned } = this;
    const kept = assigned === undefined ? offsets : offsets.filter((o) => assigned.has(partitionKey(o.topic, o.partition)));
    this.marks.unshift(...kept.map((o) => ({ ...o, after: 0 })));
  }

  /** Drops the marks of partitions not in `assignment` (Kafka topic -> partitions): their new owner commits them. */
  keepAssigned(assignment: Readonly<Record<string, readonly number[]>>): void {
    const kept = new Set(Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((p) => partitionKey(topic, p))));
    this.assigned = kept;
    this.marks = this.marks.filter((m) => kept.has(partitionKey(m.topic, m.partition)));
  }
}
