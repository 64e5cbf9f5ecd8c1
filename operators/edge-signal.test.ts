import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { assetId, eventId, marketId } from '../schemas/ids.js';
import type { MarketMeta } from '../schemas/market-meta.js';
import type { Prediction } from '../schemas/prediction.js';
import type { Signal } from '../schemas/signal.js';
import type { PriceMicros, SizeMicros } from '../schemas/units.js';
import {
  bestEdge,
  edgeSignal,
  edgeSignalStep,
  edgeStrength,
  initialEdgeSignalState,
  noEdge,
  resolveEdgeSignalOptions,
  signalFor,
  yesEdge,
  type EdgeSignalOptions,
  type EdgeSignalState,
} from './edge-signal.js';

// POLYMARKET.md §0 item 9.
const fees = {
  takerFeeRates: { crypto: 0.072, sports: 0.03, politics: 0.04, economics: 0.05, culture: 0.05, weather: 0.05, geopolitics: 0 },
  defaultTakerFeeRate: 0.05,
};
const A = assetId('111');
const B = assetId('222');
const M = marketId('0xm');
const MB = marketId('0xmb');

const px = (n: number) => n as PriceMicros;
const sz = (n: number) => n as SizeMicros;

function prediction(over: Partial<Prediction> = {}): Prediction {
  return {
    id: 'p1',
    featuresId: 'f1',
    assetId: A,
    market: M,
    ts: 1_000,
    dueTs: 1_000,
    modelVersion: 'v1',
    pModel: 0.66,
    pMarket: 0.49,
    confidence: 1,
    bestBid: px(480_000),
    bestAsk: px(500_000),
    bidDepth: sz(1_000_000_000),
    askDepth: sz(1_000_000_000),
    ...over,
  };
}

function meta(category: string, market = M): MarketMeta {
  return {
    market,
    eventId: eventId('e1'),
    question: 'q?',
    slug: 'q',
    category,
    outcomes: ['Yes', 'No'],
    assetIds: [A, B],
    tickSize: px(10_000),
    negRisk: false,
    startTs: 0,
    endTs: 10_000_000,
    ts: 0,
  };
}

/** Runs inputs through the pure step and collects the signals. */
function run(inputs: readonly (Prediction | MarketMeta)[], opts: Partial<EdgeSignalOptions> = {}): Signal[] {
  const o = resolveEdgeSignalOptions({ fees, ...opts });
  const s: EdgeSignalState = initialEdgeSignalState();
  const out: Signal[] = [];
  for (const input of inputs) {
    const signal = edgeSignalStep(s, input, o);
    if (signal !== undefined) out.push(signal);
  }
  return out;
}

describe('edge arithmetic', () => {
  it('YES edge = pModel - ask - rate·ask·(1 - ask), per category', () => {
    // pModel 0.66 at ask 0.50: raw edge 0.16, fee per share rate × 0.25.
    expect(yesEdge(0.66, px(500_000), 0.072)).toBeCloseTo(0.142, 12); // crypto: 0.16 - 0.018
    expect(yesEdge(0.66, px(500_000), 0.03)).toBeCloseTo(0.1525, 12); // sports: 0.16 - 0.0075
    expect(yesEdge(0.66, px(500_000), 0.05)).toBeCloseTo(0.1475, 12); // economics: 0.16 - 0.0125
    expect(yesEdge(0.66, px(500_000), 0)).toBeCloseTo(0.16, 12); // geopolitics
  });

  it('NO edge = (1 - pModel) - (1 - bid) - rate·(1 - bid)·bid', () => {
    // pModel 0.20, bid 0.40: NO costs 0.60 and pays with probability 0.80; fee rate × 0.6 × 0.4.
    expect(noEdge(0.2, px(400_000), 0.04)).toBeCloseTo(0.1904, 12); // politics: 0.2 - 0.0096
    expect(noEdge(0.2, px(400_000), 0.072)).toBeCloseTo(0.18272, 12); // crypto: 0.2 - 0.01728
  });

  it('bestEdge takes the positive side, priced as the bought side', () => {
    const yes = bestEdge(prediction(), 0.072);
    expect(yes).toMatchObject({ direction: 'YES', probability: 0.66, price: 500_000, liquidity: 1_000_000_000 });
    const no = bestEdge(prediction({ pModel: 0.2, bestBid: px(400_000), bestAsk: px(420_000), bidDepth: sz(7_000_000) }), 0.04);
    expect(no).toMatchObject({ direction: 'NO', price: 600_000, liquidity: 7_000_000 });
    expect(no?.probability).toBeCloseTo(0.8, 12);
    expect(no?.edge).toBeCloseTo(0.1904, 12);
  });

  it('no edge when the side is missing or neither side is positive', () => {
    expect(bestEdge(prediction({ bestAsk: px(-1) }), 0)).toBeUndefined();
    expect(bestEdge(prediction({ askDepth: sz(0) }), 0)).toBeUndefined();
    expect(bestEdge(prediction({ pModel: 0.2, bestBid: px(-1) }), 0)).toBeUndefined();
    expect(bestEdge(prediction({ pModel: 0.49 }), 0)).toBeUndefined(); // inside the spread
    expect(bestEdge(prediction({ pModel: Number.NaN }), 0)).toBeUndefined();
  });
});

