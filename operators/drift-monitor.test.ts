import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { FeatureVector } from '../schemas/feature-vector.js';
import { assetId, marketId } from '../schemas/ids.js';
import type { Prediction } from '../schemas/prediction.js';
import type { PriceMicros, SizeMicros } from '../schemas/units.js';
import { binOf, driftMonitor, driftReference, driftStep, initialDriftState, psi, type DriftInput } from './drift-monitor.js';

const vec = (ts: number, x: number): FeatureVector => ({
  id: `a:${ts}`, assetId: assetId('a'), market: marketId('m'), ts, recvTs: ts, specVersion: 'f1', values: [x],
  bestBid: -1 as PriceMicros, bestAsk: -1 as PriceMicros, bidDepth: 0 as SizeMicros, askDepth: 0 as SizeMicros,
});
const pred = (asset: string, market: string, pModel: number, pMarket: number): Prediction => ({
  id: `p:${asset}`, featuresId: '', assetId: assetId(asset), market: marketId(market), ts: 0, dueTs: 0, modelVersion: 'v', pModel, pMarket, confidence: 1,
  bestBid: -1 as PriceMicros, bestAsk: -1 as PriceMicros, bidDepth: 0 as SizeMicros, askDepth: 0 as SizeMicros,
});

describe('drift monitor', () => {
  // Reference: x uniform on 0..99 -> deciles with edges 10, 20, ..., 90.
  const reference = driftReference('v', ['x'], ['x'], Array.from({ length: 100 }, (_, i) => [i]));

  it('builds quantile bins and computes PSI by hand', () => {
    expect(reference.features[0]!.edges).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(binOf([10, 20], 5)).toBe(0);
    expect(binOf([10, 20], 10)).toBe(1);
    expect(binOf([10, 20], NaN)).toBe(3);
    // all mass in one of two equal bins: (1 - 0.5) ln(1/0.5) + (1e-4 - 0.5) ln(1e-4/0.5)
    expect(psi([0.5, 0.5], [1, 0])).toBeCloseTo(0.5 * Math.log(2) + (0.5 - 1e-4) * Math.log(0.5 / 1e-4), 10);
  });

  it('trips on a feature shift and resets when it is gone', () => {
    const opts = { reference, windowSize: 10, checkEvery: 10 };
    const s = initialDriftState(opts);
    const out = [];
    for (let i = 0; i < 10; i++) out.push(driftStep(s, { kind: 'features', vector: vec(i, i * 10 + 1) }, opts));
    expect(out.filter((e) => e !== undefined)).toEqual([]); // in distribution: PSI 0
    for (let i = 0; i < 10; i++) out.push(driftStep(s, { kind: 'features', vector: vec(100 + i, 99) }, opts));
    const trip = out.filter((e) => e !== undefined);
    expect(trip).toHaveLength(1);
    expect(trip[0]).toMatchObject({ rule: 'model_drift', action: 'trip', ts: 109 });
    for (let i = 0; i < 10; i++) out.push(driftStep(s, { kind: 'features', vector: vec(200 + i, i * 10 + 1) }, opts));
    expect(out.filter((e) => e !== undefined).map((e) => e!.action)).toEqual(['trip', 'reset']);
  });

  it('trips when the rolling Brier of the model is worse than the market by the margin', () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(({ cold, expectObservable }) => {
      // Two resolved markets: model 0.9 on losers (sq err 0.81), market 0.5 (0.25): diff 0.56 > 0.02.
      const inputs: Record<string, DriftInput> = {
        a: { kind: 'prediction', prediction: pred('t1', 'm1', 0.9, 0.5) },
        b: { kind: 'resolution', resolution: { market: marketId('m1'), ts: 5, winningAssetId: assetId('other1'), winningOutcome: 'No' } },
        c: { kind: 'prediction', prediction: pred('t2', 'm2', 0.9, 0.5) },
        d: { kind: 'resolution', resolution: { market: marketId('m2'), ts: 9, winningAssetId: assetId('other2'), winningOutcome: 'No' } },
      };
      const out = cold('abcd|', inputs).pipe(driftMonitor({ reference, brierWindow: 2 }));
      expectObservable(out).toBe('---x|', {
        x: {
          id: 'drift:v:9:trip', ts: 9, rule: 'model_drift', action: 'trip',
          reason: 'model v: rolling Brier model - market 0.5600 over 2 resolved', signalId: '', assetId: '', market: '', eventId: '',
        },
      });
    });
  });
});
