import type { Alert } from './alert.js';
import type { ArbitrageOpportunity } from './arbitrage-opportunity.js';
import type { BookUpdate } from './book-update.js';
import type { DeadLetter } from './dead-letter.js';
import type { FeatureVector } from './feature-vector.js';
import type { Fill } from './fill.js';
import type { MarketMeta } from './market-meta.js';
import type { NewsItem } from './news-item.js';
import type { Order } from './order.js';
import type { PortfolioSnapshot } from './portfolio-snapshot.js';
import type { Prediction } from './prediction.js';
import type { RawMessage } from './raw-message.js';
import type { Resolution } from './resolution.js';
import type { RiskEvent } from './risk-event.js';
import type { Signal } from './signal.js';
import type { Trade } from './trade.js';
import type { WalletTrade } from './wallet-trade.js';
import type { WhaleEvent } from './whale-event.js';

/** Every topic of DESIGN.md §1 and the record type it carries. */
export interface TopicTypes {
  'pm.market.raw': RawMessage;
  'pm.book': BookUpdate;
  'pm.trade': Trade;
  'pm.market.meta': MarketMeta;
  'pm.resolution': Resolution;
  'pm.wallet.trade': WalletTrade;
  'news.item': NewsItem;
  'dlq.ingest': DeadLetter;
  'features.v1': FeatureVector;
  'prediction.v1': Prediction;
  'signal.v1': Signal;
  'order.v1': Order;
  'fill.v1': Fill;
  'portfolio.v1': PortfolioSnapshot;
  'risk.event': RiskEvent;
  'arbitrage.v1': ArbitrageOpportunity;
  'whale.v1': WhaleEvent;
  'alert.v1': Alert;
  'dlq.alerts': DeadLetter;
}

export type TopicName = keyof TopicTypes;

export interface TopicSpec {
  /** File name (without `.avsc`) of the value schema under `schemas/`. */
  readonly schema: string;
  /** What the record key is: one key's records are ordered. */
  readonly keyedBy: 'asset' | 'market' | 'event' | 'account' | 'source' | 'wallet' | 'id';
  /** Compacted topics keep the latest record per key. */
  readonly compacted: boolean;
}

export const TOPICS: { readonly [K in TopicName]: TopicSpec } = {
  'pm.market.raw': { schema: 'pm.market.raw', keyedBy: 'source', compacted: false },
  'pm.book': { schema: 'pm.book', keyedBy: 'asset', compacted: false },
  'pm.trade': { schema: 'pm.trade', keyedBy: 'asset', compacted: false },
  'pm.market.meta': { schema: 'pm.market.meta', keyedBy: 'market', compacted: true },
  'pm.resolution': { schema: 'pm.resolution', keyedBy: 'market', compacted: false },
  'pm.wallet.trade': { schema: 'pm.wallet.trade', keyedBy: 'market', compacted: false },
  'news.item': { schema: 'news.item', keyedBy: 'id', compacted: false },
  'dlq.ingest': { schema: 'dlq', keyedBy: 'source', compacted: false },
  'features.v1': { schema: 'features.v1', keyedBy: 'asset', compacted: false },
  'prediction.v1': { schema: 'prediction.v1', keyedBy: 'asset', compacted: false },
  'signal.v1': { schema: 'signal.v1', keyedBy: 'asset', compacted: false },
  'order.v1': { schema: 'order.v1', keyedBy: 'asset', compacted: false },
  'fill.v1': { schema: 'fill.v1', keyedBy: 'asset', compacted: false },
  'portfolio.v1': { schema: 'portfolio.v1', keyedBy: 'account', compacted: false },
  'risk.event': { schema: 'risk.event', keyedBy: 'market', compacted: false },
  'arbitrage.v1': { schema: 'arbitrage.v1', keyedBy: 'event', compacted: false },
  'whale.v1': { schema: 'whale.v1', keyedBy: 'wallet', compacted: false },
  'alert.v1': { schema: 'alert.v1', keyedBy: 'id', compacted: false },
  'dlq.alerts': { schema: 'dlq', keyedBy: 'source', compacted: false },
};

export const TOPIC_NAMES = Object.keys(TOPICS) as TopicName[];

/**
 * Where a consumer puts a record of `topic` it cannot decode (the raw bytes, with reason headers):
 * `dlq.<topic>`. `polyflow topics` plans one for every topic (persist reads any topic of
 * `output.topics`), so dead-lettering works on a broker that does not auto-create topics.
 */
export const deadLetterTopicOf = (topic: TopicName): string => `dlq.${topic}`;
