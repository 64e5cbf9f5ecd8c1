import { from, toArray, lastValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { ArbitrageOpportunity } from '../schemas/arbitrage-opportunity.js';
import type { BookUpdate, Level } from '../schemas/book-update.js';
import { assetId, eventId, marketId, type AssetId, type MarketId } from '../schemas/ids.js';
import type { MarketMeta } from '../schemas/market-meta.js';
import type { PriceMicros, SizeMicros } from '../schemas/units.js';
import { arbitrage, arbitrageStep, initialArbitrageState, type ArbitrageInput, type ArbitrageOptions } from './arbitrage.js';
import { sizeSet } from './arbitrage-sizing.js';
import { applyBookUpdate } from './order-book.js';
import type { L2Book } from './l2-book.js';

const SHARE = 1_000_000;
const FEES = { takerFeeRates: { geopolitics: 0, economics: 0.05, politics: 0.04 }, defaultTakerFeeRate: 0.05 };
const px = (p: number): PriceMicros => Math.round(p * SHARE) as PriceMicros;
const sz = (shares: number): SizeMicros => Math.round(shares * SHARE) as SizeMicros;
const lv = (levels: [number, number][]): Level[] => levels.map(([p, q]) => ({ price: px(p), size: sz(q) }));

function meta(market: string, category: string, opts: { event?: string; negRisk?: boolean } = {}): MarketMeta {
  return {
    market: marketId(market),
    eventId: eventId(opts.event ?? `ev-${market}`),
    question: `q ${market}`,
    slug: market,
    category,
    outcomes: ['Yes', 'No'],
    assetIds: [assetId(`${market}-yes`), assetId(`${market}-no`)],
    tickSize: px(0.01),
    negRisk: opts.negRisk ?? false,
    startTs: 0,
    endTs: 0,
    ts: 0,
  };
}
const yes = (m: string): AssetId => assetId(`${m}-yes`);
const no = (m: string): AssetId => assetId(`${m}-no`);

/** Feeds inputs through one state, building real L2 books from snapshots. */
function harness(opts: Partial<ArbitrageOptions> = {}) {
  const state = initialArbitrageState();
  const books = new Map<AssetId, L2Book>();
  const o = { minEdge: 0, ttlMs: 5_000, maxLevels: 50, duplicatePairs: [], ...opts, fees: FEES };
  const out: ArbitrageOpportunity[] = [];
  const feed = (input: ArbitrageInput): ArbitrageOpportunity[] => {
    const got = arbitrageStep(state, input, o, FEES) ?? [];
    out.push(...got);
    return got;
  };
  return {
    out,
    meta: (m: MarketMeta) => feed({ kind: 'meta', meta: m }),
    resolve: (market: string, ts: number) =>
      feed({ kind: 'resolution', resolution: { market: marketId(market), ts, winningAssetId: yes(market), winningOutcome: 'Yes' } }),
    book: (asset: AssetId, market: string, ts: number, bids: [number, number][], asks: [number, number][]) => {
      const update: BookUpdate = { kind: 'snapshot', assetId: asset, market: marketId(market), ts, recvTs: ts, hash: '', bids: lv(bids), asks: lv(asks), tickSize: px(0.01) };
      return feed({ kind: 'book', change: applyBookUpdate(books, update) });
    },
  };
}

describe('sizeSet (depth and fees)', () => {
  it('walks both ask ladders while the set stays profitable, with no fee', () => {
    const h = harness();
    h.meta(meta('0xa', 'geopolitics'));
    h.book(yes('0xa'), '0xa', 1, [], [[0.45, 100], [0.47, 200]]);
    const [opp] = h.book(no('0xa'), '0xa', 2, [], [[0.5, 150], [0.52, 100]]);
    // 100 sets at 0.45+0.50 (0.05 each), 50 at 0.47+0.50 (0.03), 100 at 0.47+0.52 (0.01); NO ladder then ends.
    expect(opp).toMatchObject({ kind: 'complement_buy', size: sz(250), profit: 7_500_000, expiresTs: 2 + 5_000 });
    expect(opp!.edge).toBeCloseTo(7.5 / 250, 12);
    expect(opp!.prices).toEqual([px(0.45), px(0.5)]);
    expect(opp!.limitPrices).toEqual([px(0.47), px(0.52)]);
    expect(opp!.assetIds).toEqual([yes('0xa'), no('0xa')]);
  });

  it('charges rate·p·(1−p) per share on each leg and stops where fees eat the edge', () => {
    const h = harness();
    h.meta(meta('0xb', 'economics')); // rate 0.05
    h.book(yes('0xb'), '0xb', 1, [], [[0.45, 100], [0.47, 200]]);
    const [opp] = h.book(no('0xb'), '0xb', 2, [], [[0.5, 150], [0.52, 100]]);
    const fee = (p: number): number => 0.05 * p * (1 - p);
    const u1 = 1 - 0.45 - 0.5 - fee(0.45) - fee(0.5); // 0.025125 on 100 sets
    const u2 = 1 - 0.47 - 0.5 - fee(0.47) - fee(0.5); // 0.005045 on 50 sets
    expect(1 - 0.47 - 0.52 - fee(0.47) - fee(0.52)).toBeLessThan(0); // third step is a loss: stop
    expect(opp!.size).toBe(sz(150));
    expect(opp!.profit).toBe(Math.floor((u1 * 100 + u2 * 50) * SHARE));
    expect(opp!.limitPrices).toEqual([px(0.47), px(0.5)]);
  });

  it('finds nothing at exactly $1 without fees, nor at $0.99 when fees exceed the cent', () => {
    const h = harness();
    h.meta(meta('0xc', 'geopolitics'));
    h.book(yes('0xc'), '0xc', 1, [], [[0.45, 100]]);
    expect(h.book(no('0xc'), '0xc', 2, [], [[0.55, 100]])).toEqual([]);
    h.meta(meta('0xd', 'politics')); // 0.04·0.49·0.51 + 0.04·0.5·0.5 = 0.019996 > 0.01
    h.book(yes('0xd'), '0xd', 1, [], [[0.49, 100]]);
    expect(h.book(no('0xd'), '0xd', 2, [], [[0.5, 100]])).toEqual([]);
    h.meta(meta('0xe', 'geopolitics'));
    h.book(yes('0xe'), '0xe', 1, [], [[0.49, 100]]);
    expect(h.book(no('0xe'), '0xe', 2, [], [[0.5, 100]])).toHaveLength(1);
  });

  it('respects minEdge', () => {
    const h = harness({ minEdge: 0.02 });
    h.meta(meta('0xf', 'geopolitics'));
    h.book(yes('0xf'), '0xf', 1, [], [[0.49, 100]]);
    expect(h.book(no('0xf'), '0xf', 2, [], [[0.5, 100]])).toEqual([]);
  });

  it('sizes the sell side (split $1, sell both) on bids', () => {
    const h = harness();
    h.meta(meta('0xg', 'geopolitics'));
    h.book(yes('0xg'), '0xg', 1, [[0.55, 40], [0.54, 100]], [[0.6, 10]]);
    const [opp] = h.book(no('0xg'), '0xg', 2, [[0.5, 100]], [[0.7, 10]]);
    // 40 sets at 0.55+0.50 (0.05), 60 at 0.54+0.50 (0.04); then the NO bids end.
    expect(opp).toMatchObject({ kind: 'complement_sell', size: sz(100), profit: Math.round((40 * 0.05 + 60 * 0.04) * SHARE) });
  });

  it('needs every leg to have a side', () => {
    expect(sizeSet([], 'buy', 0, 10)).toBeUndefined();
  });
});

describe('arbitrage episodes', () => {
  it('emits once per episode, again after the book moved away, and again after the TTL while standing', () => {
    const h = harness({ ttlMs: 1_000 });
    h.meta(meta('0xa', 'geopolitics'));
    h.book(yes('0xa'), '0xa', 1, [], [[0.45, 100]]);
    expect(h.book(no('0xa'), '0xa', 10, [], [[0.5, 100]])).toHaveLength(1);
    // Still mispriced, deeper level changes: same episode.
    expect(h.book(no('0xa'), '0xa', 20, [], [[0.5, 100], [0.6, 5]])).toEqual([]);
    expect(h.book(yes('0xa'), '0xa', 30, [], [[0.46, 80]])).toEqual([]);
    // The book moves away: the episode ends.
    expect(h.book(no('0xa'), '0xa', 40, [], [[0.6, 100]])).toEqual([]);
    // It comes back: a new episode with a new id and expiry.
    const [again] = h.book(no('0xa'), '0xa', 50, [], [[0.5, 100]]);
    expect(again).toMatchObject({ ts: 50, expiresTs: 1_050, id: 'arb:complement_buy:market:0xa:50' });
    // Standing past its expiry: reported again.
    expect(h.book(yes('0xa'), '0xa', 1_049, [], [[0.46, 80]])).toEqual([]);
    expect(h.book(yes('0xa'), '0xa', 1_050, [], [[0.46, 80]])).toHaveLength(1);
    expect(h.out.map((o) => o.ts)).toEqual([10, 50, 1_050]);
  });

  it('ignores books that are not consistent (crossed)', () => {
    const h = harness();
    h.meta(meta('0xa', 'geopolitics'));
    h.book(yes('0xa'), '0xa', 1, [[0.47, 10]], [[0.45, 100]]); // crossed: bid >= ask
    expect(h.book(no('0xa'), '0xa', 2, [], [[0.5, 100]])).toEqual([]);
  });

  it('sums the YES asks of a neg-risk event, and leaves non-exclusive ladders alone', () => {
    const h = harness();
    for (const m of ['0x1', '0x2', '0x3']) h.meta(meta(m, 'geopolitics', { event: 'E', negRisk: true }));
    for (const m of ['0x4', '0x5']) h.meta(meta(m, 'geopolitics', { event: 'L', negRisk: false }));
    h.book(yes('0x1'), '0x1', 1, [], [[0.3, 50]]);
    h.book(yes('0x2'), '0x2', 2, [], [[0.3, 80]]);
    const [opp] = h.book(yes('0x3'), '0x3', 3, [], [[0.35, 20], [0.38, 100]]);
    // 20 sets at 0.95 (0.05), 30 more at 0.98 (0.02); the first ladder ends at 50.
    expect(opp).toMatchObject({ kind: 'neg_risk_buy', eventId: 'E', size: sz(50), profit: Math.round((20 * 0.05 + 30 * 0.02) * SHARE) });
    expect(opp!.markets).toEqual(['0x1', '0x2', '0x3']);
    h.book(yes('0x4'), '0x4', 4, [], [[0.3, 50]]);
    expect(h.book(yes('0x5'), '0x5', 5, [], [[0.3, 50]])).toEqual([]);
  });

  it('pairs YES of one listing with NO of its duplicate (config pairs)', () => {
    const h = harness({ duplicatePairs: [['0xa', '0xb']] });
    h.meta(meta('0xa', 'geopolitics'));
    h.meta(meta('0xb', 'geopolitics'));
    h.book(yes('0xa'), '0xa', 1, [], [[0.4, 100]]);
    h.book(no('0xa'), '0xa', 2, [], [[0.7, 100]]);
    h.book(yes('0xb'), '0xb', 3, [], [[0.5, 100]]);
    const got = h.book(no('0xb'), '0xb', 4, [], [[0.55, 30]]);
    // YES(a) 0.40 + NO(b) 0.55 = 0.95 -> 30 sets; YES(b) 0.50 + NO(a) 0.70 = 1.20 -> none.
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ kind: 'duplicate', markets: ['0xa', '0xb'], assetIds: [yes('0xa'), no('0xb')], size: sz(30) });
  });

  it('drops a resolved market', () => {
    const h = harness();
    h.meta(meta('0xa', 'geopolitics'));
    h.book(yes('0xa'), '0xa', 1, [], [[0.45, 100]]);
    h.resolve('0xa', 2);
    expect(h.book(no('0xa'), '0xa', 3, [], [[0.5, 100]])).toEqual([]);
  });
});

