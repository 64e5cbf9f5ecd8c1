import { describe, expect, it } from 'vitest';
import { HttpClient } from '../../runtime/http/http-client.js';
import { ManualClock } from '../../runtime/http/manual-clock.js';
import { gammaKeysetPages, type GammaPage } from './gamma-keyset-pages.js';

/** A Gamma whose answers come from `pages(cursor)`; records the URLs asked for. */
function gamma(pages: (cursor: string | null) => unknown) {
  const urls: string[] = [];
  const fetchFn = (async (input: string | URL | Request) => {
    const url = new URL(String(input));
    urls.push(url.search);
    return new Response(JSON.stringify(pages(url.searchParams.get('after_cursor'))), { status: 200 });
  }) as typeof fetch;
  return { client: new HttpClient({ baseUrl: 'https://gamma.test', fetch: fetchFn, clock: new ManualClock() }), urls };
}

async function all(it: AsyncGenerator<GammaPage>): Promise<GammaPage[]> {
  const out: GammaPage[] = [];
  for await (const p of it) out.push(p);
  return out;
}

const markets = (...ids: number[]) => ids.map((id) => ({ id: String(id) }));

describe('gammaKeysetPages', () => {
  it('follows next_cursor with after_cursor until it is absent, always with closed=true and no offset', async () => {
    const g = gamma((c) => (c === null ? { markets: markets(1, 2), next_cursor: 'A' } : c === 'A' ? { markets: markets(3, 4), next_cursor: 'B' } : { markets: markets(5) }));
    const pages = await all(gammaKeysetPages({ gamma: g.client, limit: 2, filters: { volume_num_min: 10 } }));
    expect(pages.map((p) => [p.cursor, p.nextCursor, p.markets.length])).toEqual([
      [null, 'A', 2],
      ['A', 'B', 2],
      ['B', null, 1],
    ]);
    expect(g.urls).toEqual(['?volume_num_min=10&closed=true&limit=2', '?volume_num_min=10&closed=true&limit=2&after_cursor=A', '?volume_num_min=10&closed=true&limit=2&after_cursor=B']);
  });

  it('stops when the server ignores the cursor and serves the same page again (agents#227)', async () => {
    const g = gamma(() => ({ markets: markets(1, 2), next_cursor: 'SAME' }));
    const repeats: (string | null)[] = [];
    const pages = await all(gammaKeysetPages({ gamma: g.client, onRepeat: (c) => repeats.push(c) }));
    expect(pages).toHaveLength(1);
    expect(repeats).toEqual(['SAME']);
    expect(g.urls.length).toBeLessThanOrEqual(2);
  });

  it('stops on a cursor cycle even when the ids differ', async () => {
    const g = gamma((c) => (c === null ? { markets: markets(1), next_cursor: 'A' } : c === 'A' ? { markets: markets(2), next_cursor: 'B' } : { markets: markets(3), next_cursor: 'A' }));
    const repeats: (string | null)[] = [];
    const pages = await all(gammaKeysetPages({ gamma: g.client, onRepeat: (c) => repeats.push(c) }));
    expect(pages.map((p) => p.markets.length)).toEqual([1, 1, 1]);
    expect(repeats).toEqual(['B']);
  });

  it('resumes from a stored cursor and ends on an empty page', async () => {
    const g = gamma((c) => (c === 'K' ? { markets: [], next_cursor: 'L' } : { markets: markets(9) }));
    const pages = await all(gammaKeysetPages({ gamma: g.client, startCursor: 'K' }));
    expect(pages).toHaveLength(1);
    expect(g.urls[0]).toContain('after_cursor=K');
  });
});
