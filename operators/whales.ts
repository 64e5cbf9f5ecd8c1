import type { OperatorFunction } from 'rxjs';
import type { StateSlot } from '../runtime/state-registry.js';
import type { AssetId, MarketId } from '../schemas/ids.js';
import type { Resolution } from '../schemas/resolution.js';
import type { Trade, TradeSide } from '../schemas/trade.js';
import { MICROS, notionalMicros, type PriceMicros, type SizeMicros, type UsdMicros } from '../schemas/units.js';
import type { WalletTrade } from '../schemas/wallet-trade.js';
import type { WhaleEvent } from '../schemas/whale-event.js';
import type { BookChange, BookView } from './book-view.js';
import { liveOptions, type LiveOptions } from './live-options.js';
import { stepOperator } from './step-operator.js';
import { applyWalletTrade, newWalletLedger, settleWallet, standingOf, type WalletLedger, type WalletStanding } from './whale-wallets.js';

/** Options of `whales`. */
export interface WhalesOptions {
  /** A trade is large when its notional is at least this, in dollars... Default 1 000. */
  readonly minNotionalUsd?: number;
  /** ...and its size is at least this fraction of the depth on the side it took. Default 0.5. */
  readonly minDepthRatio?: number;
  /** Depth band: ticks from the best price (the book's `depthWithin`). Default 5. */
  readonly depthTicks?: number;
  /** Wallets whose every trade is reported. */
  readonly trackedWallets?: readonly string[];
  /** A wallet that made a large trade is tracked from then on. Default true. */
  readonly autoTrack?: boolean;
  /** Wallets kept; the least recently active are forgotten past this. Default 100 000. */
  readonly maxWallets?: number;
}

type Resolved = Required<WhalesOptions> & { readonly tracked: ReadonlySet<string> };

const resolveOptions = (o: WhalesOptions): Resolved => {
  const r = { minNotionalUsd: 1_000, minDepthRatio: 0.5, depthTicks: 5, trackedWallets: [], autoTrack: true, maxWallets: 100_000, ...o };
  return { ...r, tracked: new Set(r.trackedWallets.map((w) => w.toLowerCase())) };
};

export type WhalesInput =
  | { readonly kind: 'wallet_trade'; readonly trade: WalletTrade }
  | { readonly kind: 'trade'; readonly trade: Trade }
  | { readonly kind: 'book'; readonly change: BookChange }
  | { readonly kind: 'resolution'; readonly resolution: Resolution };

/** A whale event for `whale.v1`, or a wallet's new standing (volume, PnL) for rankings. */
export type WhalesOutput = { readonly kind: 'whale'; readonly event: WhaleEvent } | { readonly kind: 'wallet'; readonly standing: WalletStanding };

export interface WhalesState {
  readonly books: Map<AssetId, BookView>;
  readonly wallets: Map<string, WalletLedger>;
  /** Wallets holding a position in each market, so a resolution settles only those. */
  readonly holders: Map<MarketId, Set<string>>;
  /** Wallets tracked since their first large trade. */
  readonly autoTracked: Set<string>;
}

export const initialWhalesState = (): WhalesState => ({ books: new Map(), wallets: new Map(), holders: new Map(), autoTracked: new Set() });

/** Size over the depth within `ticks` on the side a taker of `side` takes: asks for a BUY, bids for a SELL. NaN without a ready book. */
export function depthRatio(book: BookView | undefined, side: TradeSide, size: number, ticks: number): number {
  if (book === undefined || !book.ready) return Number.NaN;
  const depth = book.depthWithin(side === 'BUY' ? 'ask' : 'bid', ticks);
  return depth > 0 ? size / depth : Number.POSITIVE_INFINITY;
}

const rankByVolume = (s: WhalesState, w: WalletLedger): number => {
  let above = 0;
  for (const other of s.wallets.values()) if (other.volume > w.volume) above++;
  return above + 1;
};

function forgetOldest(s: WhalesState, max: number): void {
  if (s.wallets.size <= max) return;
  const drop = Math.max(s.wallets.size - max, Math.ceil(max / 64));
  const oldest = [...s.wallets.values()].sort((a, b) => a.lastTs - b.lastTs).slice(0, drop);
  for (const w of oldest) {
    s.wallets.delete(w.wallet);
    s.autoTracked.delete(w.wallet);
    for (const pos of w.positions.values()) s.holders.get(pos.market)?.delete(w.wallet);
  }
}

