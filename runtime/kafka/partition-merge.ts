import type { OrderStamp } from './ingest-order.js';

interface Entry<T> {
  readonly key: string;
  readonly stamp: OrderStamp | undefined;
  readonly item: T;
  /** A progress marker: it raised its lane's watermark when fetched and goes as soon as it heads its lane. */
  readonly marker: boolean;
}

/** Records released together from one topic's partition, in offset order. */
export interface MergeRun<T> {
  readonly topic: string;
  readonly partition: number;
  readonly items: T[];
}

/** One topic's fetched, unreleased records of a partition, in offset order. */
class Lane<T> {
  private entries: Entry<T>[] = [];
  private start = 0;
  /** No record of this lane published before this one is still to come (the last fetched, or raised after a wait). */
  watermark: OrderStamp | undefined;
  /** The last fetch said the broker has more of this partition than was fetched. */
  behind = false;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  get size(): number {
    return this.entries.length - this.start;
  }

  peek(): Entry<T> | undefined {
    return this.entries[this.start];
  }

  push(entry: Entry<T>): void {
    this.entries.push(entry);
    if (entry.stamp !== undefined) this.watermark = entry.stamp;
  }

  shift(): Entry<T> {
    const entry = this.entries[this.start++] as Entry<T>;
    if (this.start === this.entries.length) [this.entries, this.start] = [[], 0];
    else if (this.start > 1024 && this.start * 2 > this.entries.length) [this.entries, this.start] = [this.entries.slice(this.start), 0];
    return entry;
  }
}

/**
 * The partitions merged together: of one number of a co-partitioned set (a lane per topic), or, in
 * total order, every declared partition of a set.
 */
interface Partition<T> {
  readonly lanes: Lane<T>[];
  /**
   * Since when (ms, and fetches) no head can go: some lane is empty and may still bring an earlier
   * record (`order`), or the earliest head waits on the gate (`gate`).
   */
  blocked: { readonly since: number; readonly fetches: ReadonlyMap<number, number>; readonly on: 'order' | 'gate' } | undefined;
}

export interface PartitionMergeOptions<T> {
  /**
   * One merge of every partition of a set, in their publisher's total order (its `g`), not one per
   * partition number, and no head goes for being its key's next: a record goes once every lane has
   * fetched, or been marked, past it. Lanes are the partitions declared (declare()), so a partition
   * that has fetched nothing yet is waited for.
   */
  readonly total?: boolean | undefined;
  /**
   * In total order: the earliest record may go only once this holds of it (trade: once the
   * predictions due before a book are in). After `gateWaitMs` (and two fetches from every broker)
   * it goes anyway, and so does every record after it until reopenGate() (its condition moved).
   */
  readonly gate?: ((item: T) => boolean) | undefined;
  readonly gateWaitMs?: number | undefined;
  /** True while what the gate waits for is known to be on the broker, not read yet: its wait does not run out then. */
  readonly gateBehind?: (() => boolean) | undefined;
}

/** Publish order of two stamps. */
const before = (a: OrderStamp, b: OrderStamp): boolean => a.epoch < b.epoch || (a.epoch === b.epoch && a.g < b.g);

/**
 * Puts the records of co-partitioned topics (CO_PARTITIONED) back in their publisher's order, key by
 * key, as a consumer fetches them, partition number by partition number (each topic's partition is
 * a lane, read in offset order). A lane's head goes:
 * - when it is its key's next record (its `n` follows the last released of the key), or behind that
 *   (its place was given up), or unstamped;
 * - else when it is the earliest published head and every empty lane has already fetched a record
 *   published after it (a lane is in publish order, so nothing earlier can come there): a key's
 *   first records after an assignment, whose predecessors were never fetched (e.g. past retention);
 * - else, when an empty lane may still bring an earlier record, after a wait of `idleMs` and two
 *   fetches from every broker that is fetching (the second fetch started after the wait began has
 *   brought whatever the broker had then), unless an empty lane's last fetch said the broker has
 *   more of it: the empty lanes count as caught up with everything fetched, the earliest head goes,
 *   and the wait is counted (a gap: a record lost by a publisher that died, a publisher that
 *   restarted with a new epoch, or a key's first record while the other topic is quiet).
 * A key's next record is known within one epoch: a record of another epoch (a restarted publisher,
 * or two at once) is placed by the other rules. With one publisher, every lane is a subsequence of
 * one publish order, so a head never waits on a record behind another lane's head that waits on it.
 * In total order (PartitionMergeOptions.total), every declared partition of a set is one merge, and
 * only the earliest head goes, once no lane can bring an earlier record (and the gate, if any, lets it).
 */
