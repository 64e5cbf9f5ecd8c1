import { Subject, type SchedulerLike, type Subscription } from 'rxjs';
import { scoreBatches, type BatchScorer } from '../operators/score-batches.js';
import { scoreThrottle } from '../operators/score-throttle.js';
import type { Bus } from '../runtime/bus.js';
import type { Config } from '../runtime/config.js';
import { countEvents } from '../runtime/count-events.js';
import type { InFlight } from '../runtime/in-flight.js';
import type { PipelineMetrics } from '../runtime/metrics.js';
import { forwardProgress, OutstandingTimes } from '../runtime/progress-forwarder.js';
import { stateSlot, type StateRegistry } from '../runtime/state-registry.js';

/**
 * predict: `features.v1` -> event-time throttle -> micro-batched model scoring -> `prediction.v1`.
 * Over Kafka it forwards its input's progress to `prediction.v1` in due time (see forwardProgress):
 * a partition has progressed as far as its vectors' progress, short of the vectors still in a batch.
 */
export function predictPipeline(
  bus: Bus,
  config: Config,
  deps: { scorer: BatchScorer; scheduler: SchedulerLike; inFlight: InFlight; metrics: PipelineMetrics; registry?: StateRegistry | undefined },
): Subscription {
  const { scoring } = config;
  // A model that reads more than the feature vector (an ensemble's text member reads the question,
  // its edge gate the category) learns each market from the metadata topic.
  const { scorer } = deps;
  const meta = scorer.observeMeta === undefined ? undefined : bus.topic('pm.market.meta').subscribe((m) => scorer.observeMeta?.(m));
  const held = new OutstandingTimes();
  const published = new Subject<void>();
  let recheckQueued = false;
  const predictions = bus
    .topic('features.v1')
    .pipe(
      countEvents(deps.metrics, 'score_throttle', scoreThrottle({ minMidChange: scoring.minMidChange, maxIntervalMs: scoring.maxIntervalMs }, stateSlot(deps.registry, 'predict.scoreThrottle'))),
      countEvents(
        deps.metrics,
        'score_batches',
        scoreBatches(
          deps.scorer,
          { maxBatch: scoring.maxBatch, maxWaitMs: scoring.maxWaitMs, inFlight: deps.inFlight, held: { added: (v) => held.added(v.recvTs ?? 0), done: () => held.done() } },
          deps.scheduler,
          stateSlot(deps.registry, 'predict.scoreBatches'),
        ),
      ),
    )
    .subscribe((p) => {
      bus.publish('prediction.v1', p.assetId, p);
      // Once per scored batch (its predictions are published in one go), not per prediction.
      if (recheckQueued) return;
      recheckQueued = true;
      queueMicrotask(() => {
        recheckQueued = false;
        published.next();
      });
    });
  if (meta !== undefined) predictions.add(meta);
  predictions.add(
    forwardProgress(bus, { from: ['features.v1'], to: 'prediction.v1', shift: scoring.maxWaitMs, holding: () => held.earliest(), recheck: published }),
  );
  return predictions;
}