function whaleEvent(
  source: WhaleEvent['source'],
  kind: WhaleEvent['kind'],
  t: { readonly id: string; readonly ts: number; readonly assetId: AssetId; readonly market: MarketId; readonly side: TradeSide; readonly price: PriceMicros; readonly size: SizeMicros },
  ratio: number,
  wallet: { ledger: WalletLedger; rank: number } | undefined,
): WhaleEvent {
  return {
    id: `whale:${source}:${t.id}`,
    ts: t.ts,
    wallet: wallet?.ledger.wallet ?? '',
    assetId: t.assetId,
    market: t.market,
    size: t.size,
    notional: notionalMicros(t.price, t.size),
    depthRatio: ratio,
    kind,
    source,
    side: t.side,
    price: t.price,
    walletVolume: (wallet?.ledger.volume ?? 0) as UsdMicros,
    walletRealizedPnl: (wallet?.ledger.realizedPnl ?? 0) as UsdMicros,
    walletRank: wallet?.rank ?? 0,
    position: (wallet?.ledger.positions.get(t.assetId)?.size ?? 0) as SizeMicros,
  };
}

/** Step: updates the state in place; returns whale events and wallet standings, in order. */
export function whalesStep(s: WhalesState, input: WhalesInput, o: Resolved): WhalesOutput[] | undefined {
  switch (input.kind) {
    case 'book':
      s.books.set(input.change.book.assetId, input.change.book);
      return undefined;
    case 'trade': {
      const t = input.trade;
      const ratio = depthRatio(s.books.get(t.assetId), t.side, t.size, o.depthTicks);
      const large = notionalMicros(t.price, t.size) >= o.minNotionalUsd * MICROS && ratio >= o.minDepthRatio;
      return large ? [{ kind: 'whale', event: whaleEvent('ws_trade', 'large_trade', t, ratio, undefined) }] : undefined;
    }
    case 'wallet_trade': {
      const t = input.trade;
      let ledger = s.wallets.get(t.wallet);
      if (ledger === undefined) s.wallets.set(t.wallet, (ledger = newWalletLedger(t.wallet)));
      applyWalletTrade(ledger, t);
      if (ledger.positions.has(t.assetId)) {
        let set = s.holders.get(t.market);
        if (set === undefined) s.holders.set(t.market, (set = new Set()));
        set.add(t.wallet);
      }
      const ratio = depthRatio(s.books.get(t.assetId), t.side, t.size, o.depthTicks);
      const large = notionalMicros(t.price, t.size) >= o.minNotionalUsd * MICROS && ratio >= o.minDepthRatio;
      if (large && o.autoTrack) s.autoTracked.add(t.wallet);
      const tracked = o.tracked.has(t.wallet) || s.autoTracked.has(t.wallet);
      const out: WhalesOutput[] = [{ kind: 'wallet', standing: standingOf(ledger) }];
      if (large || tracked) {
        const event = whaleEvent('data_api', large ? 'large_trade' : 'tracked_wallet', t, ratio, { ledger, rank: rankByVolume(s, ledger) });
        out.push({ kind: 'whale', event });
      }
      forgetOldest(s, o.maxWallets);
      return out;
    }
    case 'resolution': {
      const r = input.resolution;
      const holders = s.holders.get(r.market);
      s.holders.delete(r.market);
      if (holders === undefined) return undefined;
      const out: WhalesOutput[] = [];
      for (const wallet of [...holders].sort()) {
        const ledger = s.wallets.get(wallet);
        if (ledger !== undefined && settleWallet(ledger, r)) out.push({ kind: 'wallet', standing: standingOf(ledger) });
      }
      return out.length === 0 ? undefined : out;
    }
  }
}

/**
 * Whale tracking (DESIGN.md §1 watch; POLYMARKET.md B.6 recipe): Data API wallet trades
 * (`pm.wallet.trade`) and market-channel prints (`pm.trade`) become `whale.v1` events when large
 * (notional at least `minNotionalUsd` and at least `minDepthRatio` of the book depth on the side
 * taken) or made by a tracked wallet. Every wallet's traded volume, positions and realized PnL
 * (sells at average cost, positions marked to resolution) are kept, ranked by volume in each event
 * and emitted as standings for the API. The depth is that of the book when the trade is seen: a
 * Data API trade arrives a poll after it happened, so its ratio is against the book of that moment.
 */
export function whales(opts: LiveOptions<WhalesOptions>, slot?: StateSlot): OperatorFunction<WhalesInput, WhalesOutput> {
  const read = liveOptions(opts, resolveOptions);
  return stepOperator(initialWhalesState, (state, input: WhalesInput) => whalesStep(state, input, read()), { slot });
}
