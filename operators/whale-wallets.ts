// The wallet ledger of `whales`: traded volume, positions and realized PnL per wallet, as far as its trades seen show.
import type { AssetId, MarketId } from '../schemas/ids.js';
import type { Resolution } from '../schemas/resolution.js';
import { MICROS, notionalMicros, type UsdMicros } from '../schemas/units.js';
import type { WalletTrade } from '../schemas/wallet-trade.js';

export interface WalletPosition {
  readonly market: MarketId;
  /** Micro-shares held. */
  size: number;
  /** Cost basis of what is held, micro-dollars. */
  cost: number;
}

export interface WalletLedger {
  readonly wallet: string;
  /** Notional traded, micro-dollars. */
  volume: number;
  trades: number;
  /** Sells against average cost, plus positions settled at resolution, micro-dollars. */
  realizedPnl: number;
  lastTs: number;
  readonly positions: Map<AssetId, WalletPosition>;
}

/** What the API ranks wallets by (emitted after every change to a wallet). */
export interface WalletStanding {
  readonly wallet: string;
  readonly volume: UsdMicros;
  readonly trades: number;
  readonly realizedPnl: UsdMicros;
  readonly openPositions: number;
  readonly lastTs: number;
}

export const standingOf = (w: WalletLedger): WalletStanding => ({
  wallet: w.wallet,
  volume: w.volume as UsdMicros,
  trades: w.trades,
  realizedPnl: w.realizedPnl as UsdMicros,
  openPositions: w.positions.size,
  lastTs: w.lastTs,
});

/**
 * Applies one trade of the wallet: a BUY adds to the position at its cost; a SELL takes shares out
 * at the average cost and realizes the difference. Shares sold beyond what the wallet was seen to
 * hold have no known cost (bought before tracking began, or minted by a split): they count as
 * volume only.
 */
export function applyWalletTrade(w: WalletLedger, t: WalletTrade): void {
  const notional = notionalMicros(t.price, t.size);
  w.volume += notional;
  w.trades++;
  w.lastTs = Math.max(w.lastTs, t.ts);
  let pos = w.positions.get(t.assetId);
  if (t.side === 'BUY') {
    if (pos === undefined) w.positions.set(t.assetId, (pos = { market: t.market, size: 0, cost: 0 }));
    pos.size += t.size;
    pos.cost += notional;
    return;
  }
  if (pos === undefined || pos.size <= 0) return;
  const q = Math.min(t.size, pos.size);
  const costOut = Math.round((pos.cost * q) / pos.size);
  w.realizedPnl += Math.round((t.price * q) / MICROS) - costOut;
  pos.size -= q;
  pos.cost -= costOut;
  if (pos.size === 0) w.positions.delete(t.assetId);
}

/** Marks the wallet's positions in the resolved market to their payout ($1 a share for the winner, 0 otherwise). */
export function settleWallet(w: WalletLedger, r: Resolution): boolean {
  let changed = false;
  for (const [asset, pos] of w.positions) {
    if (pos.market !== r.market) continue;
    const payout = asset === r.winningAssetId ? pos.size : 0; // one micro-share pays one micro-dollar
    w.realizedPnl += payout - pos.cost;
    w.positions.delete(asset);
    changed = true;
  }
  return changed;
}

export const newWalletLedger = (wallet: string): WalletLedger => ({ wallet, volume: 0, trades: 0, realizedPnl: 0, lastTs: 0, positions: new Map() });
