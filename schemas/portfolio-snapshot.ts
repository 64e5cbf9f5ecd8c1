import type { UsdMicros } from './units.js';

/** Topic `portfolio.v1` (key: account): the book-kept state after a fill, a mark or a settlement. */
export interface PortfolioSnapshot {
  readonly id: string;
  readonly ts: number;
  readonly reason: 'fill' | 'settlement' | 'mark';
  readonly cash: UsdMicros;
  /** Cash + positions marked at mid. */
  readonly equity: UsdMicros;
  readonly realizedPnl: UsdMicros;
  readonly unrealizedPnl: UsdMicros;
  /** Cost basis of open positions. */
  readonly exposure: UsdMicros;
  readonly peakEquity: UsdMicros;
  /** (peak - equity) / peak. */
  readonly drawdown: number;
  readonly openPositions: number;
}
