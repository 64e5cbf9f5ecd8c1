/**
 * Builds a training set of resolved Polymarket markets from Polymarket's own APIs, in the common
 * layout of ../shared/data/polymarket/<source>/. Two phases, both resumable:
 *  1. listing: closed markets page by page from Gamma `/markets/keyset`; each is filtered by the
 *     query, checked (winner, voided, shape) and either queued in collect-pending.jsonl or written
 *     to skipped.jsonl with its reason. The state file records the cursor after every page.
 *  2. prices: for each queued market, in listing order, every outcome token's series from CLOB
 *     `/prices-history`; series checks add flags; price lines then the market line are appended.
 * Markets already in markets.jsonl are never fetched again, so a stopped run continues where it
 * stopped, a repeated run appends nothing, and a run with a later --until appends only new markets.
 * Requests are sequential: the output order is the listing order, whatever happens.
 */
import { InputError } from '../../runtime/errors.js';
import { systemClock, type Clock } from '../../runtime/http/clock.js';
import type { HttpClient } from '../../runtime/http/http-client.js';
import { gammaKeysetPages } from './gamma-keyset-pages.js';
import { HistoryDirectory, type CollectState, type PendingMarket } from './history-directory.js';
import { writeHistoryManifest, type HistoryManifest } from './history-manifest.js';
import { historyQueryKey, type HistoryQuery } from './history-query.js';
import type { MarketFlag, MarketLine, PriceLine, SkipReason } from './history-records.js';
import { PriceSeriesFetcher } from './price-series-fetcher.js';
import { closedAtMillis, resolvedMarketLine, volumeUsd } from './resolved-market-line.js';

/** A series whose last point is more than this before trading ended is flagged (plus one bucket). */
export const DEFAULT_STALE_SECONDS = 86_400;

export interface CollectHistoryOptions {
  outDir: string;
  gamma: HttpClient;
  clob: HttpClient;
  query: HistoryQuery;
  /** Recorded in the manifest. */
  endpoints: { gamma: string; clob: string };
  clock?: Clock;
  signal?: AbortSignal;
  /** First /prices-history chunk to try when the directory has none remembered. */
  initialChunkSeconds?: number;
  pageLimit?: number;
  staleSeconds?: number;
  onProgress?: (progress: CollectProgress) => void;
}

export interface CollectProgress {
  phase: 'listing' | 'prices';
  pages: number;
  seen: number;
  /** Markets queued for price series (phase 2 total). */
  queued: number;
  /** Markets whose series were fetched this run. */
  done: number;
  appended: number;
  skipped: number;
  /** Estimated ms left in the prices phase; null while listing (the total is unknown). */
  etaMs: number | null;
}

export interface CollectSummary {
  pages: number;
  /** Market objects Gamma returned this run (a page read twice after a resume counts twice). */
  seen: number;
  outsideQuery: { beforeSince: number; notBeforeUntil: number; belowMinVolume: number };
  alreadyCollected: number;
  queued: number;
  appended: number;
  skipped: Partial<Record<SkipReason, number>>;
  flagged: Partial<Record<MarketFlag, number>>;
  series: number;
  points: number;
  badPoints: number;
  intervalRejections: number;
  chunkSeconds: number;
  /** The listing ended because Gamma served a page again (see gamma-keyset-pages.ts). */
  repeatedPage: boolean;
  truncatedBytes: number;
  manifest: HistoryManifest;
}

