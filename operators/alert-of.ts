/** One event -> its Alert: severity, title and body per kind; the id and dedupe key come from the source event's id. */
import type { Alert } from '../schemas/alert.js';
import type { ArbitrageOpportunity } from '../schemas/arbitrage-opportunity.js';
import type { Fill } from '../schemas/fill.js';
import type { RiskEvent } from '../schemas/risk-event.js';
import type { Signal } from '../schemas/signal.js';
import { formatMicros, toFloat } from '../schemas/units.js';
import type { WhaleEvent } from '../schemas/whale-event.js';

export type AlertSeverity = Alert['severity'];

export type AlertInput =
  | { readonly kind: 'signal'; readonly signal: Signal }
  | { readonly kind: 'fill'; readonly fill: Fill }
  | { readonly kind: 'risk'; readonly risk: RiskEvent }
  | { readonly kind: 'arbitrage'; readonly arbitrage: ArbitrageOpportunity }
  | { readonly kind: 'whale'; readonly whale: WhaleEvent };

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const usd = (micros: number): string => `$${toFloat(micros).toFixed(2)}`;

const alert = (kind: AlertInput['kind'], sourceEventId: string, ts: number, severity: AlertSeverity, title: string, body: string): Alert => ({
  id: `alert:${sourceEventId}`,
  ts,
  kind,
  severity,
  title,
  body,
  sourceEventId,
});

export function alertOf(input: AlertInput): Alert {
  switch (input.kind) {
    case 'signal': {
      const s = input.signal;
      return alert('signal', s.id, s.ts, s.strength === 'STRONG' ? 'warning' : 'info', `${s.strength} ${s.direction} signal`,
        `edge ${pct(s.edge)} at ${formatMicros(s.price)} (model ${pct(s.probability)}), liquidity ${formatMicros(s.liquidity)} shares; market ${s.market}, asset ${s.assetId}`);
    }
    case 'fill': {
      const f = input.fill;
      return alert('fill', f.id, f.ts, 'info', `Fill: bought ${f.direction} ${formatMicros(f.size)} @ ${formatMicros(f.price)}`,
        `fee ${usd(f.fee)}, unfilled ${formatMicros(f.unfilled)}; order ${f.orderId}, market ${f.market}`);
    }
    case 'risk': {
      const r = input.risk;
      const severity: AlertSeverity = r.action === 'trip' ? 'critical' : r.action === 'reset' ? 'info' : 'warning';
      return alert('risk', r.id, r.ts, severity, `Risk ${r.rule}: ${r.action}`, r.reason);
    }
    case 'arbitrage': {
      const a = input.arbitrage;
      return alert('arbitrage', a.id, a.ts, 'warning', `Arbitrage ${a.kind}: edge ${pct(a.edge)}`,
        `${formatMicros(a.size)} sets for ${usd(a.profit)} after fees, until ${new Date(a.expiresTs).toISOString()}; markets ${a.markets.join(', ')}`);
    }
    case 'whale': {
      const w = input.whale;
      const who = w.wallet === '' ? 'an unnamed taker' : `wallet ${w.wallet}${w.walletRank > 0 ? ` (#${w.walletRank} by volume)` : ''}`;
      return alert('whale', w.id, w.ts, w.kind === 'large_trade' ? 'warning' : 'info', `Whale ${w.kind}: ${w.side} ${usd(w.notional)}`,
        `${who}: ${formatMicros(w.size)} @ ${formatMicros(w.price)}${Number.isFinite(w.depthRatio) ? `, ${w.depthRatio.toFixed(2)}x depth` : ''}; market ${w.market}`);
    }
  }
}
