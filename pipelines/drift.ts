import { map, merge, type Subscription } from 'rxjs';
import { driftMonitor, type DriftInput, type DriftReference } from '../operators/drift-monitor.js';
import type { Bus } from '../runtime/bus.js';
import { stateSlot, type StateRegistry } from '../runtime/state-registry.js';

/**
 * drift: live feature distributions against the model's training reference (PSI) and the model's
 * rolling Brier against the market's -> `risk.event` rule `model_drift` (trip / reset), which the
 * risk gate turns into its model-drift breaker.
 */
export function driftPipeline(bus: Bus, reference: DriftReference, registry?: StateRegistry): Subscription {
  return merge(
    bus.topic('features.v1').pipe(map((vector): DriftInput => ({ kind: 'features', vector }))),
    bus.topic('prediction.v1').pipe(map((prediction): DriftInput => ({ kind: 'prediction', prediction }))),
    bus.topic('pm.resolution').pipe(map((resolution): DriftInput => ({ kind: 'resolution', resolution }))),
  )
    .pipe(driftMonitor({ reference }, stateSlot(registry, 'drift.monitor')))
    .subscribe((event) => bus.publish('risk.event', 'global', event));
}
