/**
 * Pages of Gamma markets from `GET /markets/keyset` (POLYMARKET.md B.4 "Keyset details"): the first
 * page without a cursor, then `after_cursor=<next_cursor>`; answers `{"markets":[...],
 * "next_cursor":"..."}` with at most 100 markets, no `next_cursor` on the last page; `offset` is
 * rejected and never sent. `closed` is always sent explicitly (Gamma applies an implicit
 * `closed=false` otherwise). A page that repeats the previous one, or a cursor already followed,
 * ends the listing (Polymarket/agents#227 saw the cursor ignored), as does `maxPages`.
 */
import { PolyflowError } from '../../runtime/errors.js';
import type { HttpClient, QueryValue } from '../../runtime/http/http-client.js';

export const GAMMA_PAGE_LIMIT = 100;

export interface GammaMarketPagesOptions {
  readonly gamma: HttpClient;
  readonly query: Record<string, QueryValue>;
  readonly maxPages?: number;
  readonly signal?: AbortSignal;
}

export async function* gammaMarketPages(options: GammaMarketPagesOptions): AsyncGenerator<unknown[]> {
  const followed = new Set<string>();
  let cursor: string | null = null;
  let previousIds = '';
  const maxPages = options.maxPages ?? 100;
  for (let page = 0; page < maxPages; page++) {
    const body = await options.gamma.getJson('/markets/keyset', {
      query: { limit: GAMMA_PAGE_LIMIT, ...options.query, after_cursor: cursor },
      rateLimitKey: 'gamma/markets',
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    const markets = (body as { markets?: unknown } | null)?.markets;
    if (!Array.isArray(markets)) {
      throw new PolyflowError('GAMMA_BAD_RESPONSE', `/markets/keyset answered without a markets array: ${JSON.stringify(body).slice(0, 120)}`, {
        retriable: true,
      });
    }
    const ids = markets.map((m) => String((m as { id?: unknown } | null)?.id)).join(',');
    if (markets.length > 0 && ids === previousIds) return;
    previousIds = ids;
    yield markets;
    const next = (body as { next_cursor?: unknown }).next_cursor;
    if (typeof next !== 'string' || next === '' || markets.length === 0 || followed.has(next)) return;
    followed.add(next);
    cursor = next;
  }
}