describe('strength thresholds', () => {
  const t = { minEdge: 0.05, mediumEdge: 0.1, strongEdge: 0.15 };
  it('is strict at each boundary', () => {
    expect(edgeStrength(0.05, t)).toBeUndefined();
    expect(edgeStrength(0.050001, t)).toBe('WEAK');
    expect(edgeStrength(0.1, t)).toBe('WEAK');
    expect(edgeStrength(0.100001, t)).toBe('MEDIUM');
    expect(edgeStrength(0.15, t)).toBe('MEDIUM');
    expect(edgeStrength(0.150001, t)).toBe('STRONG');
  });

  it('applies the options end to end (edge exactly 0.125 with no fee)', () => {
    // 0.625 - 0.5 is exact in binary, so the comparison is exactly at the boundary.
    const p = prediction({ pModel: 0.625 });
    expect(run([meta('geopolitics'), p], { minEdge: 0.125, mediumEdge: 0.2, strongEdge: 0.3 })).toEqual([]);
    expect(run([meta('geopolitics'), p], { minEdge: 0.12, mediumEdge: 0.2, strongEdge: 0.3 })[0]?.strength).toBe('WEAK');
    expect(run([meta('geopolitics'), p], { mediumEdge: 0.125, strongEdge: 0.2 })[0]?.strength).toBe('WEAK');
    expect(run([meta('geopolitics'), p], { mediumEdge: 0.12, strongEdge: 0.2 })[0]?.strength).toBe('MEDIUM');
    expect(run([meta('geopolitics'), p], { strongEdge: 0.125 })[0]?.strength).toBe('MEDIUM');
    expect(run([meta('geopolitics'), p], { strongEdge: 0.12 })[0]?.strength).toBe('STRONG');
  });
});

describe('edgeSignalStep', () => {
  it("uses the fee of the market's category from meta", () => {
    expect(run([meta('crypto'), prediction()])[0]).toMatchObject({ strength: 'MEDIUM' }); // 0.142
    expect(run([meta('Sports'), prediction()])[0]).toMatchObject({ strength: 'STRONG' }); // 0.1525, case-insensitive
    expect(run([meta('geopolitics'), prediction()])[0]?.edge).toBeCloseTo(0.16, 12);
    // Meta of another market does not apply; without meta the default rate 0.05 prices it.
    const [noMeta] = run([meta('geopolitics', MB), prediction()]);
    expect(noMeta?.edge).toBeCloseTo(0.1475, 12);
    expect(noMeta?.strength).toBe('MEDIUM');
  });

  it('builds the whole signal for NO', () => {
    const p = prediction({ id: 'p7', pModel: 0.2, bestBid: px(400_000), bestAsk: px(420_000), bidDepth: sz(60_000_000), confidence: 0.9, ts: 5_000 });
    const [s] = run([meta('politics'), p]);
    expect(s).toEqual({
      id: 'sig:p7',
      predictionId: 'p7',
      assetId: A,
      market: M,
      ts: 5_000,
      direction: 'NO',
      strength: 'STRONG',
      probability: expect.closeTo(0.8, 12) as number,
      price: 600_000,
      edge: expect.closeTo(0.1904, 12) as number,
      confidence: 0.9,
      liquidity: 60_000_000,
    });
  });

  it('needs minLiquidity shares of depth on the side it takes', () => {
    const o = { minLiquidity: 50 };
    expect(run([prediction({ askDepth: sz(49_999_999) })], o)).toEqual([]);
    expect(run([prediction({ askDepth: sz(50_000_000) })], o)).toHaveLength(1);
    // A NO signal reads bid depth, not ask depth.
    const no = { pModel: 0.2, bestBid: px(400_000), bestAsk: px(420_000), askDepth: sz(1e12) };
    expect(run([prediction({ ...no, bidDepth: sz(49_999_999) })], o)).toEqual([]);
    expect(run([prediction({ ...no, bidDepth: sz(50_000_000) })], o)).toHaveLength(1);
  });

  it('needs minConfidence', () => {
    expect(run([prediction({ confidence: 0.59 })], { minConfidence: 0.6 })).toEqual([]);
    expect(run([prediction({ confidence: 0.6 })], { minConfidence: 0.6 })).toHaveLength(1);
    expect(run([prediction({ confidence: Number.NaN })])).toEqual([]);
  });

  it('holds a cooldown per asset in event time', () => {
    const at = (ts: number, asset = A) => prediction({ id: `p${ts}${asset}`, ts, assetId: asset });
    const out = run([at(0), at(30_000), at(30_000, B), at(59_999), at(60_000), at(90_000), at(120_000)], { cooldownMs: 60_000 });
    expect(out.map((s) => s.id)).toEqual(['sig:p0111', 'sig:p30000222', 'sig:p60000111', 'sig:p120000111']);
  });

  it('starts no cooldown when a prediction gives no signal', () => {
    const out = run([prediction({ ts: 0, pModel: 0.5 }), prediction({ id: 'p2', ts: 1 })], { cooldownMs: 60_000 });
    expect(out.map((s) => s.id)).toEqual(['sig:p2']);
  });

  it('signalFor is pure: same prediction, same signal', () => {
    const o = resolveEdgeSignalOptions({ fees });
    expect(signalFor(prediction(), 0.072, o)).toEqual(signalFor(prediction(), 0.072, o));
  });
});

