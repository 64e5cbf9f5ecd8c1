import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OrderStamps, orderStampOf, type OrderStamp } from './ingest-order.js';
import { PartitionMerge, type PartitionMergeOptions } from './partition-merge.js';

/** A book of asset `key` on `partition`, or (key '') a progress marker there. */
interface Book {
  readonly partition: number;
  readonly key: string;
  readonly stamp: OrderStamp;
  /** Its place in the publish order (markers: -1). */
  readonly at: number;
  readonly time: number;
}

const PARTITIONS = 3;
const partitionOf = (key: string): number => key.charCodeAt(0) % PARTITIONS;

/** What ingest writes to pm.book: each book stamped in publish order, received 10 ms apart. */
function publish(keys: readonly string[], stamps = new OrderStamps(1000)): Book[] {
  return keys.map((key, at) => ({ partition: partitionOf(key), key, at, time: at * 10, stamp: orderStampOf({ 'polyflow-order': stamps.next('pm.book', key) }) as OrderStamp }));
}

/** ingest's progress markers after those books: one per partition, stamped as its last record. */
const markers = (stamps: OrderStamps): Book[] =>
  Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, key: '', at: -1, time: -1, stamp: orderStampOf({ 'polyflow-order': stamps.marker() }) as OrderStamp }));

function totalMerge(opts: PartitionMergeOptions<Book> = {}, idleMs = 500) {
  const clock = { now: 0 };
  const merge = new PartitionMerge<Book>([['pm.book']], idleMs, () => clock.now, { total: true, ...opts });
  merge.declare(new Map([['pm.book', Array.from({ length: PARTITIONS }, (_, p) => p)]]));
  merge.clear();
  return { merge, clock };
}

const add = (merge: PartitionMerge<Book>, b: Book): void => merge.add('pm.book', b.partition, b.key, b.stamp, b, b.at < 0);
/** What release() gives, run after run: a run is one partition's records (the bus commits each run's offsets on its partition). */
const released = (merge: PartitionMerge<Book>): Book[] =>
  merge.release().flatMap((run) => {
    for (const b of run.items) expect(b.partition).toBe(run.partition);
    return run.items.filter((b) => b.at >= 0);
  });

describe('PartitionMerge in total order', () => {
  it('gives the books of every partition in publish order: none before every partition has fetched or been marked past it', () => {
    const { merge } = totalMerge();
    const stamps = new OrderStamps(1000);
    // a -> partition 1, b -> 2, c -> 0.
    const [a1, b1, a2] = publish(['a', 'b', 'a'], stamps) as [Book, Book, Book];
    add(merge, a1);
    add(merge, a2);
    add(merge, b1);
    // Partition 0 has fetched nothing: it may still bring a book published before a1.
    expect(released(merge)).toEqual([]);
    for (const m of markers(stamps)) add(merge, m);
    // a2 is a's next book, but b1 was published before it.
    expect(released(merge)).toEqual([a1, b1, a2]);
  });

  it('waits for an empty partition that a marker has not passed, and gives up on it after the wait', () => {
    const { merge, clock } = totalMerge();
    const [c1, a1] = publish(['c', 'a']) as [Book, Book];
    add(merge, a1);
    add(merge, c1);
    // Partition 2 has fetched nothing.
    expect(released(merge)).toEqual([]);
    const waitOut = (): Book[] => {
      clock.now += 600;
      merge.fetched(1);
      merge.fetched(1);
      return released(merge);
    };
    expect(waitOut()).toEqual([c1]);
    // Partition 0, empty now, may still bring a book published between c1 and a1.
    expect(released(merge)).toEqual([]);
    expect(waitOut()).toEqual([a1]);
    expect(merge.takeWaits()).toBe(2);
  });

  it('gives publish order however the partitions are fetched', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { minLength: 1, maxLength: 80 }), fc.array(fc.tuple(fc.nat(PARTITIONS - 1), fc.integer({ min: 1, max: 6 })), { maxLength: 60 }), (keys, fetches) => {
        const stamps = new OrderStamps(1000);
        const books = publish(keys, stamps);
        const lanes = Array.from({ length: PARTITIONS }, (_, p) => [...books.filter((b) => b.partition === p), ...markers(stamps).filter((m) => m.partition === p)]);
        const { merge } = totalMerge();
        const out: Book[] = [];
        for (const [partition, n] of fetches) {
          for (const b of (lanes[partition] as Book[]).splice(0, n)) add(merge, b);
          out.push(...released(merge));
        }
        for (const lane of lanes) for (const b of lane.splice(0)) add(merge, b);
        out.push(...released(merge));
        expect(out.map((b) => b.at)).toEqual(books.map((b) => b.at));
        expect(merge.takeWaits()).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('holds the earliest book while its gate is shut; after the gate wait it and the books after it go, until the gate is reopened', () => {
    const progress = { time: Number.NEGATIVE_INFINITY };
    const { merge, clock } = totalMerge({ gate: (b) => b.time - 1 <= progress.time, gateWaitMs: 5_000 });
    const stamps = new OrderStamps(1000);
    const [b0, b1, b2, b3] = publish(['a', 'b', 'c', 'a'], stamps) as [Book, Book, Book, Book];
    for (const b of [b0, b1, b2, ...markers(stamps)]) add(merge, b);
    expect(released(merge)).toEqual([]);
    progress.time = 9;
    expect(released(merge)).toEqual([b0, b1]);
    // The order wait (500 ms) is not the gate's.
    clock.now = 1_000;
    merge.fetched(1);
    merge.fetched(1);
    expect(merge.overdue).toBe(false);
    expect(released(merge)).toEqual([]);
    clock.now = 5_000;
    merge.fetched(1);
    merge.fetched(1);
    expect(merge.overdue).toBe(true);
    expect(released(merge)).toEqual([b2]);
    expect(merge.takeWaits()).toBe(1);
    merge.reopenGate();
    add(merge, b3);
    add(merge, { ...markers(stamps)[0]!, partition: 0 });
    add(merge, { ...markers(stamps)[2]!, partition: 2 });
    expect(released(merge)).toEqual([]);
    progress.time = 29;
    expect(released(merge)).toEqual([b3]);
  });

  it('does not give up on its gate while what it waits for is on the broker, and shuts it again when cleared', () => {
    const progress = { time: Number.NEGATIVE_INFINITY, behind: true };
    const { merge, clock } = totalMerge({ gate: (b) => b.time - 1 <= progress.time, gateWaitMs: 1_000, gateBehind: () => progress.behind });
    const stamps = new OrderStamps(1000);
    const [b0, b1] = publish(['a', 'b'], stamps) as [Book, Book];
    for (const b of [b0, b1, ...markers(stamps)]) add(merge, b);
    const waitOut = (): Book[] => {
      clock.now += 2_000;
      merge.fetched(1);
      merge.fetched(1);
      return released(merge);
    };
    expect(waitOut()).toEqual([]);
    progress.behind = false;
    expect(waitOut()).toEqual([b0, b1]);
    // A new assignment reads everything again: the gate holds again.
    merge.clear();
    for (const b of [b0, b1, ...markers(stamps)]) add(merge, b);
    expect(released(merge)).toEqual([]);
  });
});
