import { describe, expect, it } from 'vitest';
import { HttpClient } from '../../runtime/http/http-client.js';
import { ManualClock } from '../../runtime/http/manual-clock.js';
import { PriceSeriesFetcher } from './price-series-fetcher.js';

/** A CLOB with one point per 100 s, that rejects ranges above `maxRange` as the real one words it. */
function clob(maxRange: number) {
  const asked: [number, number][] = [];
  const fetchFn = (async (input: string | URL | Request) => {
    const q = new URL(String(input)).searchParams;
    const start = Number(q.get('startTs'));
    const end = Number(q.get('endTs'));
    asked.push([start, end]);
    if (end - start > maxRange) return new Response('{"error":"invalid filters: \'startTs\' and \'endTs\' interval is too long"}', { status: 400 });
    const history = [];
    for (let t = Math.ceil(start / 100) * 100; t <= end; t += 100) history.push({ t, p: (t % 1000) / 1000 });
    history.push({ t: 'bad', p: 0.5 }, { t: start, p: 7 });
    return new Response(JSON.stringify({ history }), { status: 200 });
  }) as typeof fetch;
  return { client: new HttpClient({ baseUrl: 'https://clob.test', fetch: fetchFn, clock: new ManualClock() }), asked };
}

describe('PriceSeriesFetcher', () => {
  it('halves the chunk on "interval is too long", keeps the working size, and loses no point at chunk edges', async () => {
    const c = clob(2_500);
    const sizes: number[] = [];
    const f = new PriceSeriesFetcher({ clob: c.client, fidelityMinutes: 1, chunkSeconds: 10_000, onChunkSecondsChange: (s) => sizes.push(s) });
    const got = await f.fetch('1', 0, 10_000);
    expect(got.series).toEqual(Array.from({ length: 101 }, (_, i) => [i * 100, ((i * 100) % 1000) / 1000]));
    expect(sizes).toEqual([5_000, 2_500]);
    expect(f.rejections).toBe(2);
    expect(got.badPoints).toBeGreaterThan(0);
    // a second token starts at the remembered size: no more rejections
    c.asked.length = 0;
    await f.fetch('2', 0, 10_000);
    expect(f.rejections).toBe(2);
    expect(c.asked.every(([s, e]) => e - s <= 2_500)).toBe(true);
  });

  it('gives up with a clear error when even a two-bucket range is rejected', async () => {
    const f = new PriceSeriesFetcher({ clob: clob(10).client, fidelityMinutes: 1, chunkSeconds: 1_000 });
    await expect(f.fetch('1', 0, 1_000)).rejects.toMatchObject({ code: 'HISTORY_INTERVAL' });
  });

  it('passes other errors through untouched', async () => {
    const fetchFn = (async () => new Response('nope', { status: 404 })) as unknown as typeof fetch;
    const f = new PriceSeriesFetcher({ clob: new HttpClient({ baseUrl: 'https://clob.test', fetch: fetchFn }), fidelityMinutes: 60 });
    await expect(f.fetch('1', 0, 100)).rejects.toMatchObject({ code: 'HTTP_STATUS', status: 404 });
  });
});
