import { Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { BookUpdate } from '../schemas/book-update.js';
import type { AssetId, MarketId } from '../schemas/ids.js';
import type { RiskEvent } from '../schemas/risk-event.js';

export interface FeedStalenessOptions {
  /** An asset with no book update for longer than this is stale. */
  readonly staleAfterMs: number;
  /** How often the assets are checked (the scheduler's clock). */
  readonly checkEveryMs: number;
  readonly scheduler: SchedulerLike;
}

/** Per-asset state: receive time of the last update, and whether a trip is out. */
export interface FeedStalenessEntry {
  market: MarketId;
  lastRecvTs: number;
  tripped: boolean;
}

export type FeedStalenessState = Map<AssetId, FeedStalenessEntry>;

/** Kernel, on an update: records it; returns the `reset` to emit when the asset was tripped. */
export function noteBookUpdate(state: FeedStalenessState, u: BookUpdate): RiskEvent | undefined {
  const e = state.get(u.assetId);
  if (e === undefined) {
    state.set(u.assetId, { market: u.market, lastRecvTs: u.recvTs, tripped: false });
    return undefined;
  }
  const silentMs = u.recvTs - e.lastRecvTs;
  e.lastRecvTs = Math.max(e.lastRecvTs, u.recvTs);
  e.market = u.market;
  if (!e.tripped) return undefined;
  e.tripped = false;
  return staleEvent(u.assetId, e.market, u.recvTs, 'reset', `book updates again after ${silentMs} ms`);
}

/** Kernel, on a check at `now`: trips every asset silent for longer than `staleAfterMs`. */
export function tripStaleAssets(state: FeedStalenessState, now: number, staleAfterMs: number): RiskEvent[] {
  const out: RiskEvent[] = [];
  for (const [asset, e] of state) {
    const silentMs = now - e.lastRecvTs;
    if (e.tripped || silentMs <= staleAfterMs) continue;
    e.tripped = true;
    out.push(staleEvent(asset, e.market, now, 'trip', `no book update for ${silentMs} ms (limit ${staleAfterMs} ms)`));
  }
  return out;
}

function staleEvent(asset: AssetId, market: MarketId, ts: number, action: 'trip' | 'reset', reason: string): RiskEvent {
  return { id: `stale_book:${asset}:${ts}:${action}`, ts, rule: 'stale_book', action, reason, signalId: '', assetId: asset, market, eventId: '' };
}

/**
 * Stale-feed breaker per asset: `risk.event` records with rule `stale_book`, a `trip` when an
 * asset's book has been silent (by receive time) for more than `staleAfterMs` at a check, and a
 * `reset` with its next update. Checks run every `checkEveryMs` on the injected scheduler (real
 * live, virtual in replays and tests), so detection lags by at most one check. Assets are the ones
 * seen on the input; state is per subscription.
 *
 * @example
 * bus.topic('pm.book').pipe(feedStaleness({ staleAfterMs: 60_000, checkEveryMs: 5_000, scheduler }))
 */
export function feedStaleness(opts: FeedStalenessOptions): OperatorFunction<BookUpdate, RiskEvent> {
  if (!(opts.staleAfterMs > 0 && opts.checkEveryMs > 0)) throw new RangeError('feedStaleness: staleAfterMs and checkEveryMs must be > 0');
  return (source) =>
    new Observable<RiskEvent>((subscriber) => {
      const state: FeedStalenessState = new Map();
      const timer = opts.scheduler.schedule(function check() {
        for (const event of tripStaleAssets(state, opts.scheduler.now(), opts.staleAfterMs)) subscriber.next(event);
        this.schedule(undefined, opts.checkEveryMs);
      }, opts.checkEveryMs);
      const sub = source.subscribe({
        next: (u) => {
          const reset = noteBookUpdate(state, u);
          if (reset !== undefined) subscriber.next(reset);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
      return () => {
        timer.unsubscribe();
        sub.unsubscribe();
      };
    });
}