describe('arbitrage operator', () => {
  it('reads options from a live getter: a raised minEdge stops the next opportunity', async () => {
    let options: ArbitrageOptions = { fees: FEES, minEdge: 0 };
    const books = new Map<AssetId, L2Book>();
    const snap = (asset: AssetId, market: MarketId, ts: number, asks: [number, number][]): ArbitrageInput => ({
      kind: 'book',
      change: applyBookUpdate(books, { kind: 'snapshot', assetId: asset, market, ts, recvTs: ts, hash: '', bids: [], asks: lv(asks), tickSize: px(0.01) }),
    });
    const m1 = meta('0xa', 'geopolitics');
    const m2 = meta('0xb', 'geopolitics');
    const inputs = function* (): Generator<ArbitrageInput> {
      yield { kind: 'meta', meta: m1 };
      yield { kind: 'meta', meta: m2 };
      yield snap(yes('0xa'), m1.market, 1, [[0.45, 10]]);
      yield snap(no('0xa'), m1.market, 2, [[0.5, 10]]); // edge 0.05 at minEdge 0: reported
      options = { fees: FEES, minEdge: 0.1 };
      yield snap(yes('0xb'), m2.market, 3, [[0.45, 10]]);
      yield snap(no('0xb'), m2.market, 4, [[0.5, 10]]); // edge 0.05 at minEdge 0.1: not
    };
    const got = await lastValueFrom(from(inputs()).pipe(arbitrage(() => options), toArray()));
    expect(got.map((o) => o.markets[0])).toEqual(['0xa']);
  });
});
