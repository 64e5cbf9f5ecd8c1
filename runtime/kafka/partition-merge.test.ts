import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TopicName } from '../../schemas/topics.js';
import { OrderStamps, orderStampOf, type OrderStamp } from './ingest-order.js';
import { PartitionMerge } from './partition-merge.js';

interface Rec {
  readonly topic: 'pm.book' | 'pm.trade';
  readonly key: string;
  readonly stamp: OrderStamp;
  /** Its place in the publish order. */
  readonly at: number;
}

const SETS = [['pm.book', 'pm.trade']];

/** What a publisher writes: each record stamped by OrderStamps, in publish order. */
function publish(records: readonly { topic: 'pm.book' | 'pm.trade'; key: string }[], epoch = 1000, stamps = new OrderStamps(epoch)): Rec[] {
  return records.map((r, at) => ({ ...r, at, stamp: orderStampOf({ 'polyflow-order': stamps.next(r.topic as TopicName, r.key) }) as OrderStamp }));
}

/** A clock and fetch counter the test moves by hand. */
function mergeOf(idleMs = 500): { merge: PartitionMerge<Rec>; clock: { now: number } } {
  const clock = { now: 0 };
  return { merge: new PartitionMerge<Rec>(SETS, idleMs, () => clock.now), clock };
}

const add = (merge: PartitionMerge<Rec>, r: Rec): void => merge.add(r.topic, 0, r.key, r.stamp, r);

/** What release() gives, run after run (each run one topic's records). */
function released(merge: PartitionMerge<Rec>): Rec[] {
  return merge.release().flatMap((run) => {
    for (const r of run.items) expect(r.topic).toBe(run.topic);
    return run.items;
  });
}

/** Whatever waits at the end waits for a record that never comes: waits given up until all `total` are out. */
function waitOut(merge: PartitionMerge<Rec>, clock: { now: number }, total: number, out: Rec[]): void {
  for (let i = 0; i < total && out.length < total; i++) {
    clock.now += 1000;
    merge.fetched(1);
    merge.fetched(1);
    out.push(...released(merge));
  }
}

/** Each key's records in the order given. */
function byKey(records: readonly Rec[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of records) out.set(r.key, [...(out.get(r.key) ?? []), r.at]);
  return out;
}

