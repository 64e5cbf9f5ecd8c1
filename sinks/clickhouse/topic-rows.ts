import type { ArbitrageOpportunity } from '../../schemas/arbitrage-opportunity.js';
import type { DeadLetter } from '../../schemas/dead-letter.js';
import type { FeatureVector } from '../../schemas/feature-vector.js';
import type { Fill } from '../../schemas/fill.js';
import type { MarketMeta } from '../../schemas/market-meta.js';
import type { Order } from '../../schemas/order.js';
import type { PortfolioSnapshot } from '../../schemas/portfolio-snapshot.js';
import type { Prediction } from '../../schemas/prediction.js';
import type { Resolution } from '../../schemas/resolution.js';
import type { RiskEvent } from '../../schemas/risk-event.js';
import type { Signal } from '../../schemas/signal.js';
import type { TopicTypes } from '../../schemas/topics.js';
import type { WhaleEvent } from '../../schemas/whale-event.js';
import type { Row } from './clickhouse-sink.js';

/**
 * One topic record -> one row of its table (infra/clickhouse/001_tables.sql, 003_watch.sql), columns snake_case.
 * Timestamps stay integer ms (DateTime64(3) reads them as ticks); NaN becomes NULL on the way out
 * (JSON has no NaN). `run`, `session` and `seq` are added by the sink.
 */
export const TOPIC_TABLES = {
  'pm.market.meta': 'markets',
  'features.v1': 'features',
  'prediction.v1': 'predictions',
  'signal.v1': 'signals',
  'order.v1': 'orders',
  'fill.v1': 'fills',
  'portfolio.v1': 'portfolio',
  'risk.event': 'risk_events',
  'pm.resolution': 'resolutions',
  'dlq.ingest': 'dlq',
  'arbitrage.v1': 'arbitrage',
  'whale.v1': 'whales',
} as const satisfies Partial<Record<keyof TopicTypes, string>>;

export type PersistedTopic = keyof typeof TOPIC_TABLES;
export const PERSISTED_TOPICS = Object.keys(TOPIC_TABLES) as PersistedTopic[];

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

const ROWS: { readonly [K in PersistedTopic]: (r: TopicTypes[K]) => Row } = {
  'pm.market.meta': (m: MarketMeta) => ({
    market: m.market,
    event_id: m.eventId,
    question: m.question,
    slug: m.slug,
    category: m.category,
    outcomes: m.outcomes,
    asset_ids: m.assetIds,
    tick_size: m.tickSize,
    neg_risk: m.negRisk,
    start_ts: m.startTs,
    end_ts: m.endTs,
    ts: m.ts,
  }),
  'features.v1': (f: FeatureVector) => ({
    id: f.id,
    asset_id: f.assetId,
    market: f.market,
    ts: f.ts,
    spec_version: f.specVersion,
    values: f.values.map(finiteOrNull),
    best_bid: f.bestBid,
    best_ask: f.bestAsk,
    bid_depth: f.bidDepth,
    ask_depth: f.askDepth,
  }),
  'prediction.v1': (p: Prediction) => ({
    id: p.id,
    features_id: p.featuresId,
    asset_id: p.assetId,
    market: p.market,
    ts: p.ts,
    model_version: p.modelVersion,
    p_model: finiteOrNull(p.pModel),
    p_market: finiteOrNull(p.pMarket),
    confidence: p.confidence,
    best_bid: p.bestBid,
    best_ask: p.bestAsk,
    bid_depth: p.bidDepth,
    ask_depth: p.askDepth,
  }),
  'signal.v1': (s: Signal) => ({
    id: s.id,
    prediction_id: s.predictionId,
    asset_id: s.assetId,
    market: s.market,
    ts: s.ts,
    direction: s.direction,
    strength: s.strength,
    probability: s.probability,
    price: s.price,
    edge: s.edge,
    confidence: s.confidence,
    liquidity: s.liquidity,
  }),
  'order.v1': (o: Order) => ({
    id: o.id,
    signal_id: o.signalId,
    asset_id: o.assetId,
    market: o.market,
    ts: o.ts,
    direction: o.direction,
    limit_price: o.limitPrice,
    size: o.size,
    stake: o.stake,
    kelly_fraction: o.kellyFraction,
  }),
  'fill.v1': (f: Fill) => ({
    id: f.id,
    order_id: f.orderId,
    asset_id: f.assetId,
    market: f.market,
    ts: f.ts,
    direction: f.direction,
    price: f.price,
    size: f.size,
    fee: f.fee,
    unfilled: f.unfilled,
  }),
  'portfolio.v1': (s: PortfolioSnapshot) => ({
    id: s.id,
    ts: s.ts,
    reason: s.reason,
    cash: s.cash,
    equity: s.equity,
    realized_pnl: s.realizedPnl,
    unrealized_pnl: s.unrealizedPnl,
    exposure: s.exposure,
    peak_equity: s.peakEquity,
    drawdown: s.drawdown,
    open_positions: s.openPositions,
  }),
  'risk.event': (e: RiskEvent) => ({
    id: e.id,
    ts: e.ts,
    rule: e.rule,
    action: e.action,
    reason: e.reason,
    signal_id: e.signalId,
    asset_id: e.assetId,
    market: e.market,
    event_id: e.eventId,
  }),
  'pm.resolution': (r: Resolution) => ({
    market: r.market,
    ts: r.ts,
    winning_asset_id: r.winningAssetId,
    winning_outcome: r.winningOutcome,
  }),
  'dlq.ingest': (d: DeadLetter) => ({ source: d.source, ts: d.ts, reason: d.reason, raw: d.raw }),
  'arbitrage.v1': (o: ArbitrageOpportunity) => ({
    id: o.id,
    ts: o.ts,
    kind: o.kind,
    markets: o.markets,
    event_id: o.eventId,
    edge: o.edge,
    size: o.size,
    expires_ts: o.expiresTs,
    profit: o.profit,
    asset_ids: o.assetIds,
    prices: o.prices,
    limit_prices: o.limitPrices,
  }),
  'whale.v1': (w: WhaleEvent) => ({
    id: w.id,
    ts: w.ts,
    wallet: w.wallet,
    asset_id: w.assetId,
    market: w.market,
    size: w.size,
    notional: w.notional,
    depth_ratio: finiteOrNull(w.depthRatio),
    kind: w.kind,
    source: w.source,
    side: w.side,
    price: w.price,
    wallet_volume: w.walletVolume,
    wallet_realized_pnl: w.walletRealizedPnl,
    wallet_rank: w.walletRank,
    position: w.position,
  }),
};

export function topicRow<K extends PersistedTopic>(topic: K, record: TopicTypes[K]): Row {
  return (ROWS[topic] as (r: TopicTypes[K]) => Row)(record);
}
