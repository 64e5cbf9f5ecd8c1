import type { AssetId, EventId, MarketId } from './ids.js';

export type RiskRule =
  | 'kill_switch'
  | 'stale_book'
  | 'daily_loss'
  | 'drawdown'
  | 'market_cap'
  | 'event_cap'
  | 'total_cap'
  | 'min_size'
  | 'model_drift'
  | 'market_resolved'
  | 'opposing_position';

/** Topic `risk.event` (key: market or `global`): the gate blocked or resized an order, or a breaker changed. */
export interface RiskEvent {
  readonly id: string;
  readonly ts: number;
  readonly rule: RiskRule;
  readonly action: 'block' | 'resize' | 'trip' | 'reset';
  readonly reason: string;
  readonly signalId: string;
  readonly assetId: AssetId | '';
  readonly market: MarketId | '';
  readonly eventId: EventId | '';
}
