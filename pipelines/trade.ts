import { filter, map, merge, share, tap, type Observable, type Subscription } from 'rxjs';
import { edgeSignal, type EdgeSignalOptions } from '../operators/edge-signal.js';
import { orderBook } from '../operators/order-book.js';
import { paperBroker, type PaperBrokerInput } from '../operators/paper-broker.js';
import { portfolio, type PortfolioInput } from '../operators/portfolio.js';
import { predictionDue } from '../operators/prediction-due.js';
import { riskGate, type RiskGateInput, type RiskGateOptions } from '../operators/risk-gate.js';
import type { BookChange } from '../operators/book-view.js';
import type { Bus } from '../runtime/bus.js';
import type { Config } from '../runtime/config.js';
import { countEvents } from '../runtime/count-events.js';
import { InputClock, type DueClock } from '../runtime/input-clock.js';
import type { LiveSettings } from '../runtime/live-settings.js';
import type { PipelineMetrics } from '../runtime/metrics.js';
import { stateSlot, type StateRegistry } from '../runtime/state-registry.js';
import type { TopicName } from '../schemas/topics.js';
import { MICROS, type UsdMicros } from '../schemas/units.js';

/**
 * The topics trade publishes and reads back itself, and no other pipeline publishes (`risk.event`
 * is also ingest's and the drift monitor's): its stages' feedback, which a Kafka process hands
 * over in-process (KafkaBusOptions.local).
 */
export const TRADE_OWN_TOPICS: readonly TopicName[] = ['signal.v1', 'order.v1', 'fill.v1', 'portfolio.v1'];

/**
 * trade: predictions (each once it is due: see predictionDue) -> edge signals -> Kelly sizing
 * behind the risk gate -> paper fills against the live book -> portfolio. Stages talk through topics (`signal.v1`, `order.v1`, `fill.v1`,
 * `portfolio.v1`, `risk.event`), so the gate sees the fills and equity the later stages publish, at
 * once (a Kafka process hands its own topics over in-process). With `live` settings, the edge
 * thresholds, risk limits, kill switch and fee rates are read from it, so a settings change applies
 * to the running operators from their next input on.
 */
export function tradePipeline(bus: Bus, config: Config, deps: TradeDeps): Subscription {
  const { metrics, registry, live } = deps;
  const fees = { takerFeeRates: config.fees.takerFeeRates, defaultTakerFeeRate: config.fees.defaultTakerFeeRate };
  const bankroll = Math.round(config.risk.bankrollUsd * MICROS) as UsdMicros;
  const meta$ = bus.topic('pm.market.meta');
  const resolutions$ = bus.topic('pm.resolution');
  // An input clock moves to each book's receive time before any stage sees the book: what came due
  // before it acts first.
  const { clock } = deps;
  const books$ = bus.topic('pm.book').pipe(
    tap((book) => (clock instanceof InputClock ? clock.advanceTo(book.recvTs) : undefined)),
    share(),
  );
  const bookChanges$: Observable<BookChange> = books$.pipe(orderBook({ maxAssets: config.book.maxAssets }, stateSlot(registry, 'trade.orderBook')), share());
  const predictions$ =
    clock === 'arrival'
      ? bus.topic('prediction.v1')
      : bus.topic('prediction.v1').pipe(
          countEvents(
            metrics,
            'prediction_due',
            predictionDue({ clock }, stateSlot(registry, 'trade.predictionDue')),
          ),
        );
  const signals = merge(meta$, predictions$)
    .pipe(
      countEvents(
        metrics,
        'edge_signal',
        edgeSignal(live === undefined ? edgeSignalOptions(config) : live.view(edgeSignalOptions), stateSlot(registry, 'trade.edgeSignal')),
      ),
    )
    .subscribe((s) => bus.publish('signal.v1', s.assetId, s));

  const gate = merge(
    meta$.pipe(map((meta): RiskGateInput => ({ kind: 'meta', meta }))),
    books$.pipe(map((update): RiskGateInput => ({ kind: 'book', update }))),
    resolutions$.pipe(map((resolution): RiskGateInput => ({ kind: 'resolution', resolution }))),
    bus.topic('fill.v1').pipe(map((fill): RiskGateInput => ({ kind: 'fill', fill }))),
    bus.topic('portfolio.v1').pipe(map((snapshot): RiskGateInput => ({ kind: 'portfolio', snapshot }))),
    bus.topic('signal.v1').pipe(map((signal): RiskGateInput => ({ kind: 'signal', signal }))),
    bus.topic('risk.event').pipe(
      filter((event) => event.rule === 'model_drift' && event.action !== 'block'),
      map((event): RiskGateInput => ({ kind: 'drift', event })),
    ),
  )
    .pipe(
      countEvents(
        metrics,
        'risk_gate',
        riskGate(live === undefined ? riskGateOptions(config) : live.view(riskGateOptions), stateSlot(registry, 'trade.riskGate')),
      ),
    )
    .subscribe((out) => {
      if ('rule' in out) bus.publish('risk.event', out.market === '' ? 'global' : out.market, out);
      else bus.publish('order.v1', out.assetId, out);
    });

  const broker = merge(
    meta$.pipe(map((meta): PaperBrokerInput => ({ kind: 'meta', meta }))),
    bookChanges$.pipe(map((change): PaperBrokerInput => ({ kind: 'book', change }))),
    bus.topic('order.v1').pipe(map((order): PaperBrokerInput => ({ kind: 'order', order }))),
  )
    .pipe(countEvents(metrics, 'paper_broker', paperBroker({ ...fees, latencyMs: config.broker.latencyMs }, stateSlot(registry, 'trade.paperBroker'))))
    .subscribe((fill) => bus.publish('fill.v1', fill.assetId, fill));

  const ledger = merge(
    bookChanges$.pipe(map((change): PortfolioInput => ({ kind: 'book', change }))),
    bus.topic('fill.v1').pipe(map((fill): PortfolioInput => ({ kind: 'fill', fill }))),
    resolutions$.pipe(map((resolution): PortfolioInput => ({ kind: 'resolution', resolution }))),
  )
    .pipe(countEvents(metrics, 'portfolio', portfolio({ bankroll, markIntervalMs: config.portfolio.markIntervalMs }, stateSlot(registry, 'trade.portfolio'))))
    .subscribe((snapshot) => bus.publish('portfolio.v1', 'paper', snapshot));

  // In ingest's order, the clock also moves where the input has progressed with no book (a quiet
  // market): what came due by then acts, as the embedded run's clock would have it act.
  if (clock instanceof InputClock && bus.inputProgress !== undefined) signals.add(bus.inputProgress().subscribe((time) => clock.advanceTo(time + 1)));
  signals.add(gate);
  signals.add(broker);
  signals.add(ledger);
  return signals;
}