export class PartitionMerge<T> {
  private readonly laneOf = new Map<string, { set: number; lane: number }>();
  private readonly partitions = new Map<string, Partition<T>>();
  /** Per key: its next record's epoch and number. */
  private readonly next = new Map<string, { epoch: number; n: number }>();
  /** Fetches started per broker, and when the last one started (a broker gone from the cluster stops fetching). */
  private readonly fetches = new Map<number, { count: number; at: number }>();
  private waits = 0;
  private lastLane: Lane<T> | undefined;
  /** In total order: the partitions to merge, per topic. */
  private declared = new Map<string, readonly number[]>();
  /** The gate's wait ran out: records go without it until reopenGate(). */
  private gateOpen = false;

  constructor(
    /** Kafka topic names per co-partitioned set. */
    private readonly sets: readonly (readonly string[])[],
    private readonly idleMs: number,
    private readonly now: () => number = Date.now,
    private readonly opts: PartitionMergeOptions<T> = {},
  ) {
    sets.forEach((topics, set) => topics.forEach((topic, lane) => this.laneOf.set(topic, { set, lane })));
  }

  /** In total order: the partitions of each topic to merge (an assignment's), from the next clear() on. */
  declare(partitions: ReadonlyMap<string, readonly number[]>): void {
    this.declared = new Map([...partitions].filter(([topic]) => this.laneOf.has(topic)));
  }

  /** The gate's condition moved: records wait on it again. */
  reopenGate(): void {
    this.gateOpen = false;
  }

  /** True when records of this (Kafka) topic go through the merge. */
  merges(topic: string): boolean {
    return this.laneOf.has(topic);
  }

  /** A fetched record (or progress marker) of a merged topic's partition, in offset order. */
  add(topic: string, partition: number, key: string, stamp: OrderStamp | undefined, item: T, marker = false): void {
    let lane = this.lastLane;
    // A fetched batch adds its records to one lane in a row.
    if (lane === undefined || lane.topic !== topic || lane.partition !== partition) this.lastLane = lane = this.lane(topic, partition);
    lane.push({ key, stamp, item, marker });
  }

  /** The consumer started a fetch from a broker (with its partitions fetching: not while paused). */
  fetched(broker: number): void {
    const seen = this.fetches.get(broker);
    if (seen === undefined) this.fetches.set(broker, { count: 1, at: this.now() });
    else [seen.count, seen.at] = [seen.count + 1, this.now()];
  }

  /** What the last fetch of a topic's partition said: whether the broker has records after those fetched. */
  brokerHasMore(topic: string, partition: number, more: boolean): void {
    this.lane(topic, partition).behind = more;
  }

  /** Records fetched and not yet released, over every partition. */
  get size(): number {
    let size = 0;
    for (const p of this.partitions.values()) for (const lane of p.lanes) size += lane.size;
    return size;
  }

  /** Records of a topic's partition fetched and not yet released. */
  buffered(topic: string, partition: number): number {
    return this.lane(topic, partition).size;
  }

  /** True when a waiting partition may skip its gap now (release() would give more). */
  get overdue(): boolean {
    for (const p of this.partitions.values()) if (p.blocked !== undefined && this.waitedOut(p.blocked)) return true;
    return false;
  }

  /** Every record due now, in order within each partition number, in runs of one topic's partition. */
  release(): MergeRun<T>[] {
    const out: MergeRun<T>[] = [];
    for (const p of this.partitions.values()) this.releasePartition(p, out);
    return out;
  }

  /** Waits given up since the last call (each released records without knowing that none came before them). */
  takeWaits(): number {
    const waits = this.waits;
    this.waits = 0;
    return waits;
  }

  /** Forgets every record and order (a new assignment re-reads its partitions from where the operators are). */
  clear(): void {
    this.partitions.clear();
    this.next.clear();
    this.lastLane = undefined;
    // What the gate waits for is read again too.
    this.gateOpen = false;
    if (this.opts.total === true) for (const [topic, partitions] of this.declared) for (const partition of partitions) this.lane(topic, partition);
  }

  private lane(topic: string, partition: number): Lane<T> {
    const at = this.laneOf.get(topic);
    if (at === undefined) throw new Error(`partition merge: ${topic} is not co-partitioned`);
    const total = this.opts.total === true;
    const id = total ? `${at.set}` : `${at.set}:${partition}`;
    let p = this.partitions.get(id);
    if (p === undefined) {
      p = { lanes: total ? [] : (this.sets[at.set] ?? []).map((t) => new Lane<T>(t, partition)), blocked: undefined };
      this.partitions.set(id, p);
    }
    if (!total) return p.lanes[at.lane] as Lane<T>;
    let lane = p.lanes.find((l) => l.topic === topic && l.partition === partition);
    if (lane === undefined) p.lanes.push((lane = new Lane<T>(topic, partition)));
    return lane;
  }

