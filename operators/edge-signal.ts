import type { OperatorFunction } from 'rxjs';
import { liveOptions, type LiveOptions } from './live-options.js';
import { stepOperator } from './step-operator.js';
import type { StateSlot } from '../runtime/state-registry.js';
import type { AssetId, MarketId } from '../schemas/ids.js';
import type { MarketMeta } from '../schemas/market-meta.js';
import type { Prediction } from '../schemas/prediction.js';
import type { Direction, Signal, Strength } from '../schemas/signal.js';
import { MICROS, type PriceMicros, type SizeMicros } from '../schemas/units.js';
import { takerFeePerShare, takerFeeRate, type TakerFeeOptions } from './taker-fee.js';

/** Options of `edgeSignal`. Edges are fractions of $1 per share, after the taker fee. */
export interface EdgeSignalOptions {
  /**
   * Taker fee rates by market category. A prediction whose market meta has not been seen yet is
   * priced with `defaultTakerFeeRate`, so set that to the highest rate to stay conservative.
   */
  readonly fees: TakerFeeOptions;
  /** WEAK when edge > minEdge. Default 0.05. */
  readonly minEdge?: number;
  /** MEDIUM when edge > mediumEdge. Default 0.10. */
  readonly mediumEdge?: number;
  /** STRONG when edge > strongEdge. Default 0.15. */
  readonly strongEdge?: number;
  /** Least book depth, in whole shares (not micro-shares), on the side the signal would take. Default 50. */
  readonly minLiquidity?: number;
  /** Least ensemble confidence. Default 0. */
  readonly minConfidence?: number;
  /** After a signal on an asset, no other signal on it until this much event time has passed. Default 60 000. */
  readonly cooldownMs?: number;
}

export const EDGE_SIGNAL_DEFAULTS = {
  minEdge: 0.05,
  mediumEdge: 0.1,
  strongEdge: 0.15,
  minLiquidity: 50,
  minConfidence: 0,
  cooldownMs: 60_000,
} as const;

export type ResolvedEdgeSignalOptions = Required<EdgeSignalOptions>;

export function resolveEdgeSignalOptions(opts: EdgeSignalOptions): ResolvedEdgeSignalOptions {
  return { ...EDGE_SIGNAL_DEFAULTS, ...opts };
}

/** Edge of buying this token at its best ask: pModel - ask - fee(ask). */
export function yesEdge(pModel: number, bestAsk: PriceMicros, feeRate: number): number {
  const ask = bestAsk / MICROS;
  return pModel - ask - takerFeePerShare(feeRate, ask);
}

/** Edge of buying the complement at 1 - best bid: (1 - pModel) - (1 - bid) - fee(1 - bid). */
export function noEdge(pModel: number, bestBid: PriceMicros, feeRate: number): number {
  const price = (MICROS - bestBid) / MICROS;
  return 1 - pModel - price - takerFeePerShare(feeRate, price);
}

/** The side a prediction would trade, before thresholds. */
export interface EdgeCandidate {
  readonly direction: Direction;
  readonly edge: number;
  readonly probability: number;
  readonly price: PriceMicros;
  readonly liquidity: SizeMicros;
}

// A side exists when it has a price strictly inside (0, 1) and some size.
const sideExists = (price: number, depth: number): boolean => price > 0 && price < MICROS && depth > 0;

/**
 * The better of the YES and NO edges, when it is positive and its side of the book exists.
 * yesEdge + noEdge = bid - ask - fees, so on an uncrossed book at most one of them is positive.
 */
export function bestEdge(p: Prediction, feeRate: number): EdgeCandidate | undefined {
  if (!Number.isFinite(p.pModel) || p.pModel < 0 || p.pModel > 1) return undefined;
  let best: EdgeCandidate | undefined;
  if (sideExists(p.bestAsk, p.askDepth)) {
    const edge = yesEdge(p.pModel, p.bestAsk, feeRate);
    if (edge > 0) best = { direction: 'YES', edge, probability: p.pModel, price: p.bestAsk, liquidity: p.askDepth };
  }
  if (sideExists(p.bestBid, p.bidDepth)) {
    const edge = noEdge(p.pModel, p.bestBid, feeRate);
    if (edge > 0 && (best === undefined || edge > best.edge)) {
      const price = (MICROS - p.bestBid) as PriceMicros;
      best = { direction: 'NO', edge, probability: 1 - p.pModel, price, liquidity: p.bidDepth };
    }
  }
  return best;
}

