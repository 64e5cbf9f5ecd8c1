import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClickHouseSink, ClickHouseSinkError, type ClickHouseSinkOptions, type Row, type RowInserter } from './clickhouse-sink.js';
import { ClickHouseSinkMetrics } from './clickhouse-sink-metrics.js';

/** Records every insert; `gate` (when set) holds inserts until released; `failures` makes the next inserts throw. */
class FakeInserter implements RowInserter {
  readonly inserts: { table: string; rows: Row[] }[] = [];
  failures: unknown[] = [];
  gate: Promise<void> | undefined;
  calls = 0;
  async insert(table: string, rows: readonly Row[]): Promise<void> {
    this.calls++;
    if (this.gate !== undefined) await this.gate;
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    this.inserts.push({ table, rows: [...rows] });
  }
  rows(table: string): Row[] {
    return this.inserts.filter((i) => i.table === table).flatMap((i) => i.rows);
  }
}

const retriable = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
const fatal = Object.assign(new Error('Syntax error'), { code: '62' });

function sink(inserter: RowInserter, over: Partial<ClickHouseSinkOptions> = {}, registry = new Registry()): ClickHouseSink {
  return new ClickHouseSink(inserter, {
    run: 'r',
    session: 7,
    maxBatchRows: 3,
    flushIntervalMs: 1_000,
    maxBufferRows: 100,
    maxRetries: 3,
    retryBaseMs: 100,
    retryMaxMs: 250,
    metrics: new ClickHouseSinkMetrics(registry),
    ...over,
  });
}

const metric = async (registry: Registry, name: string): Promise<number> =>
  ((await registry.getSingleMetric(name)?.get())?.values ?? []).reduce((s, v) => s + v.value, 0);

describe('ClickHouseSink', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends a batch as soon as a table holds maxBatchRows, and stamps run, session and receive order', async () => {
    const fake = new FakeInserter();
    const s = sink(fake);
    for (let i = 0; i < 7; i++) s.write('t', { i });
    s.write('u', { i: 99 });
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.inserts.map((x) => [x.table, x.rows.length])).toEqual([
      ['t', 3],
      ['t', 3],
    ]);
    expect(fake.inserts[0]?.rows[0]).toEqual({ i: 0, run: 'r', session: 7, seq: 0 });
    expect(s.bufferedRows).toBe(2);
  });

  it('sends a partial batch flushIntervalMs after its first row, not before', async () => {
    const fake = new FakeInserter();
    const s = sink(fake);
    s.write('t', { i: 0 });
    await vi.advanceTimersByTimeAsync(999);
    expect(fake.inserts).toHaveLength(0);
    s.write('t', { i: 1 });
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.rows('t').map((r) => r['i'])).toEqual([0, 1]);
    expect(s.bufferedRows).toBe(0);
  });

  it('retries retriable failures with capped exponential backoff, then writes the batch once', async () => {
    const fake = new FakeInserter();
    const registry = new Registry();
    const s = sink(fake, {}, registry);
    fake.failures = [retriable, retriable, retriable];
    for (let i = 0; i < 3; i++) s.write('t', { i });
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(100); // 100 * 2^0
    expect(fake.calls).toBe(2);
    await vi.advanceTimersByTimeAsync(199); // 100 * 2^1 = 200: not yet
    expect(fake.calls).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.calls).toBe(3);
    await vi.advanceTimersByTimeAsync(250); // 400 capped at 250
    expect(fake.calls).toBe(4);
    expect(fake.rows('t')).toHaveLength(3);
    expect(await metric(registry, 'polyflow_clickhouse_insert_retries_total')).toBe(3);
    expect(await metric(registry, 'polyflow_clickhouse_rows_written_total')).toBe(3);
  });

  it('gives up on a non-retriable error at once, and on retries exhausted; later calls reject', async () => {
    const fake = new FakeInserter();
    const s = sink(fake);
    fake.failures = [fatal];
    s.write('t', { i: 0 });
    expect(s.blocked).toBe(false);
    const flushed = s.flush();
    await expect(flushed).rejects.toBeInstanceOf(ClickHouseSinkError);
    expect(fake.calls).toBe(1);
    // Below its row bound, yet the producer must stop: whenWritable rejects with the failure.
    expect(s.pressure).toBe(false);
    expect(s.blocked).toBe(true);
    await expect(s.whenWritable()).rejects.toBeInstanceOf(ClickHouseSinkError);
    s.write('t', { i: 1 }); // dropped, no throw inside a bus subscriber
    expect(fake.calls).toBe(1);

    const fake2 = new FakeInserter();
    const s2 = sink(fake2, { maxRetries: 1 });
    fake2.failures = [retriable, retriable];
    s2.write('t', { i: 0 });
    const closing = s2.close();
    const check = expect(closing).rejects.toThrow(/socket hang up/);
    await vi.advanceTimersByTimeAsync(100);
    await check;
    expect(fake2.calls).toBe(2);
  });

  it('turns pressure on at maxBufferRows and releases whenWritable once inserts free room', async () => {
    const fake = new FakeInserter();
    const registry = new Registry();
    const s = sink(fake, { maxBatchRows: 2, maxBufferRows: 4 }, registry);
    let release!: () => void;
    fake.gate = new Promise((r) => (release = r));
    for (let i = 0; i < 4; i++) s.write('t', { i });
    expect(s.pressure).toBe(true);
    expect(await metric(registry, 'polyflow_clickhouse_buffer_rows')).toBe(4);
    let writable = false;
    const waiting = s.whenWritable().then(() => (writable = true));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(writable).toBe(false); // the insert is held: memory stays bounded, the producer waits
    fake.gate = undefined;
    release();
    await waiting;
    expect(s.pressure).toBe(false);
    expect(s.bufferedRows).toBeLessThan(4);
  });

  it('flushes everything on close, across tables, and drops writes after it', async () => {
    const fake = new FakeInserter();
    const s = sink(fake, { maxBatchRows: 10 });
    s.write('a', { i: 0 });
    s.write('b', { i: 1 });
    s.write('a', { i: 2 });
    await s.close();
    expect(fake.rows('a').map((r) => r['seq'])).toEqual([0, 2]);
    expect(fake.rows('b').map((r) => r['seq'])).toEqual([1]);
    s.write('a', { i: 3 });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(fake.rows('a')).toHaveLength(2);
  });
});
