import type { EventId, MarketId } from './ids.js';
import type { SizeMicros } from './units.js';

/** Topic `arbitrage.v1` (key: market or event): a priced-wrong set of books, once per episode. */
export interface ArbitrageOpportunity {
  readonly id: string;
  readonly ts: number;
  readonly kind: 'complement_buy' | 'complement_sell' | 'neg_risk_buy' | 'neg_risk_sell' | 'duplicate';
  readonly markets: readonly MarketId[];
  readonly eventId: EventId | '';
  /** Profit per share set after fees, as a fraction of 1. */
  readonly edge: number;
  readonly size: SizeMicros;
  readonly expiresTs: number;
}
