import type { Fill } from '../schemas/fill.js';
import type { MarketMeta } from '../schemas/market-meta.js';
import type { Order } from '../schemas/order.js';
import type { PortfolioSnapshot } from '../schemas/portfolio-snapshot.js';
import type { Resolution } from '../schemas/resolution.js';
import type { RiskEvent } from '../schemas/risk-event.js';
import type { StateRows } from './state-store.js';

/**
 * The records waiting for the next commit to the state store. Its owner bounds it: a replay
 * checkpoints (and so commits and empties it) once `size` reaches its limit, and waits for the
 * commit before reading on, so a slow or unreachable store slows the run instead of growing memory.
 */
export class StateRowBuffer {
  private rows: { -readonly [K in keyof StateRows]: StateRows[K][number][] } = StateRowBuffer.empty();
  private count = 0;

  private static empty() {
    return { markets: [] as MarketMeta[], resolutions: [] as Resolution[], orders: [] as Order[], fills: [] as Fill[], portfolio: [] as PortfolioSnapshot[], riskEvents: [] as RiskEvent[] };
  }

  get size(): number {
    return this.count;
  }

  market(m: MarketMeta): void {
    this.rows.markets.push(m);
    this.count++;
  }
  resolution(r: Resolution): void {
    this.rows.resolutions.push(r);
    this.count++;
  }
  order(o: Order): void {
    this.rows.orders.push(o);
    this.count++;
  }
  fill(f: Fill): void {
    this.rows.fills.push(f);
    this.count++;
  }
  portfolio(p: PortfolioSnapshot): void {
    this.rows.portfolio.push(p);
    this.count++;
  }
  riskEvent(e: RiskEvent): void {
    this.rows.riskEvents.push(e);
    this.count++;
  }

  /** Everything buffered, in arrival order per table; the buffer starts empty again. */
  take(): StateRows {
    const rows = this.rows;
    this.rows = StateRowBuffer.empty();
    this.count = 0;
    return rows;
  }
}
