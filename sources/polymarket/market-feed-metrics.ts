import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * Prometheus metrics of the live market feed and the other live sources, on the run's registry
 * (names `polyflow_<component>_<thing>_<unit>`).
 */
export class MarketFeedMetrics {
  readonly frames: Counter;
  readonly reconnects: Counter;
  readonly pings: Counter;
  readonly subscribedAssets: Gauge;
  readonly resyncs: Counter<'outcome'>;
  readonly staleAssets: Gauge;
  readonly staleTrips: Counter;
  readonly sourceErrors: Counter<'source'>;
  readonly walletTrades: Counter;
  readonly newsItems: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.frames = new Counter({ name: 'polyflow_ws_frames_total', help: 'Market-channel frames received', registers });
    this.reconnects = new Counter({ name: 'polyflow_ws_reconnects_total', help: 'Market-channel connections lost (a reconnect follows)', registers });
    this.pings = new Counter({ name: 'polyflow_ws_pings_total', help: 'Heartbeat PINGs sent', registers });
    this.subscribedAssets = new Gauge({ name: 'polyflow_ws_subscribed_assets', help: 'Outcome tokens subscribed on the market channel', registers });
    this.resyncs = new Counter({
      name: 'polyflow_book_resyncs_total',
      help: 'REST /book resyncs by outcome (emitted, same_hash, older, invalid, failed)',
      labelNames: ['outcome'] as const,
      registers,
    });
    this.staleAssets = new Gauge({ name: 'polyflow_book_stale_assets', help: 'Assets whose book is stale now (stale_book tripped)', registers });
    this.staleTrips = new Counter({ name: 'polyflow_book_stale_trips_total', help: 'stale_book trips', registers });
    this.sourceErrors = new Counter({ name: 'polyflow_source_errors_total', help: 'Failed polls and requests per live source', labelNames: ['source'] as const, registers });
    this.walletTrades = new Counter({ name: 'polyflow_wallet_trades_total', help: 'Data API wallet trades published', registers });
    this.newsItems = new Counter({ name: 'polyflow_news_items_total', help: 'News items published', registers });
  }
}