  private waitedOut(blocked: NonNullable<Partition<T>['blocked']>): boolean {
    if (this.now() - blocked.since < (blocked.on === 'gate' ? (this.opts.gateWaitMs ?? this.idleMs) : this.idleMs)) return false;
    // A broker that has not fetched for ten waits is no longer fetching (it left the cluster's metadata).
    const fetching = [...this.fetches].filter(([, seen]) => this.now() - seen.at <= 10 * this.idleMs);
    return fetching.length > 0 && fetching.every(([broker, seen]) => seen.count - (blocked.fetches.get(broker) ?? 0) >= 2);
  }

  private due(entry: Entry<T>): boolean {
    const { stamp } = entry;
    if (stamp === undefined || entry.marker) return true;
    if (this.opts.total === true) return false;
    const next = this.next.get(entry.key);
    return next !== undefined && stamp.epoch === next.epoch && stamp.n <= next.n;
  }

  /** The lane whose head goes now, or what the earliest head waits on (see the class comment). */
  private ready(p: Partition<T>): Lane<T> | 'order' | 'gate' | undefined {
    for (const lane of p.lanes) {
      const head = lane.peek();
      if (head !== undefined && this.due(head)) return lane;
    }
    const earliest = this.earliest(p);
    if (earliest === undefined) return undefined;
    const head = earliest.peek() as Entry<T>;
    const stamp = head.stamp as OrderStamp;
    if (!p.lanes.every((lane) => lane.size > 0 || (lane.watermark !== undefined && !before(lane.watermark, stamp)))) return 'order';
    return this.opts.gate === undefined || this.gateOpen || this.opts.gate(head.item) ? earliest : 'gate';
  }

  /** The lane whose head was published first (heads that are not due all have stamps). */
  private earliest(p: Partition<T>): Lane<T> | undefined {
    let earliest: Lane<T> | undefined;
    let earliestStamp: OrderStamp | undefined;
    for (const lane of p.lanes) {
      const stamp = lane.peek()?.stamp;
      if (stamp !== undefined && (earliestStamp === undefined || before(stamp, earliestStamp))) [earliest, earliestStamp] = [lane, stamp];
    }
    return earliest;
  }

  private blockedSince(on: 'order' | 'gate'): NonNullable<Partition<T>['blocked']> {
    return { since: this.now(), fetches: new Map([...this.fetches].map(([broker, seen]) => [broker, seen.count])), on };
  }

  private releasePartition(p: Partition<T>, out: MergeRun<T>[]): void {
    let run: MergeRun<T> | undefined;
    for (;;) {
      let lane = this.ready(p);
      if (lane === 'gate') {
        if (p.blocked?.on !== 'gate') p.blocked = this.blockedSince('gate');
        if (!this.waitedOut(p.blocked) || this.opts.gateBehind?.() === true) return;
        // Waited out: what the gate waits for is not coming soon; records go without it until it moves.
        this.gateOpen = true;
        this.waits++;
        lane = this.earliest(p);
      } else if (lane === 'order' || (lane === undefined && p.lanes.some((l) => l.size > 0))) {
        if (p.blocked?.on !== 'order') p.blocked = this.blockedSince('order');
        if (!this.waitedOut(p.blocked) || p.lanes.some((l) => l.size === 0 && l.behind)) return;
        // Waited out: the empty lanes have nothing published before what the others fetched.
        const latest = p.lanes.reduce<OrderStamp | undefined>((w, l) => (l.watermark !== undefined && (w === undefined || before(w, l.watermark)) ? l.watermark : w), undefined);
        for (const l of p.lanes) if (l.size === 0) l.watermark = latest;
        this.waits++;
        const after = this.ready(p);
        // Ordered now; a gate still waits (from now).
        if (after === 'gate') continue;
        lane = typeof after === 'object' ? after : this.earliest(p);
      }
      p.blocked = undefined;
      if (lane === undefined) return;
      const { key, stamp, item, marker } = lane.shift();
      if (stamp !== undefined && !marker) {
        // The key's numbering is its latest epoch's (a record behind within the epoch leaves it).
        const next = this.next.get(key);
        if (next === undefined) this.next.set(key, { epoch: stamp.epoch, n: stamp.n + 1 });
        else if (stamp.epoch !== next.epoch || stamp.n >= next.n) [next.epoch, next.n] = [stamp.epoch, stamp.n + 1];
      }
      if (run === undefined || run.topic !== lane.topic || run.partition !== lane.partition) out.push((run = { topic: lane.topic, partition: lane.partition, items: [] }));
      run.items.push(item);
    }
  }
}
