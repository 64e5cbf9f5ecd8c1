import { createHash } from 'node:crypto';

/**
 * The one feature spec: ordered names and a version, shared by the live feature operator, the
 * dataset builder and every model. A model whose spec hash differs is refused at load.
 *
 * Prices are fractions of 1 (0..1). `*_log` sizes are ln(1 + shares). Windows are event time.
 * Undefined values (an empty book side, no trades in a window) are NaN, never 0.
 */
export const FEATURE_NAMES = [
  'mid',
  'spread',
  'microprice',
  'imbalance_top1',
  'imbalance_top5',
  'depth_bid_log',
  'depth_ask_log',
  'vwap_dev_1m',
  'vwap_dev_5m',
  'vwap_dev_1h',
  'vwap_dev_24h',
  'volume_log_1m',
  'volume_log_5m',
  'volume_log_1h',
  'volume_log_24h',
  'trade_count_1m',
  'trade_count_5m',
  'trade_count_1h',
  'trade_count_24h',
  'signed_flow_ewma',
  'realized_vol_5m',
  'realized_vol_1h',
  'momentum_5m',
  'momentum_1h',
  'momentum_24h',
  'time_to_resolution_h',
  'market_age_h',
  'cat_politics',
  'cat_sports',
  'cat_crypto',
  'cat_economics',
  'cat_geopolitics',
  'cat_culture',
  'cat_other',
] as const;

export type FeatureName = (typeof FEATURE_NAMES)[number];

/** Categories with their own one-hot column; anything else is `other`. */
export const FEATURE_CATEGORIES = ['politics', 'sports', 'crypto', 'economics', 'geopolitics', 'culture'] as const;

export interface FeatureSpec {
  readonly version: string;
  readonly names: readonly string[];
  /** sha256 over version and names: what a model artifact records and the scorer checks. */
  readonly hash: string;
}

export function featureSpecHash(version: string, names: readonly string[]): string {
  return createHash('sha256').update(`${version}\n${names.join('\n')}`).digest('hex');
}

const VERSION = 'f1';
export const FEATURE_SPEC: FeatureSpec = {
  version: VERSION,
  names: FEATURE_NAMES,
  hash: featureSpecHash(VERSION, FEATURE_NAMES),
};

/** Index of each feature in a vector, for readers that need one value. */
export const FEATURE_INDEX: { readonly [K in FeatureName]: number } = Object.fromEntries(
  FEATURE_NAMES.map((name, i) => [name, i]),
) as { readonly [K in FeatureName]: number };
