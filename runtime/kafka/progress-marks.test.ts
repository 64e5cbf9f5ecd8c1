import type { Admin } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TopicName } from '../../schemas/topics.js';
import { OrderStamps } from './ingest-order.js';
import { ProgressMarks } from './progress-marks.js';

/** A broker with these topics (name -> partitions) whose metadata, as it was when asked, comes when `metadata()` resolves; and what the marks queue. */
function harness(topics: Map<string, number>, opts: { wallClock?: boolean; promptMs?: number; metadata?: () => Promise<void> } = {}) {
  const queued: string[] = [];
  const metadata = opts.metadata ?? (() => Promise.resolve());
  const admin = {
    listTopics: () => {
      const names = [...topics.keys()];
      return metadata().then(() => names);
    },
    fetchTopicMetadata: ({ topics: names }: { topics: string[] }) => {
      // Asking for a topic that does not exist would create it: the marks must not.
      for (const name of names) if (!topics.has(name)) throw new Error(`asked for missing ${name}`);
      return Promise.resolve({ topics: names.map((name) => ({ name, partitions: Array.from({ length: topics.get(name) ?? 0 }, (_, i) => ({ partitionId: i })) })) });
    },
  } as unknown as Admin;
  const stamps = new OrderStamps(1000);
  const marks = new ProgressMarks(
    { enqueue: (m) => void queued.push(`${m.topic}/${m.partition}@${m.time} ${m.order}`), admin: () => Promise.resolve(admin), kafkaTopic: (t: TopicName) => `x.${t}` },
    stamps,
    { intervalMs: 100, promptMs: opts.promptMs, wallClock: opts.wallClock },
  );
  /** A produce request with stamped records of these receive times: the round riding with it, if any, is queued too (marked so). */
  const publish = (recvTimes: readonly number[], queueEmpty = true): void => {
    for (const m of marks.publishing(recvTimes, queueEmpty)) queued.push(`${m.topic}/${m.partition}@${m.time} ${m.order} with records`);
  };
  /** A topic's first record: the broker makes the topic, the record goes out, and the broker acknowledges it. */
  const firstRecord = (topic: TopicName, partitions: number, recvTime: number): void => {
    topics.set(`x.${topic}`, partitions);
    stamps.next(topic, 'k');
    publish([recvTime]);
    marks.published([topic]);
  };
  return { queued, stamps, marks, publish, firstRecord };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('ProgressMarks', () => {
  it('marks every partition of the topics that exist, one ms short of the latest receive time: queued until the partitions are known, then with the records when one may go, else once it may', async () => {
    const { queued, stamps, publish } = harness(new Map([['x.pm.book', 2], ['x.pm.trade', 1], ['x.pm.resolution', 1]]));
    const round = (at: string, suffix = ''): string[] => ['pm.book/0', 'pm.book/1', 'pm.trade/0', 'pm.resolution/0'].map((p) => `${p}@${at}${suffix}`);
    stamps.next('pm.book', 'a');
    stamps.next('pm.book', 'b');
    publish([500, 700, 650]);
    await vi.advanceTimersByTimeAsync(0);
    expect(queued).toEqual(round('699 1000:1:0'));
    // After a quiet spell, a second round may go within one spacing (the interval here): it rides with the records.
    await vi.advanceTimersByTimeAsync(10);
    stamps.next('pm.book', 'c');
    publish([800]);
    expect(queued.slice(4)).toEqual(round('799 1000:2:0', ' with records'));
    // A third may not: it goes once the rounds are back to one per spacing (0, 100, 200 ms: at 100).
    await vi.advanceTimersByTimeAsync(10);
    stamps.next('pm.book', 'd');
    publish([850]);
    await vi.advanceTimersByTimeAsync(79);
    expect(queued).toHaveLength(8);
    await vi.advanceTimersByTimeAsync(1);
    expect(queued.slice(8)).toEqual(round('849 1000:3:0'));
    // Quiet, then a record: its round rides with it.
    await vi.advanceTimersByTimeAsync(500);
    stamps.next('pm.book', 'e');
    publish([900]);
    expect(queued.slice(12)).toEqual(round('899 1000:4:0', ' with records'));
    // Nothing more is armed (not on the wall clock).
    await vi.advanceTimersByTimeAsync(1_000);
    expect(queued).toHaveLength(16);
  });

  it('with a prompt spacing, marks a busy publisher once per spacing (two rounds within one after a quiet spell), each round covering the records sent by then', async () => {
    const { queued, stamps, publish } = harness(new Map([['x.pm.book', 1]]), { promptMs: 5 });
    for (let ms = 0; ms < 20; ms++) {
      stamps.next('pm.book', 'a');
      publish([1_000 + ms]);
      await vi.advanceTimersByTimeAsync(1);
    }
    expect(queued).toEqual(['pm.book/0@999 1000:0:0', 'pm.book/0@1000 1000:1:0 with records', 'pm.book/0@1003 1000:4:0', 'pm.book/0@1008 1000:9:0', 'pm.book/0@1013 1000:14:0', 'pm.book/0@1018 1000:19:0']);
    // Busy for longer: one round per spacing, plus that one.
    queued.length = 0;
    for (let ms = 20; ms < 1_020; ms++) {
      stamps.next('pm.book', 'a');
      publish([1_000 + ms]);
      await vi.advanceTimersByTimeAsync(1);
    }
    expect(queued).toHaveLength(200);
    // Quiet (not on the wall clock): no more rounds.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(queued).toHaveLength(200);
  });

  it('writes a round for records that share the last round\'s receive time (their order stamps moved on), none that says nothing new, and tells a queued round a later one overtook', async () => {
    const { queued, stamps, marks, publish } = harness(new Map([['x.pm.book', 1]]), { promptMs: 1 });
    stamps.next('pm.book', 'a');
    publish([50]);
    await vi.advanceTimersByTimeAsync(1);
    stamps.next('pm.book', 'b');
    publish([50]);
    expect(queued).toEqual(['pm.book/0@49 1000:0:0', 'pm.book/0@49 1000:1:0 with records']);
    expect(marks.overtaken(1)).toBe(true);
    expect(marks.overtaken(2)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    publish([]);
    await vi.advanceTimersByTimeAsync(100);
    expect(queued).toHaveLength(2);
  });

  it('marks what went out since on close, and nothing when nothing did', async () => {
    const { queued, stamps, marks, publish } = harness(new Map([['x.pm.book', 1], ['x.pm.trade', 1]]), { promptMs: 50 });
    stamps.next('pm.trade', 'a');
    publish([5]);
    await vi.advanceTimersByTimeAsync(0);
    stamps.next('pm.trade', 'b');
    publish([10]);
    stamps.next('pm.trade', 'c');
    publish([12]);
    // The first two rounds: the third may not go yet.
    expect(queued).toHaveLength(4);
    queued.length = 0;
    await marks.close();
    expect(queued).toEqual(['pm.book/0@11 1000:2:0', 'pm.trade/0@11 1000:2:0']);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(queued).toHaveLength(2);
    const idle = harness(new Map([['x.pm.book', 1]]));
    await idle.marks.close();
    expect(idle.queued).toEqual([]);
  });

  it('writes the last markers when it closes while a round waits for the topic metadata, which never holds the records up', async () => {
    let answer = (): void => undefined;
    const asked = new Promise<void>((done) => (answer = done));
    const { queued, stamps, marks, publish } = harness(new Map([['x.pm.book', 1]]), { metadata: () => asked });
    stamps.next('pm.book', 'a');
    // The partitions are not known yet: the records go without a round, and a timed one waits for the metadata.
    publish([10]);
    await vi.advanceTimersByTimeAsync(0);
    const closing = marks.close();
    answer();
    await closing;
    expect(queued).toEqual(['pm.book/0@9 1000:0:0']);
  });

  it('tries a round that failed again an interval later, and asks for the partitions of a missing topic at most once an interval', async () => {
    let asked = 0;
    const { queued, stamps, publish } = harness(new Map([['x.pm.book', 1]]), {
      promptMs: 5,
      metadata: () => (++asked === 1 ? Promise.reject(new Error('broker away')) : Promise.resolve()),
    });
    stamps.next('pm.book', 'a');
    publish([10]);
    await vi.advanceTimersByTimeAsync(0);
    expect(queued).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);
    expect(queued).toEqual(['pm.book/0@9 1000:0:0']);
    // pm.trade and pm.resolution do not exist: the counts are asked again an interval after the last time, not per round.
    for (let ms = 0; ms < 150; ms += 10) {
      stamps.next('pm.book', 'b');
      publish([20 + ms]);
      await vi.advanceTimersByTimeAsync(10);
    }
    // Asked at 0 (failed), 100 and 200 ms.
    expect(asked).toBe(3);
    expect(queued.length).toBeGreaterThan(10);
  });

  it('marks a topic made by its first record from the round after the broker acknowledged it, not an interval later, and in the last round', async () => {
    const topics = new Map([['x.pm.book', 1]]);
    const { queued, stamps, marks, publish } = harness(topics, { promptMs: 5 });
    stamps.next('pm.book', 'a');
    publish([10]);
    await vi.advanceTimersByTimeAsync(0);
    expect(queued).toEqual(['pm.book/0@9 1000:0:0']);
    // A first resolution makes its topic; the counts asked 10 ms ago stay as they were until told.
    await vi.advanceTimersByTimeAsync(10);
    topics.set('x.pm.resolution', 2);
    stamps.next('pm.resolution', 'm');
    publish([20]);
    expect(queued.slice(1)).toEqual(['pm.book/0@19 1000:1:0 with records']);
    marks.published(['pm.resolution']);
    stamps.next('pm.book', 'b');
    // Told: no round rides on counts that miss it; the next one asks and marks both topics.
    publish([30]);
    expect(queued).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(5);
    expect(queued.slice(2)).toEqual(['pm.book/0@29 1000:2:0', 'pm.resolution/0@29 1000:2:0', 'pm.resolution/1@29 1000:2:0']);
    // The last round too (riding with the record or, if it may not go yet, on close).
    queued.length = 0;
    stamps.next('pm.book', 'c');
    publish([40]);
    await marks.close();
    expect(queued.map((q) => q.replace(' with records', ''))).toEqual(['pm.book/0@39 1000:3:0', 'pm.resolution/0@39 1000:3:0', 'pm.resolution/1@39 1000:3:0']);
  });

  it('marks, in the last round, a topic whose first records were acknowledged while the partitions were being asked for (the answer predates them)', async () => {
    const topics = new Map([['x.pm.book', 1]]);
    let answer = (): void => undefined;
    let asked = 0;
    const { queued, stamps, marks, publish, firstRecord } = harness(topics, {
      metadata: () => (++asked === 1 ? new Promise<void>((done) => (answer = done)) : Promise.resolve()),
    });
    stamps.next('pm.book', 'a');
    publish([10]);
    await vi.advanceTimersByTimeAsync(0);
    // Asked, with no answer yet: the first resolution makes its topic, and the broker acknowledges it.
    expect(asked).toBe(1);
    firstRecord('pm.resolution', 2, 20);
    const closing = marks.close();
    answer();
    await closing;
    expect(asked).toBe(2);
    expect(queued).toEqual(['pm.book/0@19 1000:1:0', 'pm.resolution/0@19 1000:1:0', 'pm.resolution/1@19 1000:1:0']);
  });

  it('asks again for each topic acknowledged while the question before was out, and keeps an answer when asking again fails', async () => {
    // Two topics made one after the other, each while the partitions were being asked for.
    const topics = new Map([['x.pm.book', 1]]);
    const answers: (() => void)[] = [];
    const { queued, stamps, marks, publish, firstRecord } = harness(topics, { metadata: () => new Promise<void>((done) => answers.push(done)) });
    stamps.next('pm.book', 'a');
    publish([10]);
    await vi.advanceTimersByTimeAsync(0);
    firstRecord('pm.trade', 1, 20);
    const closing = marks.close();
    answers[0]?.();
    await vi.advanceTimersByTimeAsync(0);
    // Asked again for pm.trade; pm.resolution is made meanwhile.
    expect(answers).toHaveLength(2);
    firstRecord('pm.resolution', 1, 30);
    answers[1]?.();
    await vi.advanceTimersByTimeAsync(0);
    answers[2]?.();
    await closing;
    expect(answers).toHaveLength(3);
    expect(queued).toEqual(['pm.book/0@29 1000:2:0', 'pm.trade/0@29 1000:2:0', 'pm.resolution/0@29 1000:2:0']);

    // The question asked again fails: the last round marks what the first answer knew.
    const flaky = new Map([['x.pm.book', 1]]);
    let asked = 0;
    let answer = (): void => undefined;
    const second = harness(flaky, {
      metadata: () => (++asked === 1 ? new Promise<void>((done) => (answer = done)) : Promise.reject(new Error('broker away'))),
    });
    second.stamps.next('pm.book', 'a');
    second.publish([10]);
    await vi.advanceTimersByTimeAsync(0);
    second.firstRecord('pm.resolution', 1, 20);
    const closed = second.marks.close();
    answer();
    await closed;
    expect(asked).toBe(2);
    expect(second.queued).toEqual(['pm.book/0@19 1000:1:0']);
  });

  it('with the wall clock (live ingest), marks with a record and then every interval, at the wall time less 1 ms, received or not', async () => {
    vi.setSystemTime(10_000);
    const { queued, stamps, marks, publish } = harness(new Map([['x.pm.book', 1]]), { wallClock: true, promptMs: 5 });
    await vi.advanceTimersByTimeAsync(500);
    // Nothing before the first record.
    expect(queued).toEqual([]);
    stamps.next('pm.book', 'a');
    vi.setSystemTime(10_502);
    publish([10_500]);
    await vi.advanceTimersByTimeAsync(0);
    expect(queued).toEqual(['pm.book/0@10501 1000:0:0']);
    // Quiet: the markers go on, at the wall time.
    await vi.advanceTimersByTimeAsync(200);
    expect(queued.slice(1)).toEqual(['pm.book/0@10601 1000:0:0', 'pm.book/0@10701 1000:0:0']);
    // A record while quiet, with others still waiting for the next request: marked with it, up to its own time only.
    await vi.advanceTimersByTimeAsync(30);
    stamps.next('pm.book', 'b');
    publish([10_731], false);
    expect(queued.slice(3)).toEqual(['pm.book/0@10730 1000:1:0 with records']);
    // That round fell short of the record's millisecond: the next goes as soon as it may (here at once: the rounds
    // before went an interval apart), not an interval later; then the interval counts from there.
    await vi.advanceTimersByTimeAsync(0);
    expect(queued.slice(4)).toEqual(['pm.book/0@10731 1000:1:0']);
    await vi.advanceTimersByTimeAsync(99);
    expect(queued).toHaveLength(5);
    await vi.advanceTimersByTimeAsync(1);
    expect(queued.slice(5)).toEqual(['pm.book/0@10831 1000:1:0']);
    await marks.close();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(queued).toHaveLength(6);
  });

  it('with the wall clock, a due round in the latest record\'s millisecond waits, once, for it to be over, and then covers that record', async () => {
    vi.setSystemTime(10_000);
    const { queued, stamps, publish } = harness(new Map([['x.pm.book', 1]]), { wallClock: true, promptMs: 5 });
    stamps.next('pm.book', 'a');
    publish([10_000]);
    await vi.advanceTimersByTimeAsync(0);
    // Made now, the round would say 9999: it waits for the millisecond to be over.
    expect(queued).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(queued).toEqual(['pm.book/0@10000 1000:0:0']);
    // Due with a record of this millisecond: it does not ride with it, but goes 1 ms later, covering it.
    vi.setSystemTime(10_006);
    stamps.next('pm.book', 'b');
    publish([10_006]);
    expect(queued).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(queued.slice(1)).toEqual(['pm.book/0@10006 1000:1:0']);
    // Due again (5 ms on) and waiting; a record of the next millisecond comes first: the round has waited once, so it rides with it.
    vi.setSystemTime(10_012);
    stamps.next('pm.book', 'c');
    publish([10_012]);
    vi.setSystemTime(10_013);
    stamps.next('pm.book', 'd');
    publish([10_013]);
    expect(queued.slice(2)).toEqual(['pm.book/0@10012 1000:3:0 with records']);
    // It fell short of 10013: the next round may go at once, and waits for that millisecond to be over.
    await vi.advanceTimersByTimeAsync(0);
    expect(queued).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(queued.slice(3)).toEqual(['pm.book/0@10013 1000:3:0']);
  });

  it('with the wall clock, waits for the latest record\'s millisecond though a sooner timer fires first, and tries a failed round again an interval later, not as soon as one may go', async () => {
    vi.setSystemTime(11_000);
    const { queued, stamps, publish } = harness(new Map([['x.pm.book', 1]]), { wallClock: true, promptMs: 5 });
    stamps.next('pm.book', 'a');
    publish([11_000]);
    await vi.advanceTimersByTimeAsync(1);
    expect(queued).toEqual(['pm.book/0@11000 1000:0:0']);
    // A record with others behind it: the round rides with it, short of its millisecond, and the next may go at once (a 0 ms timer).
    await vi.advanceTimersByTimeAsync(49);
    stamps.next('pm.book', 'b');
    publish([11_050], false);
    // The rest of the queue, in the same millisecond: its round waits for that millisecond, and so does the sooner timer.
    stamps.next('pm.book', 'c');
    publish([11_050]);
    await vi.advanceTimersByTimeAsync(0);
    expect(queued.slice(1)).toEqual(['pm.book/0@11049 1000:1:0 with records']);
    await vi.advanceTimersByTimeAsync(1);
    expect(queued.slice(2)).toEqual(['pm.book/0@11050 1000:2:0']);

    // The broker is away: the round is tried again an interval later, not every millisecond.
    let asked = 0;
    const away = harness(new Map([['x.pm.book', 1]]), { wallClock: true, promptMs: 5, metadata: () => (++asked, Promise.reject(new Error('broker away'))) });
    away.stamps.next('pm.book', 'a');
    away.publish([11_051]);
    await vi.advanceTimersByTimeAsync(100);
    expect(asked).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(asked).toBe(2);
    expect(away.queued).toEqual([]);
  });
});
