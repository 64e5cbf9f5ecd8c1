import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TappedRecord } from '../../bench/bus-tap.js';
import { OriginClock } from '../../bench/kafka/origin-clock.js';

const book = (assetId: string, ts: number): TappedRecord => ({ topic: 'pm.book', key: assetId, value: { assetId, ts }, by: 'ingest' });

describe('OriginClock (bench:kafka latency)', () => {
  afterEach(() => vi.restoreAllMocks());

  it("measures each output from its input's publish, to its arrival and to its Kafka timestamp, and the reader's hop from that timestamp", () => {
    let now = 1_000;
    let wall = 5_000_000;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    vi.spyOn(Date, 'now').mockImplementation(() => wall);
    const clock = new OriginClock();
    clock.published(book('warm', 1));
    clock.startMeasuring(1_500);
    now = 2_000;
    wall += 7;
    clock.published(book('a', 10));
    clock.published(book('b', 20));
    now = 2_040;
    wall += 40;
    // Written by features 30 ms after the input went out: the reader's hop is the last 10 ms.
    clock.arrived('features.v1', { id: 'f1', assetId: 'a', ts: 10 }, wall - 10);
    clock.arrived('features.v1', { id: 'f1', assetId: 'a', ts: 10 }, wall - 10);
    clock.arrived('features.v1', { id: 'f0', assetId: 'warm', ts: 1 }, wall - 5);
    clock.arrived('features.v1', { id: 'f9', assetId: 'nobody', ts: 1 }, wall - 5);
    now = 2_100;
    wall += 60;
    clock.arrived('fill.v1', { id: 'x1', assetId: 'b', ts: 20 });

    const stages = clock.summary();
    expect(stages['features.v1']).toMatchObject({ count: 1, p50: 40, p99: 40 });
    expect(stages['fill.v1']).toMatchObject({ count: 1, p50: 100 });
    expect(clock.duplicates).toBe(1);
    expect(clock.unmatched).toBe(1);
    const hops = clock.readerHopSummary();
    expect(hops['features.v1']).toMatchObject({ count: 1, p50: 10 });
    // No Kafka timestamp (the memory bus): no hop.
    expect(hops['fill.v1']).toMatchObject({ count: 0, p50: null });
    // Made 30 ms after its input went out (wall clock): 40 at arrival less the reader's 10.
    const made = clock.producedSummary();
    expect(made['features.v1']).toMatchObject({ count: 1, p50: 30, p99: 30 });
    expect(made['fill.v1']).toMatchObject({ count: 0, p50: null });
  });
});