describe('PartitionMerge', () => {
  it('gives a trade fetched after a later book update of its asset before that update', () => {
    const { merge } = mergeOf();
    const [book1, trade, book2] = publish([
      { topic: 'pm.book', key: 'a' },
      { topic: 'pm.trade', key: 'a' },
      { topic: 'pm.book', key: 'a' },
    ]) as [Rec, Rec, Rec];
    add(merge, book1);
    add(merge, book2);
    // book1 is a's first record and the trades are empty: it may follow a trade not fetched yet.
    expect(released(merge)).toEqual([]);
    add(merge, trade);
    expect(released(merge)).toEqual([book1, trade, book2]);
  });

  it('releases a key next record at once, though the other topic has nothing fetched', () => {
    const { merge } = mergeOf();
    const recs = publish([
      { topic: 'pm.trade', key: 'a' },
      { topic: 'pm.book', key: 'a' },
      { topic: 'pm.book', key: 'a' },
    ]) as [Rec, Rec, Rec];
    add(merge, recs[0]);
    expect(released(merge)).toEqual([]);
    add(merge, recs[1]);
    expect(released(merge)).toEqual([recs[0], recs[1]]);
    add(merge, recs[2]);
    expect(released(merge)).toEqual([recs[2]]);
  });

  it('releases the earliest head when every topic has one, or has fetched something published after it', () => {
    const { merge } = mergeOf();
    const [bookA, tradeB, bookC] = publish([
      { topic: 'pm.book', key: 'a' },
      { topic: 'pm.trade', key: 'b' },
      { topic: 'pm.book', key: 'c' },
    ]) as [Rec, Rec, Rec];
    add(merge, tradeB);
    expect(released(merge)).toEqual([]);
    add(merge, bookA);
    // bookA is the earliest head; then the book lane, empty, may still bring something before tradeB.
    expect(released(merge)).toEqual([bookA]);
    add(merge, bookC);
    // Both lanes have a head: tradeB was published first. Then bookC waits: the trade lane, empty
    // again, has fetched nothing published after it.
    expect(released(merge)).toEqual([tradeB]);
  });

  it("releases a key's first record at once when the other topic has already fetched something published after it", () => {
    const { merge } = mergeOf();
    const [tradeA0, bookA1, bookC0, tradeA2] = publish([
      { topic: 'pm.trade', key: 'a' },
      { topic: 'pm.book', key: 'a' },
      { topic: 'pm.book', key: 'c' },
      { topic: 'pm.trade', key: 'a' },
    ]) as [Rec, Rec, Rec, Rec];
    add(merge, tradeA0);
    add(merge, bookA1);
    expect(released(merge)).toEqual([tradeA0, bookA1]);
    // a's next record comes first in the trades' fetch: it goes at once...
    add(merge, tradeA2);
    expect(released(merge)).toEqual([tradeA2]);
    // ...and c's first book, published before it, cannot have an earlier trade still to come.
    add(merge, bookC0);
    expect(released(merge)).toEqual([bookC0]);
    expect(merge.takeWaits()).toBe(0);
  });

  it("lets a key's first record go at once when the other topic's progress marker says nothing earlier is to come there", () => {
    const { merge } = mergeOf();
    const stamps = new OrderStamps(1000);
    const [book] = publish([{ topic: 'pm.book', key: 'a' }], 1000, stamps);
    add(merge, book!);
    // The trade topic is quiet: the book waits for what may come there.
    expect(released(merge)).toEqual([]);
    // ingest's marker on the trade partition, stamped as its last record: nothing before it is to come.
    const marker: Rec = { topic: 'pm.trade', key: '', at: -1, stamp: orderStampOf({ 'polyflow-order': stamps.marker() }) as OrderStamp };
    merge.add('pm.trade', 0, '', marker.stamp, marker, true);
    expect(released(merge)).toEqual([marker, book]);
    expect(merge.takeWaits()).toBe(0);
    // A marker leaves no numbering behind: the key's next record still goes at once.
    const [next] = publish([{ topic: 'pm.book', key: 'a' }], 1000, stamps);
    add(merge, next!);
    expect(released(merge)).toEqual([next]);
  });

  it('waits out a gap for orderWaitMs and two fetches, then releases what it fetched and counts the wait', () => {
    const { merge, clock } = mergeOf(500);
    const recs = publish([
      { topic: 'pm.book', key: 'a' },
      { topic: 'pm.trade', key: 'a' }, // lost: its publisher died before the broker had it
      { topic: 'pm.book', key: 'a' },
      { topic: 'pm.book', key: 'a' },
    ]) as [Rec, Rec, Rec, Rec];
    add(merge, recs[0]);
    add(merge, recs[2]);
    add(merge, recs[3]);
    expect(released(merge)).toEqual([]); // a's first record: a trade before it may be on its way
    clock.now = 600;
    expect(merge.overdue).toBe(false); // no fetch since the wait began: a fetched batch may be in hand
    merge.fetched(1);
    merge.fetched(1);
    expect(merge.overdue).toBe(true);
    // Waited out: the trades count as caught up with everything fetched, so the whole buffer goes.
    expect(released(merge)).toEqual([recs[0], recs[2], recs[3]]);
    expect(merge.takeWaits()).toBe(1);
    expect(merge.takeWaits()).toBe(0);
  });

  it('releases unstamped records (an older publisher) at once, in offset order', () => {
    const { merge } = mergeOf();
    const plain: Rec = { topic: 'pm.book', key: 'a', stamp: undefined as unknown as OrderStamp, at: 0 };
    merge.add('pm.book', 0, 'a', undefined, plain);
    expect(merge.release()).toEqual([{ topic: 'pm.book', partition: 0, items: [plain] }]);
  });

  it('orders a restarted publisher (a later epoch) after the first, and forgets everything on clear()', () => {
    const { merge, clock } = mergeOf();
    const first = publish([{ topic: 'pm.book', key: 'a' }], 1000);
    const second = publish([{ topic: 'pm.trade', key: 'a' }, { topic: 'pm.book', key: 'a' }], 2000).map((r) => ({ ...r, at: r.at + 1 }));
    for (const r of [...first, ...second]) add(merge, r);
    expect(released(merge).map((r) => r.at)).toEqual([0, 1, 2]);
    merge.clear();
    add(merge, first[0] as Rec);
    clock.now = 10;
    expect(released(merge)).toEqual([]); // nothing known of a again
    expect(merge.buffered('pm.book', 0)).toBe(1);
  });

  it('gives up a wait only after two fetches from every broker, and not while an empty topic is known to be behind', () => {
    const { merge, clock } = mergeOf(500);
    const [book, trade] = publish([
      { topic: 'pm.book', key: 'a' },
      { topic: 'pm.trade', key: 'b' },
    ]) as [Rec, Rec];
    merge.fetched(1);
    merge.fetched(2);
    add(merge, trade);
    merge.brokerHasMore('pm.book', 0, true); // the books' last fetch left records on the broker
    expect(released(merge)).toEqual([]);
    clock.now = 1000;
    merge.fetched(1);
    merge.fetched(1);
    expect(released(merge)).toEqual([]); // broker 2 (the books' leader, say) has not fetched since
    merge.fetched(2);
    merge.fetched(2);
    expect(released(merge)).toEqual([]); // the books are behind: the earlier book may be in the next fetch
    add(merge, book);
    merge.brokerHasMore('pm.book', 0, false);
    expect(released(merge)).toEqual([book]);
    expect(merge.takeWaits()).toBe(0);
  });

  it('stops counting on a broker that no longer fetches (gone from the cluster)', () => {
    const { merge, clock } = mergeOf(500);
    const [, book] = publish([
      { topic: 'pm.trade', key: 'a' }, // never fetched
      { topic: 'pm.book', key: 'b' },
    ]) as [Rec, Rec];
    merge.fetched(1);
    merge.fetched(2);
    add(merge, book);
    const out: Rec[] = [];
    for (let t = 100; t <= 5000; t += 100) {
      clock.now = t;
      merge.fetched(1);
      out.push(...released(merge));
    }
    // Broker 2 has not fetched since 0: it may still, for ten waits (5 s).
    expect(out).toEqual([]);
    clock.now = 5100;
    merge.fetched(1);
    expect(released(merge)).toEqual([book]);
  });

  it("neither stalls nor loses records of two publishers at once, and keeps each topic's order", () => {
    const record = fc.record({
      topic: fc.constantFrom<'pm.book' | 'pm.trade'>('pm.book', 'pm.trade'),
      key: fc.constantFrom('a', 'b'),
      publisher: fc.constantFrom(0, 1),
    });
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 60 }), fc.boolean(), (input, laterFirst) => {
        const stamps = [new OrderStamps(laterFirst ? 2000 : 1000), new OrderStamps(laterFirst ? 1000 : 2000)];
        const recs: Rec[] = input.map((r, at) => ({
          topic: r.topic,
          key: r.key,
          at,
          stamp: orderStampOf({ 'polyflow-order': stamps[r.publisher]!.next(r.topic as TopicName, r.key) }) as OrderStamp,
        }));
        const { merge, clock } = mergeOf();
        const out: Rec[] = [];
        for (const r of recs) {
          add(merge, r);
          out.push(...released(merge));
        }
        waitOut(merge, clock, recs.length, out);
        expect(out.map((r) => r.at).sort((x, y) => x - y)).toEqual(recs.map((r) => r.at));
        for (const topic of ['pm.book', 'pm.trade']) expect(out.filter((r) => r.topic === topic)).toEqual(recs.filter((r) => r.topic === topic));
      }),
      { numRuns: 200 },
    );
  });

  it('gives every key its records in publish order, nothing lost or repeated, however the two topics are fetched', () => {
    const record = fc.record({ topic: fc.constantFrom<'pm.book' | 'pm.trade'>('pm.book', 'pm.book', 'pm.trade'), key: fc.constantFrom('a', 'b', 'c', 'd') });
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 120 }), fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 9 })), { maxLength: 60 }), (input, fetches) => {
        const recs = publish(input);
        const lanes = { 'pm.book': recs.filter((r) => r.topic === 'pm.book'), 'pm.trade': recs.filter((r) => r.topic === 'pm.trade') };
        const { merge, clock } = mergeOf();
        const out: Rec[] = [];
        // Fetches bring a few records of one topic at a time, in offset order.
        for (const [book, n] of fetches) {
          for (const r of (book ? lanes['pm.book'] : lanes['pm.trade']).splice(0, n)) add(merge, r);
          out.push(...released(merge));
        }
        for (const r of [...lanes['pm.book'].splice(0), ...lanes['pm.trade'].splice(0)]) add(merge, r);
        out.push(...released(merge));
        waitOut(merge, clock, recs.length, out);
        expect(out.map((r) => r.at).sort((x, y) => x - y)).toEqual(recs.map((r) => r.at));
        expect(byKey(out)).toEqual(byKey(recs));
      }),
      { numRuns: 300 },
    );
  });
});
