import { portfolioSnapshot } from '../test/helpers/portfolio-snapshots.js';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { BookUpdate } from '../schemas/book-update.js';
import type { Fill } from '../schemas/fill.js';
import { assetId, eventId, marketId, type AssetId, type MarketId } from '../schemas/ids.js';
import type { MarketMeta } from '../schemas/market-meta.js';
import type { Order } from '../schemas/order.js';
import type { RiskEvent } from '../schemas/risk-event.js';
import type { Signal } from '../schemas/signal.js';
import type { PriceMicros, SizeMicros, UsdMicros } from '../schemas/units.js';
import {
  bookStale,
  dailyLossBreached,
  DAY_MS,
  drawdownBreached,
  fitToCap,
  initialRiskGateState,
  limitPriceFor,
  meetsMinSize,
  resolveRiskGateOptions,
  riskGate,
  riskGateStep,
  utcDay,
  type RiskGateInput,
  type RiskGateOptions,
  type RiskGateOutput,
} from './risk-gate.js';

const fees = {
  takerFeeRates: { crypto: 0.072, sports: 0.03, politics: 0.04, economics: 0.05, culture: 0.05, weather: 0.05, geopolitics: 0 },
  defaultTakerFeeRate: 0.05,
};
const bankroll = 1_000_000_000 as UsdMicros; // $1000
/** 01:00 UTC on 2023-12-09 (day 19700). */
const T0 = 19_700 * DAY_MS + 3_600_000;
const NEXT_DAY = 19_701 * DAY_MS;

const A1 = assetId('a1');
const A1N = assetId('a1n');
const A2 = assetId('a2');
const A3 = assetId('a3');
const M1 = marketId('m1');
const M2 = marketId('m2');
const M3 = marketId('m3');
const E1 = eventId('e1');
const E2 = eventId('e2');

/** No exposure caps: tests of one rule switch on only that rule. */
const uncapped = { bankroll, fees, maxMarketExposure: 1, maxEventExposure: 1, maxTotalExposure: 1 } satisfies RiskGateOptions;

const metaIn = (market: MarketId, event: typeof E1, assets: readonly AssetId[], category = 'geopolitics', tick = 10_000): RiskGateInput => ({
  kind: 'meta',
  meta: {
    market,
    eventId: event,
    question: 'q?',
    slug: 'q',
    category,
    outcomes: ['Yes', 'No'],
    assetIds: assets,
    tickSize: tick as PriceMicros,
    negRisk: false,
    startTs: 0,
    endTs: T0 + 10 * DAY_MS,
    ts: 0,
  } satisfies MarketMeta,
});
const universe: readonly RiskGateInput[] = [metaIn(M1, E1, [A1, A1N]), metaIn(M2, E1, [A2]), metaIn(M3, E2, [A3])];

const bookIn = (asset: AssetId, market: MarketId, ts: number): RiskGateInput => ({
  kind: 'book',
  update: { kind: 'delta', assetId: asset, market, ts, recvTs: ts, hash: '', changes: [], bestBid: -1 as PriceMicros, bestAsk: -1 as PriceMicros } satisfies BookUpdate,
});

function signal(over: Partial<Signal> = {}): Signal {
  return {
    id: 'sig:s1',
    predictionId: 's1',
    assetId: A1,
    market: M1,
    ts: T0 + 1_000,
    direction: 'YES',
    strength: 'STRONG',
    probability: 0.75, // f* = (0.75 - 0.5) / 0.5 = 0.5 with no fee; quarter Kelly on $1000 = $125
    price: 500_000 as PriceMicros,
    edge: 0.25,
    confidence: 1,
    liquidity: 1_000_000_000 as SizeMicros,
    ...over,
  };
}
const signalIn = (over: Partial<Signal> = {}): RiskGateInput => ({ kind: 'signal', signal: signal(over) });

/** A fill costing size × $0.50 + fee. */
const fillIn = (market: MarketId, asset: AssetId, size: number, fee = 0, ts = T0): RiskGateInput => ({
  kind: 'fill',
  fill: {
    id: `fill:${market}:${size}`,
    orderId: 'ord:x',
    assetId: asset,
    market,
    ts,
    direction: 'YES',
    price: 500_000 as PriceMicros,
    size: size as SizeMicros,
    fee: fee as UsdMicros,
    unfilled: 0 as SizeMicros,
  } satisfies Fill,
});

