import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { consumedMessage } from '../../test/helpers/fake-kafka.js';
import { AwaitedProgress } from './awaited-progress.js';
import { TIME_HEADER } from './ingest-order.js';

const book = (time?: number): KafkaMessage => consumedMessage({ value: Buffer.alloc(0), headers: time === undefined ? {} : { [TIME_HEADER]: Buffer.from(String(time)) } });

describe('AwaitedProgress', () => {
  it('lets a record go once every partition has progressed to its time - 1, not before', () => {
    const awaited = new AwaitedProgress(3);
    expect(awaited.saw(0, 500)).toBe(false);
    expect(awaited.saw(1, 200)).toBe(false);
    expect(awaited.passes(book(100))).toBe(false);
    expect(awaited.saw(2, 300)).toBe(true);
    expect(awaited.passes(book(201))).toBe(true);
    expect(awaited.passes(book(202))).toBe(false);
    // A marker that goes back, or does not move the least, changes nothing.
    expect(awaited.saw(1, 150)).toBe(false);
    expect(awaited.saw(0, 900)).toBe(false);
    expect(awaited.saw(1, 400)).toBe(true);
    expect(awaited.passes(book(301))).toBe(true);
    expect(awaited.passes(book(302))).toBe(false);
  });

  it('knows when a partition has records on the broker not read yet, and refuses a topic without partitions', () => {
    const awaited = new AwaitedProgress(2);
    awaited.fetched(0, true);
    awaited.fetched(1, false);
    expect(awaited.behind).toBe(true);
    awaited.fetched(0, false);
    expect(awaited.behind).toBe(false);
    awaited.fetched(1, true);
    awaited.clear();
    expect(awaited.behind).toBe(false);
    expect(() => new AwaitedProgress(0)).toThrow(/no partitions/);
  });

  it('lets a record without a receive time go, and holds everything timed again once cleared', () => {
    const awaited = new AwaitedProgress(1);
    awaited.saw(0, 1_000);
    expect(awaited.passes(book(1_000))).toBe(true);
    awaited.clear();
    expect(awaited.passes(book(2))).toBe(false);
    expect(awaited.passes(book())).toBe(true);
  });
});