describe('edgeSignal operator', () => {
  it('emits per the diagram (marbles)', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    scheduler.run(({ cold, expectObservable }) => {
      const inputs = {
        m: meta('crypto'),
        a: prediction({ id: 'a', ts: 0 }), // 0.142: MEDIUM
        b: prediction({ id: 'b', ts: 10_000 }), // in cooldown
        c: prediction({ id: 'c', ts: 20_000, pModel: 0.51 }), // in cooldown, and no edge anyway
        d: prediction({ id: 'd', ts: 61_000, pModel: 0.8 }), // 0.3 - 0.018 = 0.282: STRONG
        e: prediction({ id: 'e', ts: 62_000, assetId: B, pModel: 0.1, bestBid: px(300_000) }), // the market's second token: never traded
      };
      const source = cold('m-a-b-c-d-e-|', inputs);
      const first = signalFor(inputs.a, 0.072, resolveEdgeSignalOptions({ fees }));
      const second = signalFor(inputs.d, 0.072, resolveEdgeSignalOptions({ fees }));
      const third = signalFor(inputs.e, 0.072, resolveEdgeSignalOptions({ fees }));
      expect(first?.strength).toBe('MEDIUM');
      expect(second?.strength).toBe('STRONG');
      expect(third).toMatchObject({ direction: 'NO', strength: 'STRONG', price: 700_000 });
      expect(third?.edge).toBeCloseTo(0.18488, 12);
      expectObservable(source.pipe(edgeSignal({ fees }))).toBe('--x-----y---|', { x: first, y: second });
    });
  });

  it('trades only the first token of a market it has meta for; its complement is bought as NO', () => {
    const o = resolveEdgeSignalOptions({ fees });
    const s = initialEdgeSignalState();
    // Before meta, any token may signal.
    expect(edgeSignalStep(s, prediction({ id: 'b0', assetId: B, ts: 0 }), o)).toBeDefined();
    edgeSignalStep(s, meta('crypto'), o);
    expect(edgeSignalStep(s, prediction({ id: 'b1', assetId: B, ts: 500_000 }), o)).toBeUndefined();
    const no = edgeSignalStep(s, prediction({ id: 'a1', assetId: A, ts: 500_000, pModel: 0.1, bestBid: px(300_000) }), o);
    expect(no).toMatchObject({ direction: 'NO', assetId: A, price: 700_000 });
  });

  it('lets a stronger signal through a cooldown started by a weaker one, but not an equal one', () => {
    const o = resolveEdgeSignalOptions({ fees });
    const s = initialEdgeSignalState();
    edgeSignalStep(s, meta('geopolitics'), o); // fee 0: edge = pModel - ask
    const weak = edgeSignalStep(s, prediction({ id: 'w', ts: 0, pModel: 0.56 }), o); // 0.06
    const weak2 = edgeSignalStep(s, prediction({ id: 'w2', ts: 1_000, pModel: 0.57 }), o); // 0.07, WEAK again
    const strong = edgeSignalStep(s, prediction({ id: 's', ts: 2_000, pModel: 0.7 }), o); // 0.2
    const medium = edgeSignalStep(s, prediction({ id: 'm', ts: 3_000, pModel: 0.62 }), o); // 0.12 < STRONG
    expect([weak?.strength, weak2, strong?.strength, medium]).toEqual(['WEAK', undefined, 'STRONG', undefined]);
  });

  it('keeps state per subscription', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    scheduler.run(({ cold, expectObservable }) => {
      const p = prediction({ ts: 0 });
      const source = cold('a|', { a: p });
      const op = edgeSignal({ fees });
      const s = signalFor(p, 0.05, resolveEdgeSignalOptions({ fees }));
      expectObservable(source.pipe(op)).toBe('x|', { x: s });
      expectObservable(source.pipe(op)).toBe('x|', { x: s });
    });
  });
});
