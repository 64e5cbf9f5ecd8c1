/**
 * Pages of closed markets from Gamma `GET /markets/keyset` (POLYMARKET.md B.4, "Keyset details"):
 * the first page without a cursor, each next one with `after_cursor=<next_cursor>`; answers are
 * `{"markets":[…],"next_cursor":"…"}` with at most 100 markets, and `next_cursor` is absent on the
 * last page. `closed=true` is always sent: without it Gamma applies an implicit `closed=false`.
 * `offset` is never sent (keyset rejects it). Because one report (Polymarket/agents#227, 2026-04)
 * saw the cursor ignored and the first page served again, a page whose `next_cursor` was already
 * followed, or whose market ids equal the previous page's, ends the listing with `repeated`.
 */
import { PolyflowError } from '../../runtime/errors.js';
import type { HttpClient, QueryValue } from '../../runtime/http/http-client.js';

export const GAMMA_KEYSET_PAGE_LIMIT = 100;

export interface GammaPage {
  markets: unknown[];
  /** The cursor this page was asked with (null: the first page). */
  cursor: string | null;
  /** Where the next page starts; null on the last page. */
  nextCursor: string | null;
}

export interface GammaKeysetOptions {
  gamma: HttpClient;
  /** Extra filters, e.g. `{ volume_num_min: 1000 }`. */
  filters?: Record<string, QueryValue>;
  /** Resume from this cursor (null/undefined: from the start). */
  startCursor?: string | null;
  limit?: number;
  signal?: AbortSignal;
  /** Called when the server served a page again instead of advancing. */
  onRepeat?: (cursor: string | null) => void;
}

export async function* gammaKeysetPages(options: GammaKeysetOptions): AsyncGenerator<GammaPage> {
  const followed = new Set<string>();
  let cursor = options.startCursor ?? null;
  let previousIds: string | undefined;
  for (;;) {
    const body = await options.gamma.getJson('/markets/keyset', {
      query: { ...options.filters, closed: true, limit: options.limit ?? GAMMA_KEYSET_PAGE_LIMIT, after_cursor: cursor },
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    if (typeof body !== 'object' || body === null || !Array.isArray((body as { markets?: unknown }).markets)) {
      throw new PolyflowError('GAMMA_BAD_RESPONSE', `/markets/keyset answered without a markets array: ${JSON.stringify(body).slice(0, 120)}`);
    }
    const markets = (body as { markets: unknown[] }).markets;
    const next = (body as { next_cursor?: unknown }).next_cursor;
    const nextCursor = typeof next === 'string' && next !== '' ? next : null;
    const ids = markets.map((m) => (typeof m === 'object' && m !== null ? String((m as { id?: unknown }).id) : '')).join(',');
    if (markets.length > 0 && ids === previousIds) {
      options.onRepeat?.(cursor);
      return;
    }
    previousIds = ids;
    yield { markets, cursor, nextCursor };
    if (nextCursor === null || markets.length === 0) return;
    if (followed.has(nextCursor) || nextCursor === cursor) {
      options.onRepeat?.(cursor);
      return;
    }
    followed.add(nextCursor);
    cursor = nextCursor;
  }
}