const snapshotIn = (equity: number, drawdown: number, ts: number, peak = 1_000_000_000): RiskGateInput => ({
  kind: 'portfolio',
  snapshot: portfolioSnapshot(ts, equity, { peakEquity: peak as UsdMicros, drawdown }),
});

const resolutionIn = (market: MarketId, winner: AssetId, ts: number): RiskGateInput => ({
  kind: 'resolution',
  resolution: { market, ts, winningAssetId: winner, winningOutcome: 'Yes' },
});

function gate(inputs: readonly RiskGateInput[], opts: RiskGateOptions = uncapped): RiskGateOutput[] {
  const o = resolveRiskGateOptions(opts);
  const s = initialRiskGateState(o.bankroll);
  return inputs.flatMap((i) => riskGateStep(s, i, o));
}

const fresh = [...universe, bookIn(A1, M1, T0)];

function order(over: Partial<Order> = {}): Order {
  return {
    id: 'ord:sig:s1',
    signalId: 'sig:s1',
    assetId: A1,
    market: M1,
    ts: T0 + 1_000,
    direction: 'YES',
    limitPrice: 510_000 as PriceMicros,
    size: 250_000_000 as SizeMicros,
    stake: 125_000_000 as UsdMicros,
    kellyFraction: 0.5,
    ...over,
  };
}

function blockOf(rule: RiskEvent['rule'], reason: string, over: Partial<RiskEvent> = {}): RiskEvent {
  return { id: `risk:${rule}:block:sig:s1`, ts: T0 + 1_000, rule, action: 'block', reason, signalId: 'sig:s1', assetId: A1, market: M1, eventId: E1, ...over };
}

function resizeOf(rule: RiskEvent['rule'], reason: string): RiskEvent {
  return { ...blockOf(rule, reason), id: `risk:${rule}:resize:sig:s1`, action: 'resize' };
}

describe('check kernels', () => {
  it('drawdown and daily loss trip at the limit', () => {
    expect(drawdownBreached(0.2, 0.2)).toBe(true);
    expect(drawdownBreached(0.1999, 0.2)).toBe(false);
    expect(dailyLossBreached(1_000_000_000, 950_000_000, 0.05)).toBe(true);
    expect(dailyLossBreached(1_000_000_000, 950_000_001, 0.05)).toBe(false);
  });

  it('a book is stale past staleBookMs, or when never seen', () => {
    expect(bookStale(301_000, 1_000, 300_000)).toBe(false);
    expect(bookStale(301_001, 1_000, 300_000)).toBe(true);
    expect(bookStale(0, undefined, 300_000)).toBe(true);
  });

  it('fitToCap, meetsMinSize, limitPriceFor, utcDay', () => {
    expect(fitToCap(125_000_000, 20_000_000, 0.05, 1_000_000_000)).toEqual({ limit: 50_000_000, room: 30_000_000, stake: 30_000_000 });
    expect(fitToCap(10_000_000, 20_000_000, 0.05, 1_000_000_000)).toEqual({ limit: 50_000_000, room: 30_000_000, stake: 10_000_000 });
    expect(fitToCap(10_000_000, 60_000_000, 0.05, 1_000_000_000)).toEqual({ limit: 50_000_000, room: -10_000_000, stake: 0 });
    expect(meetsMinSize(5_000_000 as SizeMicros, 5)).toBe(true);
    expect(meetsMinSize(4_999_999 as SizeMicros, 5)).toBe(false);
    expect(limitPriceFor(500_000 as PriceMicros, 10_000 as PriceMicros, 2)).toBe(520_000);
    expect(limitPriceFor(995_000 as PriceMicros, 10_000 as PriceMicros, 1)).toBe(999_999);
    expect(utcDay(NEXT_DAY - 1)).toBe(19_700);
    expect(utcDay(NEXT_DAY)).toBe(19_701);
  });
});

