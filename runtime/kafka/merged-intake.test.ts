import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { TopicName } from '../../schemas/topics.js';
import { ORDER_HEADER, OrderStamps } from './ingest-order.js';
import { MergedIntake, type EmittedRun, type MergeHost } from './merged-intake.js';

type Topic = 'pm.book' | 'pm.trade';

/** A host that records what the intake asks of its bus; `failOn` makes the hand-over of that offset throw. */
class FakeHost implements MergeHost {
  readonly emitted: string[] = [];
  readonly marked: EmittedRun[][] = [];
  readonly seeks: string[] = [];
  readonly pauses: string[] = [];
  readonly positions = new Map<string, bigint>();
  joinCount = 0;
  failOn: string | undefined;
  /** Runs while a record is handed over (a group join, say). */
  during: (() => void) | undefined;

  emitRun(kafkaTopic: string, partition: number, messages: readonly KafkaMessage[], _heartbeat: () => Promise<void>, going: () => boolean): Promise<EmittedRun> {
    let last: string | undefined;
    for (const m of messages) {
      // As the bus: a hand-over that is no longer current stops at the next record.
      if (!going()) break;
      if (`${kafkaTopic}@${m.offset}` === this.failOn) return Promise.reject(new Error('operator failed'));
      this.during?.();
      this.emitted.push(`${kafkaTopic}@${m.offset}`);
      last = m.offset;
      this.positions.set(`${kafkaTopic}:${partition}`, BigInt(m.offset) + 1n);
    }
    return Promise.resolve({ kafkaTopic, partition, last, live: true });
  }
  settleAndMark(runs: readonly EmittedRun[], _heartbeat: () => Promise<void>, current: () => boolean): Promise<void> {
    if (current() && runs.length > 0) this.marked.push([...runs]);
    return Promise.resolve();
  }
  checkpointIfDue(): Promise<void> {
    return Promise.resolve();
  }
  holding(): boolean {
    return false;
  }
  joins(): number {
    return this.joinCount;
  }
  position(kafkaTopic: string, partition: number): bigint | undefined {
    return this.positions.get(`${kafkaTopic}:${partition}`);
  }
  seek(kafkaTopic: string, partition: number, offset: string): void {
    this.seeks.push(`${kafkaTopic}:${partition}@${offset}`);
  }
  pausePartition(kafkaTopic: string, partition: number, pause: boolean): void {
    this.pauses.push(`${pause ? 'pause' : 'resume'} ${kafkaTopic}:${partition}`);
  }
}

/** Records as one publisher stamps them (publish order), with their offsets on their topic's partition 0. */
function published(records: readonly { topic: Topic; key: string }[]): { topic: Topic; message: KafkaMessage }[] {
  const stamps = new OrderStamps(1000);
  const offsets = new Map<Topic, number>();
  return records.map(({ topic, key }) => {
    const offset = offsets.get(topic) ?? 0;
    offsets.set(topic, offset + 1);
    const message = { key: Buffer.from(key), value: null, offset: String(offset), timestamp: '0', attributes: 0, headers: { [ORDER_HEADER]: stamps.next(topic as TopicName, key) } };
    return { topic, message };
  });
}

/** A fetched batch of one topic's partition 0 (the broker has nothing more after it). */
function batchOf(topic: Topic, messages: readonly KafkaMessage[]) {
  const resolved: string[] = [];
  const last = messages[messages.length - 1]?.offset ?? '-1';
  return { payload: { batch: { topic, partition: 0, highWatermark: String(Number(last) + 1), messages: [...messages] } as never, resolveOffset: (o: string) => resolved.push(o) }, resolved };
}

const going = (): boolean => true;
const beat = (): Promise<void> => Promise.resolve();

