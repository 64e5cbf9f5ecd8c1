import { Observable, type OperatorFunction } from 'rxjs';
import type { StateSlot } from '../runtime/state-registry.js';
import { FEATURE_INDEX } from '../schemas/feature-spec.js';
import type { FeatureVector } from '../schemas/feature-vector.js';
import type { AssetId } from '../schemas/ids.js';

/**
 * Event-time throttle in front of the model: an asset is rescored when its mid moved materially
 * since its last score, or when `maxIntervalMs` passed since it. Vectors without a mid (one side
 * of the book empty) are not scored: no executable edge exists then.
 */
export interface ScoreThrottleOptions {
  /** Absolute mid change (fraction of 1) that triggers a rescore. */
  readonly minMidChange: number;
  readonly maxIntervalMs: number;
}

interface LastScore {
  mid: number;
  ts: number;
}

/** Pure step: true when `v` should be scored; records it as scored when so. */
export function scoreThrottleStep(state: Map<AssetId, LastScore>, v: FeatureVector, opts: ScoreThrottleOptions): boolean {
  const mid = v.values[FEATURE_INDEX.mid] ?? Number.NaN;
  if (Number.isNaN(mid)) return false;
  const last = state.get(v.assetId);
  if (last === undefined) {
    state.set(v.assetId, { mid, ts: v.ts });
    return true;
  }
  if (Math.abs(mid - last.mid) >= opts.minMidChange || v.ts - last.ts >= opts.maxIntervalMs) {
    last.mid = mid;
    last.ts = v.ts;
    return true;
  }
  return false;
}

export function scoreThrottle(opts: ScoreThrottleOptions, slot?: StateSlot): OperatorFunction<FeatureVector, FeatureVector> {
  return (source) =>
    new Observable<FeatureVector>((subscriber) => {
      let state = new Map<AssetId, LastScore>();
      const attached = slot?.registry.attach(slot.id, () => state);
      if (attached?.restored !== undefined) state = attached.restored as Map<AssetId, LastScore>;
      const subscription = source.subscribe({
        next: (v) => {
          if (scoreThrottleStep(state, v, opts)) subscriber.next(v);
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
      return () => {
        attached?.detach();
        subscription.unsubscribe();
      };
    });
}