describe('riskGate sizing', () => {
  it('sizes quarter Kelly on equity and prices the limit one tick through', () => {
    expect(gate([...fresh, signalIn()])).toEqual([order()]);
  });

  it("charges the category's taker fee in the all-in cost", () => {
    // cost 0.5 + 0.072 × 0.25 = 0.518; f* = 0.182 / 0.482 = 91/241; stake floor(0.25 × 91/241 × 1e9) = 94_398_340;
    // size floor(94_398_340 / 0.518) = 182_236_177.
    const out = gate([metaIn(M1, E1, [A1], 'Crypto'), bookIn(A1, M1, T0), signalIn({ probability: 0.7 })]);
    expect(out).toEqual([order({ stake: 94_398_340 as UsdMicros, size: 182_236_177 as SizeMicros, kellyFraction: expect.closeTo(91 / 241, 12) as number })]);
  });

  it('takes the tick from meta or the latest tick-size change, and caps the limit below $1', () => {
    expect(gate([metaIn(M1, E1, [A1], 'geopolitics', 1_000), bookIn(A1, M1, T0), signalIn()])).toEqual([order({ limitPrice: 501_000 as PriceMicros })]);
    const tickChange: RiskGateInput = {
      kind: 'book',
      update: { kind: 'tick_size', assetId: A1, market: M1, ts: T0, recvTs: T0, hash: '', oldTickSize: 10_000 as PriceMicros, newTickSize: 1_000 as PriceMicros },
    };
    expect(gate([...universe, tickChange, signalIn()], { ...uncapped, maxSlippageTicks: 3 })).toEqual([order({ limitPrice: 503_000 as PriceMicros })]);
    const [near1] = gate([...fresh, signalIn({ probability: 0.999, price: 995_000 as PriceMicros })]);
    expect(near1).toMatchObject({ id: 'ord:sig:s1', limitPrice: 999_999 });
  });

  it('trades only the configured strengths, silently ignoring the rest', () => {
    expect(gate([...fresh, signalIn({ strength: 'WEAK' })])).toEqual([]);
    expect(gate([...fresh, signalIn({ strength: 'WEAK' })], { ...uncapped, tradeStrengths: ['WEAK'] })).toEqual([order()]);
    expect(gate([...fresh, signalIn({ strength: 'MEDIUM' })])).toEqual([order()]);
  });

  it('sizes NO like YES: the signal price is already the price of the bought side', () => {
    expect(gate([...fresh, signalIn({ direction: 'NO' })])).toEqual([order({ direction: 'NO' })]);
  });
});