describe('MergedIntake', () => {
  it('moves the fetch past a batch at once, and hands records to the operators in publish order, marking each partition once', async () => {
    const host = new FakeHost();
    const intake = new MergedIntake(host, (t) => t, { orderWaitMs: 500, highWater: 100 });
    const [trade, book1, book2] = published([
      { topic: 'pm.trade', key: 'a' },
      { topic: 'pm.book', key: 'a' },
      { topic: 'pm.book', key: 'a' },
    ]);
    const books = batchOf('pm.book', [book1!.message, book2!.message]);
    intake.add(books.payload);
    expect(books.resolved).toEqual(['1']);
    await intake.release(beat, going);
    // The trade ingest made before them is not fetched yet: the books wait, nothing is marked.
    expect(host.emitted).toEqual([]);
    expect(host.marked).toEqual([]);
    intake.add(batchOf('pm.trade', [trade!.message]).payload);
    await intake.release(beat, going);
    expect(host.emitted).toEqual(['pm.trade@0', 'pm.book@0', 'pm.book@1']);
    expect(host.marked).toHaveLength(1);
    expect(host.marked[0]?.map((r) => `${r.kafkaTopic}@${r.last}`).sort()).toEqual(['pm.book@1', 'pm.trade@0']);
  });

  it('pauses a partition with more than the high-water mark waiting, and resumes it once they went', async () => {
    const host = new FakeHost();
    const intake = new MergedIntake(host, (t) => t, { orderWaitMs: 500, highWater: 2 });
    const [trade, ...books] = published([
      { topic: 'pm.trade', key: 'a' },
      { topic: 'pm.book', key: 'a' },
      { topic: 'pm.book', key: 'a' },
      { topic: 'pm.book', key: 'a' },
    ]);
    intake.add(batchOf('pm.book', books.map((b) => b.message)).payload);
    await intake.release(beat, going);
    expect(host.pauses).toEqual(['pause pm.book:0']);
    expect([...intake.pausedPartitions()]).toEqual([{ topic: 'pm.book', partition: 0 }]);
    intake.add(batchOf('pm.trade', [trade!.message]).payload);
    await intake.release(beat, going);
    expect(host.pauses).toEqual(['pause pm.book:0', 'resume pm.book:0']);
    expect([...intake.pausedPartitions()]).toEqual([]);
  });

  it('forgets what waited when cleared, and resumes the partitions it paused', async () => {
    const host = new FakeHost();
    const intake = new MergedIntake(host, (t) => t, { orderWaitMs: 500, highWater: 1 });
    const [trade, ...books] = published([
      { topic: 'pm.trade', key: 'a' },
      { topic: 'pm.book', key: 'a' },
      { topic: 'pm.book', key: 'a' },
    ]);
    intake.add(batchOf('pm.book', books.map((b) => b.message)).payload);
    await intake.release(beat, going);
    expect(host.pauses).toEqual(['pause pm.book:0']);
    intake.clear();
    expect(host.pauses).toEqual(['pause pm.book:0', 'resume pm.book:0']);
    // The books that waited are gone: read again (as after an assignment), each goes once.
    intake.add(batchOf('pm.book', books.map((b) => b.message)).payload);
    intake.add(batchOf('pm.trade', [trade!.message]).payload);
    await intake.release(beat, going);
    expect(host.emitted).toEqual(['pm.trade@0', 'pm.book@0', 'pm.book@1']);
  });

  it('reads merged partitions again from the operators positions when a hand-over fails, and forgets what waited', async () => {
    const host = new FakeHost();
    const intake = new MergedIntake(host, (t) => t, { orderWaitMs: 500, highWater: 100 });
    const [book1, trade, book2] = published([
      { topic: 'pm.book', key: 'a' },
      { topic: 'pm.trade', key: 'a' },
      { topic: 'pm.book', key: 'a' },
    ]);
    host.failOn = 'pm.book@1';
    intake.add(batchOf('pm.book', [book1!.message, book2!.message]).payload);
    intake.add(batchOf('pm.trade', [trade!.message]).payload);
    await expect(intake.release(beat, going)).rejects.toThrow('operator failed');
    // The book and the trade before it went through: each partition is read again after what the operators got.
    expect(host.emitted).toEqual(['pm.book@0', 'pm.trade@0']);
    expect(host.seeks.sort()).toEqual(['pm.book:0@1', 'pm.trade:0@1']);
    host.failOn = undefined;
    await intake.release(beat, going);
    expect(host.emitted).toEqual(['pm.book@0', 'pm.trade@0']);
  });

  it('reads a partition the operators never got a record of again from its first merged offset', async () => {
    const host = new FakeHost();
    const intake = new MergedIntake(host, (t) => t, { orderWaitMs: 500, highWater: 100 });
    const [trade, book] = published([
      { topic: 'pm.trade', key: 'a' },
      { topic: 'pm.book', key: 'a' },
    ]);
    host.failOn = 'pm.trade@0';
    intake.add(batchOf('pm.book', [book!.message]).payload);
    intake.add(batchOf('pm.trade', [trade!.message]).payload);
    await expect(intake.release(beat, going)).rejects.toThrow('operator failed');
    expect(host.seeks.sort()).toEqual(['pm.book:0@0', 'pm.trade:0@0']);
  });

  it('marks nothing of a hand-over that a group join overtook', async () => {
    const host = new FakeHost();
    const intake = new MergedIntake(host, (t) => t, { orderWaitMs: 500, highWater: 100 });
    const [trade, book] = published([
      { topic: 'pm.trade', key: 'a' },
      { topic: 'pm.book', key: 'a' },
    ]);
    host.during = () => host.joinCount++;
    intake.add(batchOf('pm.book', [book!.message]).payload);
    intake.add(batchOf('pm.trade', [trade!.message]).payload);
    await intake.release(beat, going);
    // The join came while the trade went over: the book that was due after it is not handed over.
    expect(host.emitted).toEqual(['pm.trade@0']);
    expect(host.marked).toEqual([]);
  });
});
