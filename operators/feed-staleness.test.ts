import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { BookUpdate } from '../schemas/book-update.js';
import { assetId, marketId } from '../schemas/ids.js';
import type { RiskEvent } from '../schemas/risk-event.js';
import type { PriceMicros } from '../schemas/units.js';
import { feedStaleness, noteBookUpdate, tripStaleAssets, type FeedStalenessState } from './feed-staleness.js';

const A = assetId('a');
const B = assetId('b');
const M = marketId('0xm');

function update(asset: typeof A, recvTs: number): BookUpdate {
  return { kind: 'delta', assetId: asset, market: M, ts: recvTs, recvTs, hash: '', changes: [], bestBid: -1 as PriceMicros, bestAsk: -1 as PriceMicros };
}

describe('feed-staleness kernels', () => {
  it('trips once per silence and resets on the next update', () => {
    const state: FeedStalenessState = new Map();
    expect(noteBookUpdate(state, update(A, 1_000))).toBeUndefined();
    expect(tripStaleAssets(state, 61_000, 60_000)).toEqual([]); // exactly the limit: not stale
    const [trip] = tripStaleAssets(state, 61_001, 60_000);
    expect(trip).toMatchObject({ rule: 'stale_book', action: 'trip', assetId: A, market: M, ts: 61_001 });
    expect(tripStaleAssets(state, 90_000, 60_000)).toEqual([]); // already tripped
    expect(noteBookUpdate(state, update(A, 95_000))).toMatchObject({ action: 'reset', ts: 95_000, reason: 'book updates again after 94000 ms' });
    expect(noteBookUpdate(state, update(A, 96_000))).toBeUndefined();
  });
});

describe('feedStaleness', () => {
  it('checks on the scheduler and emits trip/reset per asset (marble)', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ cold, expectObservable }) => {
      // virtual ms: a at 0 and 5; b at 2; a again at 40. Stale after 10 ms, checked every 4 ms.
      const source = cold<BookUpdate>('a 1ms b 2ms a 34ms c', { a: update(A, 0), b: update(B, 2), c: update(A, 40) });
      const out = source.pipe(feedStaleness({ staleAfterMs: 10, checkEveryMs: 4, scheduler: ts }));
      const trip = (asset: typeof A, at: number, silent: number): RiskEvent => ({
        id: `stale_book:${asset}:${at}:trip`,
        ts: at,
        rule: 'stale_book',
        action: 'trip',
        reason: `no book update for ${silent} ms (limit 10 ms)`,
        signalId: '',
        assetId: asset,
        market: M,
        eventId: '',
      });
      const reset: RiskEvent = {
        id: `stale_book:${A}:40:reset`,
        ts: 40,
        rule: 'stale_book',
        action: 'reset',
        reason: 'book updates again after 40 ms',
        signalId: '',
        assetId: A,
        market: M,
        eventId: '',
      };
      // a's last update at 0 -> stale at the check at 12; b (2) -> at 16; a resets at 40.
      expectObservable(out, '^ 50ms !').toBe('12ms x 3ms y 23ms z', { x: trip(A, 12, 12), y: trip(B, 16, 14), z: reset });
    });
  });
});
