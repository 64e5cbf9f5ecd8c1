import type { OperatorFunction } from 'rxjs';
import type { StateSlot } from '../runtime/state-registry.js';
import type { FeatureVector } from '../schemas/feature-vector.js';
import type { AssetId, MarketId } from '../schemas/ids.js';
import type { Prediction } from '../schemas/prediction.js';
import type { Resolution } from '../schemas/resolution.js';
import type { RiskEvent } from '../schemas/risk-event.js';
import { stepOperator } from './step-operator.js';

/**
 * Model drift: (1) population stability of each feature against the training reference, over a
 * window of recent vectors; (2) rolling Brier of the model minus the market's over the last
 * resolved markets (each market's last prediction before it resolved). Emits a `risk.event`
 * `model_drift` `trip` when either crosses its threshold and `reset` when both are back under.
 */

/** A feature's training distribution: quantile bin edges and the share of rows per bin (+1 bin for NaN). */
export interface FeatureReference {
  readonly name: string;
  readonly index: number;
  /** Ascending inner edges; bin b holds edges[b-1] <= x < edges[b]. */
  readonly edges: readonly number[];
  /** edges.length + 2 shares: the bins, then NaN. */
  readonly expected: readonly number[];
}

export interface DriftReference {
  readonly modelVersion: string;
  readonly features: readonly FeatureReference[];
}

export type DriftInput =
  | { readonly kind: 'features'; readonly vector: FeatureVector }
  | { readonly kind: 'prediction'; readonly prediction: Prediction }
  | { readonly kind: 'resolution'; readonly resolution: Resolution };

export interface DriftMonitorOptions {
  readonly reference: DriftReference;
  /** Vectors in the PSI window (default 2000); PSI is checked every `checkEvery` vectors (default 500). */
  readonly windowSize?: number;
  readonly checkEvery?: number;
  /** Trip when any feature's PSI exceeds this (default 0.25, the usual "major shift"). */
  readonly psiThreshold?: number;
  /** Resolved markets in the Brier window (default 50); trip when model - market exceeds brierMargin (default 0.02). */
  readonly brierWindow?: number;
  readonly brierMargin?: number;
}

const PSI_EPS = 1e-4;

export function binOf(edges: readonly number[], x: number): number {
  if (Number.isNaN(x)) return edges.length + 1;
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function psi(expected: readonly number[], actual: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i]!, PSI_EPS);
    const a = Math.max(actual[i] ?? 0, PSI_EPS);
    s += (a - e) * Math.log(a / e);
  }
  return s;
}

/** Reference from training rows (values in spec order): `bins` quantile bins per named feature. */
export function driftReference(modelVersion: string, names: readonly string[], used: readonly string[], rows: readonly (readonly number[])[], bins = 10): DriftReference {
  const features = used.map((name) => {
    const index = names.indexOf(name);
    const vals = rows.map((r) => r[index] ?? NaN);
    const finite = vals.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
    const edges = [...new Set(Array.from({ length: bins - 1 }, (_, i) => finite[Math.floor(((i + 1) * finite.length) / bins)]).filter((v): v is number => v !== undefined))];
    const counts = new Array<number>(edges.length + 2).fill(0);
    for (const v of vals) counts[binOf(edges, v)]!++;
    return { name, index, edges, expected: counts.map((c) => c / Math.max(1, vals.length)) };
  });
  return { modelVersion, features };
}

export interface DriftMonitorState {
  /** Ring of bin indices per feature, per vector. */
  readonly ring: Int32Array;
  filled: number;
  next: number;
  sinceCheck: number;
  worstPsi: number;
  worstFeature: string;
  readonly lastPrediction: Map<AssetId, { readonly market: MarketId; readonly pModel: number; readonly pMarket: number }>;
  /** Recent resolved (model sq. error, market sq. error). */
  readonly resolved: { model: number; market: number }[];
  tripped: boolean;
}

export function initialDriftState(opts: DriftMonitorOptions): DriftMonitorState {
  const n = opts.windowSize ?? 2000;
  return {
    ring: new Int32Array(n * opts.reference.features.length),
    filled: 0,
    next: 0,
    sinceCheck: 0,
    worstPsi: 0,
    worstFeature: '',
    lastPrediction: new Map(),
    resolved: [],
    tripped: false,
  };
}

