/**
 * The lines of a history directory, in the common layout of ../shared/data/polymarket/<source>/
 * (README there): markets.jsonl, prices.jsonl, and our skipped.jsonl. Key order is fixed by these
 * types' construction, so equal data gives equal bytes.
 */

/** Quality flags a kept market may carry (see data-checks in collect-history.ts). */
export type MarketFlag = 'series_missing' | 'series_ends_early' | 'last_price_contradicts_winner';

export interface MarketLine {
  market_id: string;
  condition_id: string;
  question: string;
  market_slug: string;
  event_id: string | null;
  event_slug: string | null;
  event_title: string | null;
  category: string;
  tags: string[];
  /** Gamma endDate (scheduled end), ISO UTC. */
  end_date: string;
  /** Gamma closedTime (when it actually closed), ISO UTC. Label/metadata, not a feature. */
  closed_time: string;
  /** Gamma startDate, else createdAt. */
  start_date: string;
  /** Lifetime USD volume at fetch time (look-ahead: label/metadata only). */
  volume: number | null;
  liquidity: number | null;
  neg_risk: boolean;
  outcomes: string[];
  token_ids: string[];
  winning_outcome: string;
  /** 1/0 for Yes/No markets, null for named outcomes. */
  yes_resolved: number | null;
  uma_resolution_status: string | null;
  flags: MarketFlag[];
}

export interface PriceLine {
  token_id: string;
  market_id: string;
  outcome: string;
  /** [[unix_seconds, price], ...], ascending, one point per second at most. */
  series: [number, number][];
}

/** Why a closed market seen on Gamma is not in markets.jsonl. */
export type SkipReason =
  | 'malformed'
  | 'not_closed'
  | 'not_final'
  | 'no_winner'
  | 'voided_50_50'
  | 'non_binary'
  | 'no_closed_time'
  | 'duplicate_token';

export interface SkipLine {
  market_id: string;
  reason: SkipReason;
  detail: string;
}