describe('riskGate rules', () => {
  it('kill_switch blocks first', () => {
    const out = gate([...universe, signalIn()], { ...uncapped, killSwitch: true });
    expect(out).toEqual([blockOf('kill_switch', 'Blocked sig:s1: the kill switch is on.')]);
  });

  it('drawdown trips once at the limit, latches, and blocks', () => {
    const opts = { ...uncapped, maxDailyLoss: 1 };
    const trip: RiskEvent = {
      id: `risk:drawdown:trip:${T0 + 10}`,
      ts: T0 + 10,
      rule: 'drawdown',
      action: 'trip',
      reason: 'Drawdown breaker tripped: drawdown reached 20.00% (limit 20.00%) at equity $800 from peak $1000; new orders stay blocked for the rest of this run (it latches).',
      signalId: '',
      assetId: '',
      market: '',
      eventId: '',
    };
    const out = gate([...fresh, snapshotIn(800_000_000, 0.2, T0 + 10), snapshotIn(900_000_000, 0.1, T0 + 20), signalIn()], opts);
    expect(out).toEqual([
      trip,
      blockOf('drawdown', 'Blocked sig:s1: the drawdown breaker is tripped (drawdown reached 20.00% (limit 20.00%) at equity $800 from peak $1000).'),
    ]);
    // Just under the limit: no trip; the order is sized on the snapshot's equity ($801: 0.125 × 801 = $100.125).
    expect(gate([...fresh, snapshotIn(801_000_000, 0.199, T0 + 10), signalIn()], opts)).toEqual([
      order({ stake: 100_125_000 as UsdMicros, size: 200_250_000 as SizeMicros }),
    ]);
  });

  it('daily_loss trips at the limit, blocks for the day, and resets at the next UTC day', () => {
    const opts = { ...uncapped, maxDrawdown: 1 };
    const out = gate(
      [
        ...fresh,
        snapshotIn(950_000_000, 0.05, T0 + 10),
        snapshotIn(990_000_000, 0.01, T0 + 20), // recovering within the day does not reset it
        signalIn(),
        bookIn(A1, M1, NEXT_DAY + 5),
        signalIn({ id: 'sig:s2', ts: NEXT_DAY + 10 }),
      ],
      opts,
    );
    expect(out).toEqual([
      {
        id: `risk:daily_loss:trip:${T0 + 10}`,
        ts: T0 + 10,
        rule: 'daily_loss',
        action: 'trip',
        reason:
          'Daily loss breaker tripped: on UTC day 2023-12-09 equity $950 fell $50 (5.00%) below the day-start equity $1000, at or past the 5.00% limit; new orders are blocked until the next UTC day.',
        signalId: '',
        assetId: '',
        market: '',
        eventId: '',
      },
      blockOf(
        'daily_loss',
        'Blocked sig:s1: the daily loss breaker is tripped (on UTC day 2023-12-09 equity $950 fell $50 (5.00%) below the day-start equity $1000, at or past the 5.00% limit).',
      ),
      {
        id: `risk:daily_loss:reset:${NEXT_DAY + 5}`,
        ts: NEXT_DAY + 5,
        rule: 'daily_loss',
        action: 'reset',
        reason: 'Daily loss breaker reset: UTC day 2023-12-10 began with equity $990 as the new day-start equity.',
        signalId: '',
        assetId: '',
        market: '',
        eventId: '',
      },
      // 0.125 × $990 = $123.75 -> 247.5 shares.
      order({ id: 'ord:sig:s2', signalId: 'sig:s2', ts: NEXT_DAY + 10, stake: 123_750_000 as UsdMicros, size: 247_500_000 as SizeMicros }),
    ]);
  });

  it('daily_loss measures from the new day-start equity and does not trip one micro short', () => {
    const opts = { ...uncapped, maxDrawdown: 1 };
    expect(gate([...fresh, snapshotIn(950_000_001, 0, T0 + 10)], opts)).toEqual([]);
    // Day 2 starts at $900: 5% of it is $45, so $855 trips and $855.000001 does not.
    const day2 = [...fresh, snapshotIn(900_000_000, 0, NEXT_DAY - 1), bookIn(A1, M1, NEXT_DAY)];
    const trips = (equity: number) =>
      gate([...day2, snapshotIn(equity, 0, NEXT_DAY + 1)], opts).filter((e) => 'rule' in e && e.action === 'trip' && e.ts === NEXT_DAY + 1);
    expect(trips(855_000_001)).toEqual([]);
    expect(trips(855_000_000)).toHaveLength(1);
  });

  it('stale_book blocks a signal when its asset\'s book is older than staleBookMs by the gate\'s clock, or was never seen', () => {
    const fresh300 = [...universe, bookIn(A1, M1, T0), bookIn(A1N, M1, T0 + 200_000)];
    expect(gate([...fresh300, signalIn({ ts: T0 + 300_000 })])).toEqual([order({ ts: T0 + 300_000 })]);
    expect(gate([...fresh300, signalIn({ ts: T0 + 300_001 })])).toEqual([
      blockOf('stale_book', 'Blocked sig:s1: the book of asset a1 was last updated 300001 ms before the latest event, more than the 300000 ms limit.', {
        ts: T0 + 300_001,
      }),
    ]);
    // A signal stamped with its own book's time is still stale when the rest of the stream has moved on.
    const moved = [...universe, bookIn(A1, M1, T0), bookIn(A1N, M1, T0 + 400_000)];
    expect(gate([...moved, signalIn({ ts: T0 })])).toEqual([
      blockOf('stale_book', 'Blocked sig:s1: the book of asset a1 was last updated 400000 ms before the latest event, more than the 300000 ms limit.', { ts: T0 }),
    ]);
    expect(gate([...universe, bookIn(A1N, M1, T0), signalIn()])).toEqual([
      blockOf('stale_book', 'Blocked sig:s1: no book update has been seen for asset a1.'),
    ]);
  });

  it('market_resolved blocks a signal on a market that has resolved, even after its book moves again', () => {
    const resolved = [...universe, bookIn(A1, M1, T0), resolutionIn(M1, A1, T0 + 1), bookIn(A1, M1, T0 + 2), signalIn({ ts: T0 + 3 })];
    // The market's meta was released at resolution, so the block names no event.
    expect(gate(resolved)).toEqual([blockOf('market_resolved', `Blocked sig:s1: market ${M1} has already resolved.`, { ts: T0 + 3, eventId: '' })]);
  });

  it('model_drift blocks while the drift monitor has the breaker tripped, and lets signals through after its reset', () => {
    const drift = (action: 'trip' | 'reset', ts: number): RiskGateInput => ({
      kind: 'drift',
      event: { id: `drift:${action}`, ts, rule: 'model_drift', action, reason: 'PSI 0.4 on mid', signalId: '', assetId: '', market: '', eventId: '' },
    });
    const base = [...universe, bookIn(A1, M1, T0)];
    expect(gate([...base, drift('trip', T0), signalIn()])).toEqual([
      blockOf('model_drift', 'Blocked sig:s1: the model-drift breaker is tripped (PSI 0.4 on mid).'),
    ]);
    expect(gate([...base, drift('trip', T0), drift('reset', T0 + 500), signalIn()])).toEqual([order()]);
  });

  it('opposing_position blocks buying the other side of an asset already held', () => {
    const held = [...universe, bookIn(A1, M1, T0), fillIn(M1, A1, 1_000_000, 0), signalIn({ ts: T0 + 1, direction: 'NO' })];
    const out = gate(held);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ rule: 'opposing_position', action: 'block', signalId: 'sig:s1' });
  });

  it('checks in order: kill switch, drawdown, daily loss, stale book', () => {
    const both = [...universe, snapshotIn(700_000_000, 0.3, T0), signalIn()]; // drawdown and daily loss tripped, book never seen
    const rules = (opts: RiskGateOptions) => gate(both, opts).filter((e) => 'rule' in e && e.action === 'block').map((e) => ('rule' in e ? e.rule : ''));
    expect(rules({ ...uncapped, killSwitch: true })).toEqual(['kill_switch']);
    expect(rules(uncapped)).toEqual(['drawdown']);
    expect(rules({ ...uncapped, maxDrawdown: 1 })).toEqual(['daily_loss']);
    expect(rules({ ...uncapped, maxDrawdown: 1, maxDailyLoss: 1 })).toEqual(['stale_book']);
  });

  it('min_size blocks a Kelly stake below 5 shares', () => {
    expect(gate([...fresh, signalIn()], { ...uncapped, maxStake: 2_000_000 })).toEqual([
      blockOf(
        'min_size',
        'Blocked sig:s1: the Kelly stake $2 (f* 0.5000 × 0.25 of equity $1000, at most $2) buys 4 shares at an all-in cost of $0.5, below the 5-share minimum order.',
      ),
    ]);
    // $2.50 buys exactly 5 shares.
    expect(gate([...fresh, signalIn()], { ...uncapped, maxStake: 2_500_000 })).toEqual([order({ stake: 2_500_000 as UsdMicros, size: 5_000_000 as SizeMicros })]);
  });
});

