import { Subscription, type SchedulerLike } from 'rxjs';
import type { AnalyticsReport } from '../operators/analytics.js';
import type { DriftReference } from '../operators/drift-monitor.js';
import { dueClockOf } from '../operators/prediction-due.js';
import type { BatchScorer } from '../operators/score-batches.js';
import type { WalletStanding } from '../operators/whale-wallets.js';
import type { Bus } from '../runtime/bus.js';
import type { Config } from '../runtime/config.js';
import type { InFlight } from '../runtime/in-flight.js';
import type { InputClock } from '../runtime/input-clock.js';
import type { LiveSettings } from '../runtime/live-settings.js';
import type { PipelineMetrics } from '../runtime/metrics.js';
import type { StateRegistry } from '../runtime/state-registry.js';
import { alertsPipeline } from './alerts.js';
import { analyticsPipeline } from './analytics.js';
import { driftPipeline } from './drift.js';
import { featuresPipeline } from './features.js';
import { predictPipeline } from './predict.js';
import { tradePipeline } from './trade.js';
import { watchPipeline } from './watch.js';

export interface GraphDeps {
  readonly config: Config;
  readonly scheduler: SchedulerLike;
  /**
   * A replay's input clock for the trade stage (InputClock: moved by the books, and past the end of
   * the input by the replay); none: trade's predictions wait on the scheduler (live).
   */
  readonly tradeClock?: InputClock | undefined;
  readonly scorer: BatchScorer;
  readonly inFlight: InFlight;
  readonly metrics: PipelineMetrics;
  readonly onReport: (report: AnalyticsReport) => void;
  /** Where stateful operators expose their state for checkpoints (and find it restored); none: not kept. */
  readonly registry?: StateRegistry | undefined;
  /** Settings changed at run time (the API): trade and watch operators read them live. */
  readonly live?: LiveSettings | undefined;
  /** Wallet standings from the watch pipeline (the API's wallet ranking). */
  readonly onWallet?: ((standing: WalletStanding) => void) | undefined;
  /** The model's training distribution: when given, the drift monitor runs and feeds the model-drift breaker. */
  readonly driftReference?: DriftReference | undefined;
}

/**
 * Every pipeline after ingest, on one bus: what the embedded single-process run is, live or
 * replayed. Only the source feeding the bus and the clocks differ between the two.
 */
export function embeddedGraph(bus: Bus, deps: GraphDeps): Subscription {
  const graph = new Subscription();
  graph.add(featuresPipeline(bus, deps.config, deps.metrics, deps.registry));
  graph.add(predictPipeline(bus, deps.config, deps));
  graph.add(tradePipeline(bus, deps.config, { metrics: deps.metrics, clock: deps.tradeClock ?? dueClockOf(deps.scheduler), registry: deps.registry, live: deps.live }));
  graph.add(watchPipeline(bus, deps.config, deps.metrics, { registry: deps.registry, live: deps.live, onWallet: deps.onWallet }));
  graph.add(analyticsPipeline(bus, deps.config, deps.onReport, deps.registry));
  if (deps.driftReference !== undefined) graph.add(driftPipeline(bus, deps.driftReference, deps.registry));
  if (deps.config.alerts.targets.length > 0) graph.add(alertsPipeline(bus, deps.config, { metrics: deps.metrics, inFlight: deps.inFlight }));
  return graph;
}