export interface TradeDeps {
  readonly metrics: PipelineMetrics;
  /**
   * When a prediction acts (predictionDue): once a clock has passed its due time, live the real one
   * (dueClockOf), else an InputClock, moved to each book's receive time before the book (replays,
   * and a trade process that reads the books in ingest's order: KafkaBusOptions.eventOrder), so it
   * acts before the first book received after its due time; or `arrival`: as it arrives (a trade
   * process reading books in fetch order cannot place predictions among them, and holding one would
   * tie its action to whichever book a restarted process reads first).
   */
  readonly clock: DueClock | 'arrival';
  readonly registry?: StateRegistry | undefined;
  readonly live?: LiveSettings | undefined;
}

const feeOptions = (config: Config) => ({ takerFeeRates: config.fees.takerFeeRates, defaultTakerFeeRate: config.fees.defaultTakerFeeRate });

/** `edgeSignal` options from the config's `signal` and `fees` sections. */
export const edgeSignalOptions = (config: Config): EdgeSignalOptions => ({
  fees: feeOptions(config),
  minEdge: config.signal.minEdge,
  mediumEdge: config.signal.mediumEdge,
  strongEdge: config.signal.strongEdge,
  minLiquidity: config.signal.minLiquidityShares,
  minConfidence: config.signal.minConfidence,
  cooldownMs: config.signal.cooldownMs,
});

/** `riskGate` options from the config's `risk` and `fees` sections. */
export const riskGateOptions = (config: Config): RiskGateOptions => ({
  bankroll: Math.round(config.risk.bankrollUsd * MICROS) as UsdMicros,
  kellyFraction: config.risk.kellyFraction,
  maxStake: Math.round(config.risk.maxStakeUsd * MICROS) as UsdMicros,
  maxMarketExposure: config.risk.maxMarketExposure,
  maxEventExposure: config.risk.maxEventExposure,
  maxTotalExposure: config.risk.maxTotalExposure,
  maxDailyLoss: config.risk.maxDailyLoss,
  maxDrawdown: config.risk.maxDrawdown,
  staleBookMs: config.risk.staleBookMs,
  minOrderShares: config.risk.minOrderShares,
  maxSlippageTicks: config.risk.maxSlippageTicks,
  tradeStrengths: config.risk.tradeStrengths,
  killSwitch: config.risk.killSwitch,
  fees: feeOptions(config),
});