describe('riskGate exposure caps', () => {
  it('resizes to the market cap; exposure is the cost basis of fills including fees', () => {
    // $20 of shares + $0.10 fee already in m1; cap 5% of $1000 = $50; room $29.90 -> 59.8 shares.
    const out = gate([...fresh, fillIn(M1, A1, 40_000_000, 100_000), signalIn()], { ...uncapped, maxMarketExposure: 0.05 });
    expect(out).toEqual([
      resizeOf(
        'market_cap',
        'Resized sig:s1: a stake of $125 would take market exposure from $20.1 to $145.1, above its cap of $50 (5.00% of equity $1000); stake cut to $29.9.',
      ),
      order({ stake: 29_900_000 as UsdMicros, size: 59_800_000 as SizeMicros }),
    ]);
  });

  it('resizes to the event cap, counting sibling markets of the event only', () => {
    // $80 in m2 (same event e1) and $300 in m3 (event e2); cap 10% = $100; room $20 -> 40 shares.
    const out = gate([...fresh, fillIn(M2, A2, 160_000_000), fillIn(M3, A3, 600_000_000), signalIn()], { ...uncapped, maxEventExposure: 0.1 });
    expect(out).toEqual([
      resizeOf(
        'event_cap',
        'Resized sig:s1: a stake of $125 would take event e1 exposure from $80 to $205, above its cap of $100 (10.00% of equity $1000); stake cut to $20.',
      ),
      order({ stake: 20_000_000 as UsdMicros, size: 40_000_000 as SizeMicros }),
    ]);
  });

  it('resizes to the total cap', () => {
    const out = gate([...fresh, fillIn(M3, A3, 800_000_000), signalIn()], { ...uncapped, maxTotalExposure: 0.5 });
    expect(out).toEqual([
      resizeOf(
        'total_cap',
        'Resized sig:s1: a stake of $125 would take total exposure from $400 to $525, above its cap of $500 (50.00% of equity $1000); stake cut to $100.',
      ),
      order({ stake: 100_000_000 as UsdMicros, size: 200_000_000 as SizeMicros }),
    ]);
  });

  it('applies every binding cap in turn, one resize event each', () => {
    // m1 holds $20 (market room $30); total holds $80 of a $100 cap (room $20).
    const out = gate([...fresh, fillIn(M1, A1, 40_000_000), fillIn(M3, A3, 120_000_000), signalIn()], {
      ...uncapped,
      maxMarketExposure: 0.05,
      maxTotalExposure: 0.1,
    });
    expect(out).toEqual([
      resizeOf(
        'market_cap',
        'Resized sig:s1: a stake of $125 would take market exposure from $20 to $145, above its cap of $50 (5.00% of equity $1000); stake cut to $30.',
      ),
      resizeOf(
        'total_cap',
        'Resized sig:s1: a stake of $30 would take total exposure from $80 to $110, above its cap of $100 (10.00% of equity $1000); stake cut to $20.',
      ),
      order({ stake: 20_000_000 as UsdMicros, size: 40_000_000 as SizeMicros }),
    ]);
  });

  it('blocks when a cap is already full', () => {
    const out = gate([...fresh, fillIn(M1, A1, 100_000_000), signalIn()], { ...uncapped, maxMarketExposure: 0.05 });
    expect(out).toEqual([blockOf('market_cap', 'Blocked sig:s1: market exposure $50 is already at or above its cap of $50 (5.00% of equity $1000).')]);
  });

  it('blocks with the binding cap when the room left is below the minimum size', () => {
    // $48 held, room $2 -> 4 shares.
    const out = gate([...fresh, fillIn(M1, A1, 96_000_000), signalIn()], { ...uncapped, maxMarketExposure: 0.05 });
    expect(out).toEqual([
      blockOf('market_cap', 'Blocked sig:s1: the market cap of $50 leaves room for $2, which buys 4 shares at an all-in cost of $0.5, below the 5-share minimum order.'),
    ]);
  });

  it('releases a market\'s exposure at its resolution', () => {
    const opts = { ...uncapped, maxTotalExposure: 0.5 };
    const full = [...fresh, fillIn(M3, A3, 1_000_000_000)];
    expect(gate([...full, signalIn()], opts)).toEqual([
      blockOf('total_cap', 'Blocked sig:s1: total exposure $500 is already at or above its cap of $500 (50.00% of equity $1000).'),
    ]);
    expect(gate([...full, resolutionIn(M3, A3, T0 + 500), signalIn()], opts)).toEqual([order()]);
  });
});

