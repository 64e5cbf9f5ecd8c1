/**
 * One outcome token's price series from CLOB `GET /prices-history` (POLYMARKET.md B.5): `market` =
 * the token id, an explicit `startTs`/`endTs` range (unix seconds; closed markets return nothing
 * useful for `interval`), `fidelity` in minutes; the answer is `{"history":[{"t":…,"p":…}]}`.
 * Long ranges are rejected with a 400 "interval is too long", whose limit is not documented: the
 * range is fetched in chunks, a rejected chunk is halved and retried, and the size that worked is
 * kept for every later token (and persisted by the caller).
 */
import { PolyflowError } from '../../runtime/errors.js';
import type { HttpClient } from '../../runtime/http/http-client.js';
import { HttpStatusError } from '../../runtime/http/http-errors.js';

export const DEFAULT_CHUNK_SECONDS = 30 * 86_400;

export interface PriceSeriesFetcherOptions {
  clob: HttpClient;
  fidelityMinutes: number;
  /** First chunk length to try (default 30 days), or the one a previous run found to work. */
  chunkSeconds?: number;
  /** Told when the chunk length changes, so it can be persisted. */
  onChunkSecondsChange?: (seconds: number) => void;
}

export interface FetchedSeries {
  series: [number, number][];
  /** Points dropped because t or p was unreadable or p outside [0, 1]. */
  badPoints: number;
}

/** The server's rejection of a range, as CLOB words it. */
export function isIntervalTooLong(err: unknown): boolean {
  return err instanceof HttpStatusError && err.status === 400 && /interval is too long/i.test(err.body);
}

export class PriceSeriesFetcher {
  private chunk: number;
  private readonly minChunk: number;
  /** Rejections seen ("interval is too long"), for the run summary. */
  rejections = 0;

  constructor(private readonly options: PriceSeriesFetcherOptions) {
    this.chunk = Math.max(1, Math.floor(options.chunkSeconds ?? DEFAULT_CHUNK_SECONDS));
    // Below two buckets a range cannot be split usefully any more.
    this.minChunk = Math.max(60, 2 * options.fidelityMinutes * 60);
  }

  get chunkSeconds(): number {
    return this.chunk;
  }

  /** Points with startSec <= t <= endSec, ascending, one per timestamp (the first seen). */
  async fetch(tokenId: string, startSec: number, endSec: number, signal?: AbortSignal): Promise<FetchedSeries> {
    const byTs = new Map<number, number>();
    let badPoints = 0;
    let from = startSec;
    while (from <= endSec) {
      const to = Math.min(endSec, from + this.chunk);
      let body: unknown;
      try {
        body = await this.options.clob.getJson('/prices-history', {
          query: { market: tokenId, startTs: from, endTs: to, fidelity: this.options.fidelityMinutes },
          ...(signal === undefined ? {} : { signal }),
        });
      } catch (err) {
        if (!isIntervalTooLong(err)) throw err;
        this.rejections++;
        const half = Math.floor(Math.min(this.chunk, to - from) / 2);
        if (half < this.minChunk) {
          throw new PolyflowError('HISTORY_INTERVAL', `/prices-history rejects even ${to - from} s ranges for token ${tokenId} ("interval is too long")`, { cause: err });
        }
        this.chunk = half;
        this.options.onChunkSecondsChange?.(half);
        continue;
      }
      badPoints += collectPoints(body, startSec, endSec, byTs);
      if (to >= endSec) break;
      // Chunks share their boundary second: whether endTs is inclusive or not, nothing is lost.
      from = to;
    }
    const series = [...byTs.entries()].sort((a, b) => a[0] - b[0]);
    return { series, badPoints };
  }
}

/** Adds the readable points of one response to `byTs`; returns how many were unreadable. */
function collectPoints(body: unknown, startSec: number, endSec: number, byTs: Map<number, number>): number {
  const history = typeof body === 'object' && body !== null && 'history' in body ? (body as { history: unknown }).history : undefined;
  if (!Array.isArray(history)) {
    throw new PolyflowError('HISTORY_BAD_RESPONSE', `/prices-history answered without a history array: ${JSON.stringify(body).slice(0, 120)}`);
  }
  let bad = 0;
  for (const point of history as unknown[]) {
    const t = typeof point === 'object' && point !== null ? (point as { t?: unknown }).t : undefined;
    const p = typeof point === 'object' && point !== null ? (point as { p?: unknown }).p : undefined;
    const price = typeof p === 'string' ? Number(p) : p;
    if (typeof t !== 'number' || !Number.isInteger(t) || typeof price !== 'number' || !(price >= 0 && price <= 1)) {
      bad++;
      continue;
    }
    if (t < startSec || t > endSec || byTs.has(t)) continue;
    byTs.set(t, price);
  }
  return bad;
}