export async function collectHistory(options: CollectHistoryOptions): Promise<CollectSummary> {
  const { query, signal } = options;
  const clock = options.clock ?? systemClock;
  const dir = new HistoryDirectory(options.outDir);
  const { truncatedBytes } = dir.open();
  const key = historyQueryKey(query);
  const previous = dir.readState();
  if (previous !== undefined && previous.fidelity_minutes !== query.fidelityMinutes && dir.keptIds.size > 0) {
    throw new InputError(
      `history: ${options.outDir} holds series at fidelity ${previous.fidelity_minutes} min; use that --fidelity or another --out (prices.jsonl never mixes fidelities)`,
    );
  }
  const state: CollectState = previous ?? {
    version: 1,
    fidelity_minutes: query.fidelityMinutes,
    query_key: null,
    cursor: null,
    pages: 0,
    listing_done: false,
    chunk_seconds: null,
    runs: [],
  };
  state.fidelity_minutes = query.fidelityMinutes;
  if (state.query_key !== key) {
    // A different (or finished) query: its listing cannot be continued.
    state.query_key = key;
    state.cursor = null;
    state.pages = 0;
    state.listing_done = false;
    dir.clearPending();
  }
  const run = { started_at: new Date(clock.now()).toISOString(), finished_at: null as string | null, appended_markets: 0 };
  state.runs.push(run);
  dir.writeState(state);

  const summary: Omit<CollectSummary, 'manifest' | 'chunkSeconds'> = {
    pages: 0,
    seen: 0,
    outsideQuery: { beforeSince: 0, notBeforeUntil: 0, belowMinVolume: 0 },
    alreadyCollected: 0,
    queued: 0,
    appended: 0,
    skipped: {},
    flagged: {},
    series: 0,
    points: 0,
    badPoints: 0,
    intervalRejections: 0,
    repeatedPage: false,
    truncatedBytes,
  };
  const skippedTotal = (): number => Object.values(summary.skipped).reduce((a, b) => a + b, 0);
  const skip = (marketId: string, reason: SkipReason, detail: string): void => {
    summary.skipped[reason] = (summary.skipped[reason] ?? 0) + 1;
    dir.appendSkip({ market_id: marketId, reason, detail });
  };
  const progress = (phase: CollectProgress['phase'], done: number, etaMs: number | null): void =>
    options.onProgress?.({
      phase,
      pages: summary.pages,
      seen: summary.seen,
      queued: summary.queued,
      done,
      appended: summary.appended,
      skipped: skippedTotal(),
      etaMs,
    });

  // Phase 1: listing.
  if (!state.listing_done) {
    const filters = query.minVolumeUsd > 0 ? { volume_num_min: query.minVolumeUsd } : {};
    const pages = gammaKeysetPages({
      gamma: options.gamma,
      filters,
      startCursor: state.cursor,
      ...(options.pageLimit === undefined ? {} : { limit: options.pageLimit }),
      ...(signal === undefined ? {} : { signal }),
      onRepeat: () => {
        summary.repeatedPage = true;
      },
    });
    for await (const page of pages) {
      const queued: PendingMarket[] = [];
      for (const raw of page.markets) {
        summary.seen++;
        const closedAt = closedAtMillis(raw);
        if (query.sinceMs !== undefined && closedAt < query.sinceMs) {
          summary.outsideQuery.beforeSince++;
          continue;
        }
        if (query.untilMs !== undefined && closedAt >= query.untilMs) {
          summary.outsideQuery.notBeforeUntil++;
          continue;
        }
        const volume = volumeUsd(raw);
        if (query.minVolumeUsd > 0 && (volume === null || volume < query.minVolumeUsd)) {
          summary.outsideQuery.belowMinVolume++;
          continue;
        }
        if (dir.keptIds.has(gammaId(raw))) {
          summary.alreadyCollected++;
          continue;
        }
        const result = resolvedMarketLine(raw);
        if (!result.ok) {
          skip(result.marketId, result.reason, result.detail);
          continue;
        }
        queued.push({ line: result.line, start_ms: result.startMs, close_ms: result.closeMs });
      }
      dir.appendPending(queued);
      summary.pages++;
      state.pages++;
      state.cursor = page.nextCursor;
      dir.writeState(state);
      progress('listing', 0, null);
    }
    state.listing_done = true;
    dir.writeState(state);
  }

  // Phase 2: price series.
  const fetcher = new PriceSeriesFetcher({
    clob: options.clob,
    fidelityMinutes: query.fidelityMinutes,
    ...((state.chunk_seconds ?? options.initialChunkSeconds) === undefined ? {} : { chunkSeconds: (state.chunk_seconds ?? options.initialChunkSeconds) as number }),
    onChunkSecondsChange: (seconds) => {
      state.chunk_seconds = seconds;
      dir.writeState(state);
    },
  });
  let total = 0;
  for (const m of dir.pending()) if (!dir.keptIds.has(m.line.market_id)) total++;
  summary.queued = total;
  const staleSeconds = (options.staleSeconds ?? DEFAULT_STALE_SECONDS) + query.fidelityMinutes * 60;
  const phaseStart = clock.now();
  let done = 0;
  progress('prices', 0, null);
  for (const m of dir.pending()) {
    if (dir.keptIds.has(m.line.market_id)) continue;
    const tokens = m.line.token_ids;
    const reused = tokens.find((t, i) => dir.keptTokens.has(t) || tokens.indexOf(t) !== i);
    if (reused !== undefined) {
      skip(m.line.market_id, 'duplicate_token', `token ${reused} already belongs to a collected market (or repeats within this one)`);
    } else {
      const prices: PriceLine[] = [];
      for (const [i, token] of tokens.entries()) {
        const fetched = await fetcher.fetch(token, Math.floor(m.start_ms / 1000), Math.ceil(m.close_ms / 1000), signal);
        summary.badPoints += fetched.badPoints;
        summary.series++;
        summary.points += fetched.series.length;
        prices.push({ token_id: token, market_id: m.line.market_id, outcome: m.line.outcomes[i] ?? '', series: fetched.series });
      }
      const flags = seriesFlags(m.line, prices, staleSeconds);
      for (const flag of flags) summary.flagged[flag] = (summary.flagged[flag] ?? 0) + 1;
      dir.appendMarket({ ...m.line, flags }, prices);
      summary.appended++;
      run.appended_markets++;
    }
    done++;
    const elapsed = clock.now() - phaseStart;
    progress('prices', done, done > 0 ? Math.round((elapsed / done) * (total - done)) : null);
  }
  summary.intervalRejections = fetcher.rejections;

  dir.clearPending();
  state.query_key = null;
  state.cursor = null;
  state.listing_done = false;
  state.chunk_seconds = fetcher.chunkSeconds;
  run.finished_at = new Date(clock.now()).toISOString();
  dir.writeState(state);
  const manifest = writeHistoryManifest(dir, { query, endpoints: options.endpoints, staleSeconds });
  return { ...summary, chunkSeconds: fetcher.chunkSeconds, manifest };
}

/**
 * Data checks that need the series. Trading ends at the earlier of endDate and closedTime; a
 * series that stops more than `staleSeconds` before that, an empty series, or a last price on the
 * wrong side of 0.5 for the recorded winner is flagged, never silently kept.
 */
function seriesFlags(line: MarketLine, prices: readonly PriceLine[], staleSeconds: number): MarketFlag[] {
  const flags: MarketFlag[] = [];
  const tradingEnd = Math.min(Date.parse(line.end_date), Date.parse(line.closed_time)) / 1000;
  if (prices.some((p) => p.series.length === 0)) flags.push('series_missing');
  if (prices.some((p) => p.series.length > 0 && (p.series.at(-1)?.[0] ?? 0) < tradingEnd - staleSeconds)) flags.push('series_ends_early');
  const contradicts = prices.some((p) => {
    const last = p.series.at(-1)?.[1];
    if (last === undefined) return false;
    return p.outcome === line.winning_outcome ? last < 0.5 : last > 0.5;
  });
  if (contradicts) flags.push('last_price_contradicts_winner');
  return flags;
}

function gammaId(raw: unknown): string {
  const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : '';
}