describe('riskGate operator', () => {
  it('emits orders and risk events per the diagram (marbles)', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    scheduler.run(({ cold, expectObservable }) => {
      const inputs: Record<string, RiskGateInput> = {
        m: metaIn(M1, E1, [A1, A1N]),
        b: bookIn(A1, M1, T0),
        f: fillIn(M1, A1, 40_000_000),
        s: signalIn(),
        d: snapshotIn(750_000_000, 0.25, T0 + 2_000),
        t: signalIn({ id: 'sig:s2', ts: T0 + 3_000 }),
      };
      const source = cold('m-b-f-s-----d-t-|', inputs);
      const expected = {
        r: resizeOf(
          'market_cap',
          'Resized sig:s1: a stake of $125 would take market exposure from $20 to $145, above its cap of $50 (5.00% of equity $1000); stake cut to $30.',
        ),
        o: order({ stake: 30_000_000 as UsdMicros, size: 60_000_000 as SizeMicros }),
        x: {
          id: `risk:drawdown:trip:${T0 + 2_000}`,
          ts: T0 + 2_000,
          rule: 'drawdown',
          action: 'trip',
          reason: 'Drawdown breaker tripped: drawdown reached 25.00% (limit 20.00%) at equity $750 from peak $1000; new orders stay blocked for the rest of this run (it latches).',
          signalId: '',
          assetId: '',
          market: '',
          eventId: '',
        } satisfies RiskEvent,
        y: blockOf(
          'drawdown',
          'Blocked sig:s2: the drawdown breaker is tripped (drawdown reached 25.00% (limit 20.00%) at equity $750 from peak $1000).',
          { id: 'risk:drawdown:block:sig:s2', ts: T0 + 3_000, signalId: 'sig:s2' },
        ),
      };
      expectObservable(source.pipe(riskGate({ bankroll, fees, maxMarketExposure: 0.05, maxDailyLoss: 1 }))).toBe('------(ro)--x-y-|', expected);
    });
  });
});
