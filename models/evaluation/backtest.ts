// Backtest of the edge rules on evaluation rows: one entry per market at the first row whose
// after-fee edge clears the threshold, filled at the recorded executable price, held to resolution.
import { takerFeePerShare } from '../../operators/taker-fee.js';

export interface BacktestRow {
  readonly market: string;
  readonly category: string;
  readonly ts: number;
  readonly resolutionTs: number;
  readonly label: 0 | 1;
  readonly pModel: number;
  readonly confidence: number;
  /** Recorded best bid/ask (books); NaN for price series, priced at pMarket -/+ halfSpread. */
  readonly bestBid: number;
  readonly bestAsk: number;
  readonly pMarket: number;
}

export interface BacktestOptions {
  readonly minEdge: number;
  readonly minConfidence: number;
  /** Half-spread added to a recorded price when the source has no book (price series). */
  readonly halfSpread: number;
  /** Dollars spent per entry (shares = stake / price). */
  readonly stakeUsd: number;
  readonly feeRate: (category: string) => number;
  /** Trade only these categories (evaluation showed an edge there); undefined: all. */
  readonly categories?: ReadonlySet<string>;
}

export interface Trade {
  readonly market: string;
  readonly category: string;
  readonly ts: number;
  readonly exitTs: number;
  readonly direction: 'YES' | 'NO';
  readonly price: number;
  readonly shares: number;
  readonly fee: number;
  readonly edge: number;
  readonly pnl: number;
}

export interface BacktestResult {
  readonly trades: readonly Trade[];
  readonly pnl: number;
  readonly staked: number;
  readonly hitRate: number;
  /** Mean / std of per-trade returns (pnl / stake), times sqrt(trades): not annualised. */
  readonly sharpe: number;
  readonly maxDrawdown: number;
  /** Cumulative PnL after each trade's resolution, in resolution order. */
  readonly equity: readonly { readonly ts: number; readonly pnl: number }[];
}

export function backtest(rows: readonly BacktestRow[], o: BacktestOptions): BacktestResult {
  const ordered = [...rows].sort((a, b) => a.ts - b.ts || (a.market < b.market ? -1 : 1));
  const entered = new Set<string>();
  const trades: Trade[] = [];
  for (const r of ordered) {
    if (entered.has(r.market) || !(r.confidence >= o.minConfidence) || !Number.isFinite(r.pModel)) continue;
    if (o.categories !== undefined && !o.categories.has(r.category)) continue;
    const ask = Number.isNaN(r.bestAsk) ? Math.min(r.pMarket + o.halfSpread, 1) : r.bestAsk;
    const bid = Number.isNaN(r.bestBid) ? Math.max(r.pMarket - o.halfSpread, 0) : r.bestBid;
    const rate = o.feeRate(r.category);
    const yes = ask > 0 && ask < 1 ? r.pModel - ask - takerFeePerShare(rate, ask) : -Infinity;
    const noPrice = 1 - bid;
    const no = bid > 0 && bid < 1 ? 1 - r.pModel - noPrice - takerFeePerShare(rate, noPrice) : -Infinity;
    const best = yes >= no ? { direction: 'YES' as const, edge: yes, price: ask } : { direction: 'NO' as const, edge: no, price: noPrice };
    if (!(best.edge > o.minEdge)) continue;
    entered.add(r.market);
    const shares = o.stakeUsd / best.price;
    const fee = shares * takerFeePerShare(rate, best.price);
    const wins = best.direction === 'YES' ? r.label === 1 : r.label === 0;
    trades.push({
      market: r.market, category: r.category, ts: r.ts, exitTs: r.resolutionTs, direction: best.direction,
      price: best.price, shares, fee, edge: best.edge, pnl: shares * ((wins ? 1 : 0) - best.price) - fee,
    });
  }
  const byExit = [...trades].sort((a, b) => a.exitTs - b.exitTs);
  let cum = 0;
  let peak = 0;
  let maxDrawdown = 0;
  const equity = byExit.map((t) => {
    cum += t.pnl;
    peak = Math.max(peak, cum);
    maxDrawdown = Math.max(maxDrawdown, peak - cum);
    return { ts: t.exitTs, pnl: cum };
  });
  const rets = trades.map((t) => t.pnl / o.stakeUsd);
  const mean = rets.reduce((a, b) => a + b, 0) / Math.max(1, rets.length);
  const sd = Math.sqrt(rets.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, rets.length - 1));
  return {
    trades,
    pnl: cum,
    staked: trades.length * o.stakeUsd,
    hitRate: trades.length > 0 ? trades.filter((t) => t.pnl > 0).length / trades.length : NaN,
    sharpe: trades.length > 1 && sd > 0 ? (mean / sd) * Math.sqrt(trades.length) : NaN,
    maxDrawdown,
    equity,
  };
}
