import { map, merge, type Subscription } from 'rxjs';
import { orderBook } from '../operators/order-book.js';
import { marketFeatures, type MarketFeatureInput } from '../operators/market-features.js';
import type { Bus } from '../runtime/bus.js';
import type { Config } from '../runtime/config.js';
import { countEvents } from '../runtime/count-events.js';
import type { PipelineMetrics } from '../runtime/metrics.js';
import { forwardProgress } from '../runtime/progress-forwarder.js';
import { stateSlot, type StateRegistry } from '../runtime/state-registry.js';

/**
 * features: `pm.book` + `pm.trade` + `pm.market.meta` -> per-asset books and rolling features ->
 * `features.v1`. Over Kafka it forwards ingest's progress to `features.v1` (see forwardProgress).
 */
export function featuresPipeline(bus: Bus, config: Config, metrics: PipelineMetrics, registry?: StateRegistry): Subscription {
  const books$ = bus.topic('pm.book').pipe(
    countEvents(metrics, 'order_book', orderBook({ maxAssets: config.book.maxAssets }, stateSlot(registry, 'features.orderBook'))),
    map((change): MarketFeatureInput => {
      metrics.countBookStatus(change.status);
      return { kind: 'book', change };
    }),
  );
  const trades$ = bus.topic('pm.trade').pipe(map((trade): MarketFeatureInput => ({ kind: 'trade', trade })));
  const meta$ = bus.topic('pm.market.meta').pipe(map((meta): MarketFeatureInput => ({ kind: 'meta', meta })));
  const vectors = merge(meta$, books$, trades$)
    .pipe(
      countEvents(
        metrics,
        'market_features',
        marketFeatures({
          tradeWindowsMs: config.features.tradeWindowsMs,
          midWindowsMs: config.features.midWindowsMs,
          flowHalfLifeMs: config.features.flowHalfLifeMs,
          depthTicks: config.book.depthTicks,
          graceMs: config.features.lateGraceMs,
          late: () => metrics.lateTrades.inc(),
        }, stateSlot(registry, 'features.marketFeatures')),
      ),
    )
    .subscribe((v) => bus.publish('features.v1', v.assetId, v));
  vectors.add(forwardProgress(bus, { from: ['pm.book', 'pm.trade'], to: 'features.v1' }));
  return vectors;
}