/** STRONG / MEDIUM / WEAK by strict comparison with the thresholds; undefined at or below minEdge. */
export function edgeStrength(
  edge: number,
  t: Pick<ResolvedEdgeSignalOptions, 'minEdge' | 'mediumEdge' | 'strongEdge'>,
): Strength | undefined {
  if (edge > t.strongEdge) return 'STRONG';
  if (edge > t.mediumEdge) return 'MEDIUM';
  if (edge > t.minEdge) return 'WEAK';
  return undefined;
}

/** The signal one prediction gives on its own (no cooldown): edge, strength, liquidity and confidence gates. */
export function signalFor(p: Prediction, feeRate: number, o: ResolvedEdgeSignalOptions): Signal | undefined {
  // `!(x >= min)` also rejects NaN.
  if (!(p.confidence >= o.minConfidence)) return undefined;
  const c = bestEdge(p, feeRate);
  if (c === undefined) return undefined;
  const strength = edgeStrength(c.edge, o);
  if (strength === undefined) return undefined;
  if (c.liquidity < o.minLiquidity * MICROS) return undefined;
  return {
    id: `sig:${p.id}`,
    predictionId: p.id,
    assetId: p.assetId,
    market: p.market,
    ts: p.ts,
    direction: c.direction,
    strength,
    probability: c.probability,
    price: c.price,
    edge: c.edge,
    confidence: p.confidence,
    liquidity: c.liquidity,
  };
}

/**
 * Per-subscription state. Bounded by the market universe: one fee rate and traded token per
 * market seen in meta, one last signal per asset that signalled. A market whose meta has not been
 * seen has no traded token yet: its predictions are priced at the default fee and any token may
 * signal.
 */
export interface EdgeSignalState {
  readonly feeRateByMarket: Map<MarketId, number>;
  /**
   * The one token of each market that is traded: the first outcome (YES). Its complement is
   * bought as direction NO, so the system never holds both tokens of a market, i.e. never pays
   * spread and fees twice to hedge itself.
   */
  readonly tradedAsset: Map<MarketId, AssetId>;
  /** Last signal per asset: its time and strength rank, for the cooldown. */
  readonly lastSignal: Map<AssetId, { readonly ts: number; readonly rank: number }>;
}

export const initialEdgeSignalState = (): EdgeSignalState => ({
  feeRateByMarket: new Map(),
  tradedAsset: new Map(),
  lastSignal: new Map(),
});

const RANK: Readonly<Record<Strength, number>> = { WEAK: 1, MEDIUM: 2, STRONG: 3 };

const isPrediction = (x: Prediction | MarketMeta): x is Prediction => 'pModel' in x;

/** Step: updates the state in place (fee rate on a meta record, cooldown on a signal) and returns the signal, if any. */
export function edgeSignalStep(s: EdgeSignalState, input: Prediction | MarketMeta, o: ResolvedEdgeSignalOptions): Signal | undefined {
  if (!isPrediction(input)) {
    s.feeRateByMarket.set(input.market, takerFeeRate(o.fees, input.category));
    const first = input.assetIds[0];
    if (first !== undefined) s.tradedAsset.set(input.market, first);
    return undefined;
  }
  const traded = s.tradedAsset.get(input.market);
  if (traded !== undefined && traded !== input.assetId) return undefined;
  const rate = s.feeRateByMarket.get(input.market) ?? o.fees.defaultTakerFeeRate;
  const signal = signalFor(input, rate, o);
  if (signal === undefined) return undefined;
  // Event time: a standing edge re-signals once per cooldown, however often the model re-predicts;
  // a stronger signal than the last one is not held back by it.
  const last = s.lastSignal.get(input.assetId);
  const rank = RANK[signal.strength];
  if (last !== undefined && input.ts - last.ts < o.cooldownMs && rank <= last.rank) return undefined;
  s.lastSignal.set(input.assetId, { ts: input.ts, rank });
  return signal;
}

/**
 * Turns predictions into trade signals: the edge of the model probability over the executable
 * price after the taker fee of the market's category (DESIGN.md §7). Meta records on the same
 * stream give each market's category; they emit nothing.
 *
 * @example
 * merge(meta$, predictions$).pipe(edgeSignal({ fees: { takerFeeRates: { crypto: 0.072 }, defaultTakerFeeRate: 0.072 } }))
 */
export function edgeSignal(opts: LiveOptions<EdgeSignalOptions>, slot?: StateSlot): OperatorFunction<Prediction | MarketMeta, Signal> {
  // A getter (settings changed at run time) is read per input; its thresholds apply from the next prediction on.
  const read = liveOptions(opts, resolveEdgeSignalOptions);
  return stepOperator(initialEdgeSignalState, (state, input: Prediction | MarketMeta) => edgeSignalStep(state, input, read()), { slot });
}
