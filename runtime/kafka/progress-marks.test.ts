import type { Admin } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TopicName } from '../../schemas/topics.js';
import { OrderStamps } from './ingest-order.js';
import { ProgressMarks } from './progress-marks.js';

/** A broker with these topics (name -> partitions), and what the marks queue. */
function harness(topics: Map<string, number>, wallClock = false, metadata: Promise<void> = Promise.resolve(), promptMs?: number) {
  const queued: string[] = [];
  const admin = {
    listTopics: () => metadata.then(() => [...topics.keys()]),
    fetchTopicMetadata: ({ topics: names }: { topics: string[] }) => {
      // Asking for a topic that does not exist would create it: the marks must not.
      for (const name of names) if (!topics.has(name)) throw new Error(`asked for missing ${name}`);
      return Promise.resolve({ topics: names.map((name) => ({ name, partitions: Array.from({ length: topics.get(name) ?? 0 }, (_, i) => ({ partitionId: i })) })) });
    },
  } as unknown as Admin;
  const stamps = new OrderStamps(1000);
  const marks = new ProgressMarks(
    { enqueue: (topic, partition, time, order) => void queued.push(`${topic}/${partition}@${time} ${order}`), admin: () => Promise.resolve(admin), kafkaTopic: (t: TopicName) => `x.${t}` },
    stamps,
    { intervalMs: 100, promptMs, wallClock },
  );
  /** A produce request with stamped records of these receive times: the round riding with it, if any, is queued too (marked so). */
  const publish = async (recvTimes: readonly number[], queueEmpty = true): Promise<void> => {
    for (const m of await marks.publishing(recvTimes, () => queueEmpty)) queued.push(`${m.topic}/${m.partition}@${m.time} ${m.order} with records`);
  };
  return { queued, stamps, marks, publish };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('ProgressMarks', () => {
  it('marks every partition of the topics that exist with the records, one ms short of the latest receive time, then at most once an interval', async () => {
    const { queued, stamps, publish } = harness(new Map([['x.pm.book', 2]]));
    stamps.next('pm.book', 'a');
    stamps.next('pm.book', 'b');
    await publish([500, 700, 650]);
    expect(queued).toEqual(['pm.book/0@699 1000:1:0 with records', 'pm.book/1@699 1000:1:0 with records']);
    await vi.advanceTimersByTimeAsync(10);
    stamps.next('pm.book', 'c');
    await publish([800]);
    await vi.advanceTimersByTimeAsync(89);
    expect(queued).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    // Queued after the records (they went in their own request).
    expect(queued.slice(2)).toEqual(['pm.book/0@799 1000:2:0', 'pm.book/1@799 1000:2:0']);
  });

  it('with a prompt spacing, marks a busy publisher at most once per spacing, each round with the records it covers', async () => {
    const { queued, stamps, publish } = harness(new Map([['x.pm.book', 1]]), false, Promise.resolve(), 5);
    for (let ms = 0; ms < 20; ms++) {
      stamps.next('pm.book', 'a');
      await publish([1_000 + ms]);
      await vi.advanceTimersByTimeAsync(1);
    }
    // A round with the first request; then, as each round is due (every 5 ms), one for the records sent by then.
    expect(queued).toEqual([
      'pm.book/0@999 1000:0:0 with records',
      'pm.book/0@1003 1000:4:0',
      'pm.book/0@1008 1000:9:0',
      'pm.book/0@1013 1000:14:0',
      'pm.book/0@1018 1000:19:0',
    ]);
    // Quiet (not on the wall clock): no more rounds.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(queued).toHaveLength(5);
  });

  it('writes a round for records that share the last round\'s receive time (their order stamps moved on), and none that says nothing new', async () => {
    const { queued, stamps, publish } = harness(new Map([['x.pm.book', 1]]), false, Promise.resolve(), 0);
    stamps.next('pm.book', 'a');
    await publish([50]);
    stamps.next('pm.book', 'b');
    await publish([50]);
    expect(queued).toEqual(['pm.book/0@49 1000:0:0 with records', 'pm.book/0@49 1000:1:0 with records']);
    await publish([]);
    await vi.advanceTimersByTimeAsync(100);
    expect(queued).toHaveLength(2);
  });

  it('marks what went out since on close, and nothing when nothing did', async () => {
    const { queued, stamps, marks, publish } = harness(new Map([['x.pm.book', 1], ['x.pm.trade', 1]]), false, Promise.resolve(), 50);
    stamps.next('pm.trade', 'a');
    await publish([5]);
    stamps.next('pm.trade', 'b');
    await publish([10]);
    expect(queued).toHaveLength(2);
    queued.length = 0;
    await marks.close();
    expect(queued).toEqual(['pm.book/0@9 1000:1:0', 'pm.trade/0@9 1000:1:0']);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(queued).toHaveLength(2);
    const idle = harness(new Map([['x.pm.book', 1]]));
    await idle.marks.close();
    expect(idle.queued).toEqual([]);
  });

  it('writes the last markers when it closes while a round waits for the topic metadata', async () => {
    let metadata = (): void => undefined;
    const { queued, stamps, marks } = harness(new Map([['x.pm.book', 1]]), false, new Promise<void>((done) => (metadata = done)));
    stamps.next('pm.book', 'a');
    // The round due with the first request waits for the metadata; the publisher closes meanwhile.
    const riding = marks.publishing([10], () => true);
    const closing = marks.close();
    metadata();
    expect(await riding).toEqual([]);
    await closing;
    expect(queued).toEqual(['pm.book/0@9 1000:0:0']);
  });

  it('with the wall clock (live ingest), marks with a record and then every interval, at the wall time less 1 ms, received or not', async () => {
    vi.setSystemTime(10_000);
    const { queued, stamps, marks, publish } = harness(new Map([['x.pm.book', 1]]), true, Promise.resolve(), 5);
    await vi.advanceTimersByTimeAsync(500);
    // Nothing before the first record.
    expect(queued).toEqual([]);
    stamps.next('pm.book', 'a');
    vi.setSystemTime(10_502);
    await publish([10_500]);
    expect(queued).toEqual(['pm.book/0@10501 1000:0:0 with records']);
    // Quiet: the markers go on, at the wall time.
    await vi.advanceTimersByTimeAsync(200);
    expect(queued.slice(1)).toEqual(['pm.book/0@10601 1000:0:0', 'pm.book/0@10701 1000:0:0']);
    // A record while quiet, with others still waiting for the next request: marked at once, up to its own time only.
    await vi.advanceTimersByTimeAsync(30);
    stamps.next('pm.book', 'b');
    await publish([10_731], false);
    expect(queued.slice(3)).toEqual(['pm.book/0@10730 1000:1:0 with records']);
    // That round fell short of the record's millisecond: the next goes 5 ms later (not an interval), then the interval counts from there.
    await vi.advanceTimersByTimeAsync(5);
    expect(queued.slice(4)).toEqual(['pm.book/0@10736 1000:1:0']);
    await vi.advanceTimersByTimeAsync(99);
    expect(queued).toHaveLength(5);
    await vi.advanceTimersByTimeAsync(1);
    expect(queued.slice(5)).toEqual(['pm.book/0@10836 1000:1:0']);
    await marks.close();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(queued).toHaveLength(6);
  });
});
