import { Subscription } from 'rxjs';
import type { Bus } from '../runtime/bus.js';
import type { StateRowBuffer } from '../runtime/state-row-buffer.js';

/**
 * persist (Postgres half): markets, resolutions, orders, fills, portfolio snapshots and risk events
 * -> the row buffer that the owner commits to the state store together with its checkpoint.
 */
export function persistStatePipeline(bus: Bus, rows: StateRowBuffer): Subscription {
  const sub = new Subscription();
  sub.add(bus.topic('pm.market.meta').subscribe((m) => rows.market(m)));
  sub.add(bus.topic('pm.resolution').subscribe((r) => rows.resolution(r)));
  sub.add(bus.topic('order.v1').subscribe((o) => rows.order(o)));
  sub.add(bus.topic('fill.v1').subscribe((f) => rows.fill(f)));
  sub.add(bus.topic('portfolio.v1').subscribe((p) => rows.portfolio(p)));
  sub.add(bus.topic('risk.event').subscribe((e) => rows.riskEvent(e)));
  return sub;
}
