import type { Admin, KafkaMessage } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import type { Progress } from '../bus.js';
import type { Logger } from '../logger.js';
import { consumedMessage, fakeKafka } from '../../test/helpers/fake-kafka.js';
import { ConsumedMarkers } from './consumed-markers.js';
import { TIME_HEADER } from './ingest-order.js';

const TOPICS = ['pm.book', 'pm.trade', 'pm.resolution', 'features.v1', 'prediction.v1'] as const;
/** An admin that knows every topic, prefixed `x.`, with two partitions. */
const admin = (): Promise<Admin> => Promise.resolve(fakeKafka(async () => undefined, {}, Object.fromEntries(TOPICS.map((t) => [`x.${t}`, 2]))).kafka.admin());

const book = (time: number): KafkaMessage => consumedMessage({ value: Buffer.alloc(0), headers: { [TIME_HEADER]: Buffer.from(String(time)) } });

const eventOrder = { topic: 'pm.book', alongside: ['pm.resolution'], awaiting: 'prediction.v1', waitMs: 5_000 } as const;

async function tradeMarkers(): Promise<{ markers: ConsumedMarkers; reopenGate: ReturnType<typeof vi.fn>; warn: ReturnType<typeof vi.fn> }> {
  const reopenGate = vi.fn();
  const warn = vi.fn();
  const markers = new ConsumedMarkers({ eventOrder, groupId: 'trade', reopenGate, logger: { warn } as unknown as Logger });
  await markers.open(admin, (t) => `x.${t}`);
  return { markers, reopenGate, warn };
}

describe('ConsumedMarkers', () => {
  it('gives each topic its markers in the order they are read, and no input time without eventOrder', async () => {
    const markers = new ConsumedMarkers({ eventOrder: undefined, groupId: 'features', reopenGate: () => undefined });
    // Without eventOrder it asks the broker nothing.
    await markers.open(() => Promise.reject(new Error('no admin without eventOrder')), (t) => t);
    const books: Progress[] = [];
    markers.progress('pm.book').subscribe((p) => books.push(p));
    expect(markers.saw('pm.book', 1, 200)).toBeUndefined();
    expect(markers.saw('pm.trade', 0, 300)).toBeUndefined();
    expect(markers.saw('pm.book', 0, 100)).toBeUndefined();
    expect(books).toEqual([
      { partition: 1, time: 200 },
      { partition: 0, time: 100 },
    ]);
    expect(markers.gateBehind()).toBe(false);
    expect(markers.snapshot()).toBeUndefined();
    let completed = false;
    markers.progress('pm.book').subscribe({ complete: () => (completed = true) });
    markers.complete();
    expect(completed).toBe(true);
  });

  it('opens the gate once every awaited partition is marked, and moves the input time to the least over every topic', async () => {
    const { markers, reopenGate, warn } = await tradeMarkers();
    // No awaited partition marked yet: the gate's wait may not run out, and it says why once.
    expect(markers.gateBehind()).toBe(true);
    expect(markers.gateBehind()).toBe(true);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[1]).toMatch(/every prediction\.v1 partition has a progress marker/);
    expect(markers.saw('prediction.v1', 0, 100)).toBeUndefined();
    expect(reopenGate).not.toHaveBeenCalled();
    expect(markers.takeAwaitedMoved()).toBe(false);
    expect(markers.saw('prediction.v1', 1, 50)).toBeUndefined();
    expect(reopenGate).toHaveBeenCalledTimes(1);
    expect(markers.takeAwaitedMoved()).toBe(true);
    expect(markers.takeAwaitedMoved()).toBe(false);
    expect(markers.gateBehind()).toBe(false);
    expect(markers.passes(book(51))).toBe(true);
    expect(markers.passes(book(52))).toBe(false);
    // The input time: the least over the books', the resolutions' and the predictions' partitions.
    expect(markers.saw('pm.book', 0, 80)).toBeUndefined();
    expect(markers.saw('pm.book', 1, 90)).toBeUndefined();
    expect(markers.saw('pm.resolution', 0, 70)).toBeUndefined();
    expect(markers.saw('pm.resolution', 1, 60)).toBe(50);
    expect(markers.saw('prediction.v1', 1, 120)).toBe(60);
    // A topic outside the event order moves nothing.
    expect(markers.saw('pm.trade', 0, 1_000)).toBeUndefined();
  });

  it('holds the gate while the awaited topic has records on the broker not read; other topics do not count', async () => {
    const { markers } = await tradeMarkers();
    markers.saw('prediction.v1', 0, 10);
    markers.saw('prediction.v1', 1, 10);
    markers.fetched('pm.book', 0, '10', '5');
    expect(markers.gateBehind()).toBe(false);
    markers.fetched('prediction.v1', 1, '10', '5');
    expect(markers.gateBehind()).toBe(true);
    markers.fetched('prediction.v1', 1, '10', '9');
    expect(markers.gateBehind()).toBe(false);
  });

  it('forgets the input after a join without a rebuild, everything after a rebuild, and restores a checkpoint', async () => {
    const { markers } = await tradeMarkers();
    for (const topic of ['prediction.v1', 'pm.book', 'pm.resolution'] as const) {
      markers.saw(topic, 0, 100);
      expect(markers.saw(topic, 1, 100)).toBe(topic === 'pm.resolution' ? 100 : undefined);
    }
    const checkpoint = markers.snapshot();
    expect(checkpoint?.awaited).toEqual([
      [0, 100],
      [1, 100],
    ]);
    markers.forgetInput();
    // The awaited topic stays known: the books' markers alone move the input time again.
    expect(markers.gateBehind()).toBe(false);
    markers.saw('pm.book', 0, 100);
    markers.saw('pm.book', 1, 100);
    markers.saw('pm.resolution', 0, 100);
    expect(markers.saw('pm.resolution', 1, 100)).toBe(100);
    markers.rebuilt(undefined);
    expect(markers.gateBehind()).toBe(true);
    expect(markers.passes(book(1))).toBe(false);
    // Restored from the checkpoint: its time is not given again, a later one is.
    markers.rebuilt(checkpoint);
    expect(markers.passes(book(101))).toBe(true);
    expect(markers.saw('pm.book', 0, 100)).toBeUndefined();
    markers.saw('pm.book', 0, 150);
    markers.saw('pm.book', 1, 150);
    markers.saw('pm.resolution', 0, 150);
    markers.saw('pm.resolution', 1, 150);
    expect(markers.saw('prediction.v1', 0, 150)).toBeUndefined();
    expect(markers.saw('prediction.v1', 1, 150)).toBe(150);
  });
});