function checkPsi(state: DriftMonitorState, opts: DriftMonitorOptions): void {
  const feats = opts.reference.features;
  state.worstPsi = 0;
  state.worstFeature = '';
  feats.forEach((f, j) => {
    const counts = new Array<number>(f.expected.length).fill(0);
    for (let r = 0; r < state.filled; r++) counts[state.ring[r * feats.length + j]!]!++;
    const p = psi(f.expected, counts.map((c) => c / state.filled));
    if (p > state.worstPsi) {
      state.worstPsi = p;
      state.worstFeature = f.name;
    }
  });
}

export function driftStep(state: DriftMonitorState, input: DriftInput, opts: DriftMonitorOptions): RiskEvent | undefined {
  const windowSize = opts.windowSize ?? 2000;
  const feats = opts.reference.features;
  let ts: number;
  switch (input.kind) {
    case 'features': {
      const v = input.vector;
      feats.forEach((f, j) => (state.ring[state.next * feats.length + j] = binOf(f.edges, v.values[f.index] ?? NaN)));
      state.next = (state.next + 1) % windowSize;
      state.filled = Math.min(windowSize, state.filled + 1);
      if (++state.sinceCheck < (opts.checkEvery ?? 500) || state.filled < windowSize) return undefined;
      state.sinceCheck = 0;
      checkPsi(state, opts);
      ts = v.ts;
      break;
    }
    case 'prediction': {
      const p = input.prediction;
      state.lastPrediction.set(p.assetId, { market: p.market, pModel: p.pModel, pMarket: p.pMarket });
      return undefined;
    }
    case 'resolution': {
      const res = input.resolution;
      for (const [asset, p] of state.lastPrediction) {
        if (p.market !== res.market) continue;
        state.lastPrediction.delete(asset);
        if (!Number.isFinite(p.pModel) || !Number.isFinite(p.pMarket)) continue;
        const y = asset === res.winningAssetId ? 1 : 0;
        state.resolved.push({ model: (p.pModel - y) ** 2, market: (p.pMarket - y) ** 2 });
      }
      const keep = opts.brierWindow ?? 50;
      if (state.resolved.length > keep) state.resolved.splice(0, state.resolved.length - keep);
      ts = res.ts;
      break;
    }
  }
  const window = opts.brierWindow ?? 50;
  const full = state.resolved.length >= window;
  const diff = full ? state.resolved.reduce((s, r) => s + r.model - r.market, 0) / state.resolved.length : 0;
  const psiBad = state.worstPsi > (opts.psiThreshold ?? 0.25);
  const brierBad = full && diff > (opts.brierMargin ?? 0.02);
  const bad = psiBad || brierBad;
  if (bad === state.tripped) return undefined;
  state.tripped = bad;
  const reason = bad
    ? [psiBad ? `PSI ${state.worstPsi.toFixed(3)} on ${state.worstFeature}` : '', brierBad ? `rolling Brier model - market ${diff.toFixed(4)} over ${state.resolved.length} resolved` : '']
        .filter((s) => s !== '')
        .join('; ')
    : `back within limits (max PSI ${state.worstPsi.toFixed(3)}, Brier diff ${diff.toFixed(4)})`;
  return {
    id: `drift:${opts.reference.modelVersion}:${ts}:${bad ? 'trip' : 'reset'}`,
    ts,
    rule: 'model_drift',
    action: bad ? 'trip' : 'reset',
    reason: `model ${opts.reference.modelVersion}: ${reason}`,
    signalId: '',
    assetId: '',
    market: '',
    eventId: '',
  };
}

/**
 * @example
 * merge(features$.pipe(map((vector) => ({ kind: 'features', vector }) as const)), predictions$..., resolutions$...)
 *   .pipe(driftMonitor({ reference }))  // -> risk.event
 */
export function driftMonitor(opts: DriftMonitorOptions, slot?: StateSlot): OperatorFunction<DriftInput, RiskEvent> {
  return stepOperator(() => initialDriftState(opts), (s: DriftMonitorState, i: DriftInput) => driftStep(s, i, opts), { slot });
}
