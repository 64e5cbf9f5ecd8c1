import { map, merge, share, Subscription, type Observable } from 'rxjs';
import { arbitrage, type ArbitrageInput, type ArbitrageOptions } from '../operators/arbitrage.js';
import type { BookChange } from '../operators/book-view.js';
import { orderBook } from '../operators/order-book.js';
import type { WalletStanding } from '../operators/whale-wallets.js';
import { whales, type WhalesInput, type WhalesOptions } from '../operators/whales.js';
import type { Bus } from '../runtime/bus.js';
import type { Config } from '../runtime/config.js';
import { countEvents } from '../runtime/count-events.js';
import type { LiveSettings } from '../runtime/live-settings.js';
import type { PipelineMetrics } from '../runtime/metrics.js';
import { stateSlot, type StateRegistry } from '../runtime/state-registry.js';

export interface WatchDeps {
  readonly registry?: StateRegistry | undefined;
  /** Settings changed at run time: thresholds apply from the next input on. */
  readonly live?: LiveSettings | undefined;
  /** Every wallet's new standing (volume, realized PnL), for rankings (the API keeps the latest). */
  readonly onWallet?: ((standing: WalletStanding) => void) | undefined;
}

/**
 * watch: `pm.book` + `pm.market.meta` + `pm.resolution` -> arbitrage -> `arbitrage.v1`;
 * `pm.wallet.trade` + `pm.trade` + books -> whales -> `whale.v1` (and wallet standings).
 */
export function watchPipeline(bus: Bus, config: Config, metrics: PipelineMetrics, deps: WatchDeps = {}): Subscription {
  const { registry, live } = deps;
  const books$: Observable<BookChange> = bus.topic('pm.book').pipe(orderBook({ maxAssets: config.book.maxAssets }, stateSlot(registry, 'watch.orderBook')), share());
  const resolutions$ = bus.topic('pm.resolution');

  const arb = merge(
    bus.topic('pm.market.meta').pipe(map((meta): ArbitrageInput => ({ kind: 'meta', meta }))),
    resolutions$.pipe(map((resolution): ArbitrageInput => ({ kind: 'resolution', resolution }))),
    books$.pipe(map((change): ArbitrageInput => ({ kind: 'book', change }))),
  )
    .pipe(countEvents(metrics, 'arbitrage', arbitrage(live === undefined ? arbitrageOptions(config) : live.view(arbitrageOptions), stateSlot(registry, 'watch.arbitrage'))))
    .subscribe((o) => bus.publish('arbitrage.v1', o.eventId !== '' ? o.eventId : (o.markets[0] ?? ''), o));

  const whale = merge(
    books$.pipe(map((change): WhalesInput => ({ kind: 'book', change }))),
    resolutions$.pipe(map((resolution): WhalesInput => ({ kind: 'resolution', resolution }))),
    bus.topic('pm.trade').pipe(map((trade): WhalesInput => ({ kind: 'trade', trade }))),
    bus.topic('pm.wallet.trade').pipe(map((trade): WhalesInput => ({ kind: 'wallet_trade', trade }))),
  )
    .pipe(countEvents(metrics, 'whales', whales(live === undefined ? whalesOptions(config) : live.view(whalesOptions), stateSlot(registry, 'watch.whales'))))
    .subscribe((out) => {
      if (out.kind === 'whale') bus.publish('whale.v1', out.event.wallet !== '' ? out.event.wallet : out.event.market, out.event);
      else deps.onWallet?.(out.standing);
    });

  const all = new Subscription();
  all.add(arb);
  all.add(whale);
  return all;
}

/** `arbitrage` options from the config's `watch` and `fees` sections. */
export const arbitrageOptions = (config: Config): ArbitrageOptions => ({
  fees: { takerFeeRates: config.fees.takerFeeRates, defaultTakerFeeRate: config.fees.defaultTakerFeeRate },
  minEdge: config.watch.arbMinEdge,
  ttlMs: config.watch.arbTtlMs,
  maxLevels: config.watch.arbMaxLevels,
  duplicatePairs: config.watch.arbDuplicatePairs,
});

/** `whales` options from the config's `watch` and `book` sections (tracked: `watch.trackedWallets` and the polled `live.wallets`). */
export const whalesOptions = (config: Config): WhalesOptions => ({
  minNotionalUsd: config.watch.whaleMinUsd,
  minDepthRatio: config.watch.whaleMinDepthRatio,
  depthTicks: config.book.depthTicks,
  trackedWallets: [...config.watch.trackedWallets, ...config.live.wallets],
  autoTrack: config.watch.autoTrack,
  maxWallets: config.watch.maxWallets,
});
