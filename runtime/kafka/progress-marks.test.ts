import type { Admin } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TopicName } from '../../schemas/topics.js';
import { OrderStamps } from './ingest-order.js';
import { ProgressMarks } from './progress-marks.js';

/** A broker with these topics (name -> partitions), and what the marks queue. */
function harness(topics: Map<string, number>, wallClock = false, metadata: Promise<void> = Promise.resolve()) {
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
    { intervalMs: 100, wallClock },
  );
  return { queued, stamps, marks };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('ProgressMarks', () => {
  it('marks every partition of the topics that exist, an interval after records went out, one ms short of the latest receive time', async () => {
    const { queued, stamps, marks } = harness(new Map([['x.pm.book', 2]]));
    stamps.next('pm.book', 'a');
    stamps.next('pm.book', 'b');
    marks.sent([500, 700, 650]);
    await vi.advanceTimersByTimeAsync(99);
    expect(queued).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(queued).toEqual(['pm.book/0@699 1000:1:0', 'pm.book/1@699 1000:1:0']);
  });

  it('marks what went out since on close, and nothing when nothing did', async () => {
    const { queued, stamps, marks } = harness(new Map([['x.pm.book', 1], ['x.pm.trade', 1]]));
    stamps.next('pm.trade', 'a');
    marks.sent([10]);
    await marks.close();
    expect(queued).toEqual(['pm.book/0@9 1000:0:0', 'pm.trade/0@9 1000:0:0']);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(queued).toHaveLength(2);
    const idle = harness(new Map([['x.pm.book', 1]]));
    await idle.marks.close();
    expect(idle.queued).toEqual([]);
  });

  it('writes the last markers when it closes while a timed round waits for the topic metadata', async () => {
    let answer = (): void => undefined;
    const { queued, stamps, marks } = harness(new Map([['x.pm.book', 1]]), false, new Promise<void>((done) => (answer = done)));
    stamps.next('pm.book', 'a');
    marks.sent([10]);
    await vi.advanceTimersByTimeAsync(100);
    const closing = marks.close();
    answer();
    await closing;
    expect(queued).toEqual(['pm.book/0@9 1000:0:0']);
  });

  it('with the wall clock (live ingest), marks every interval from the first record on, at the wall time less 1 ms, received or not', async () => {
    vi.setSystemTime(10_000);
    const { queued, stamps, marks } = harness(new Map([['x.pm.book', 1]]), true);
    await vi.advanceTimersByTimeAsync(500);
    // Nothing before the first record.
    expect(queued).toEqual([]);
    stamps.next('pm.book', 'a');
    marks.sent([10_400]);
    await vi.advanceTimersByTimeAsync(100);
    expect(queued).toEqual(['pm.book/0@10599 1000:0:0']);
    // Quiet: the markers go on, at the wall time.
    await vi.advanceTimersByTimeAsync(200);
    expect(queued).toEqual(['pm.book/0@10599 1000:0:0', 'pm.book/0@10699 1000:0:0', 'pm.book/0@10799 1000:0:0']);
    await marks.close();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(queued).toHaveLength(3);
  });
});
