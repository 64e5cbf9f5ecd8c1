import type { PortfolioSnapshot } from '../../schemas/portfolio-snapshot.js';
import type { UsdMicros } from '../../schemas/units.js';

/** A flat 'mark' snapshot at `equity` (all cash, nothing open), with fields overridden by `extra`. */
export function portfolioSnapshot(ts: number, equity: number, extra: Partial<PortfolioSnapshot> = {}): PortfolioSnapshot {
  return {
    id: `pf:${ts}`,
    ts,
    reason: 'mark',
    cash: equity as UsdMicros,
    equity: equity as UsdMicros,
    realizedPnl: 0 as UsdMicros,
    unrealizedPnl: 0 as UsdMicros,
    exposure: 0 as UsdMicros,
    peakEquity: equity as UsdMicros,
    drawdown: 0,
    openPositions: 0,
    ...extra,
  };
}
