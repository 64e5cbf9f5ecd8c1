import { describe, expect, it } from 'vitest';
import type { BookUpdate, Level } from '../schemas/book-update.js';
import { assetId, marketId, type AssetId } from '../schemas/ids.js';
import type { Trade } from '../schemas/trade.js';
import type { PriceMicros, SizeMicros } from '../schemas/units.js';
import type { WalletTrade } from '../schemas/wallet-trade.js';
import type { WhaleEvent } from '../schemas/whale-event.js';
import { parseWalletTradeRow } from '../sources/polymarket/wallet-trade-row.js';
import type { L2Book } from './l2-book.js';
import { applyBookUpdate } from './order-book.js';
import { initialWhalesState, whalesStep, type WhalesInput, type WhalesOptions, type WhalesOutput } from './whales.js';
import type { WalletStanding } from './whale-wallets.js';

const SHARE = 1_000_000;
const YES = assetId('48331043336612883890938759509493159234755048973500640148014422747788308965732');
const NO = assetId('21742633143463906290569050155826241533067272736897614950488156847949938836455');
const MARKET = marketId('0x5a1c0000000000000000000000000000000000000000000000000000000e9e02');
const W1 = '0x56687bf447db6ffa42ffe2204a05edaa20f55839';
const W2 = '0x1111111111111111111111111111111111111111';
const px = (p: number): PriceMicros => Math.round(p * SHARE) as PriceMicros;
const sz = (q: number): SizeMicros => Math.round(q * SHARE) as SizeMicros;
const lv = (levels: [number, number][]): Level[] => levels.map(([p, q]) => ({ price: px(p), size: sz(q) }));

let tx = 0;
/** A Data API `/trades` row in the documented shape (POLYMARKET.md B.6), parsed as ingest parses it. */
function dataApiTrade(wallet: string, side: 'BUY' | 'SELL', size: number, price: number, seconds: number, asset: AssetId = YES): WalletTrade {
  const row = {
    proxyWallet: wallet,
    side,
    asset,
    conditionId: MARKET,
    size,
    price,
    timestamp: seconds,
    title: 'Will X happen by June 30?',
    slug: 'will-x-happen-by-june-30',
    eventSlug: 'x-event',
    outcome: asset === YES ? 'Yes' : 'No',
    outcomeIndex: asset === YES ? 0 : 1,
    name: 'whale123',
    pseudonym: 'Bright-Otter',
    transactionHash: `0x${(++tx).toString(16).padStart(64, '0')}`,
  };
  const parsed = parseWalletTradeRow(row);
  if (!parsed.ok) throw new Error(parsed.reason);
  return { ...parsed.trade, id: parsed.key };
}

function harness(opts: WhalesOptions = {}) {
  const state = initialWhalesState();
  const books = new Map<AssetId, L2Book>();
  const o = { minNotionalUsd: 1_000, minDepthRatio: 0.5, depthTicks: 5, trackedWallets: [], autoTrack: true, maxWallets: 100_000, ...opts };
  const resolved = { ...o, tracked: new Set(o.trackedWallets.map((w) => w.toLowerCase())) };
  const out: WhalesOutput[] = [];
  const feed = (input: WhalesInput): WhalesOutput[] => {
    const got = whalesStep(state, input, resolved) ?? [];
    out.push(...got);
    return got;
  };
  return {
    out,
    events: (): WhaleEvent[] => out.flatMap((x) => (x.kind === 'whale' ? [x.event] : [])),
    standings: (): WalletStanding[] => out.flatMap((x) => (x.kind === 'wallet' ? [x.standing] : [])),
    feed,
    book: (asset: AssetId, bids: [number, number][], asks: [number, number][]) => {
      const update: BookUpdate = { kind: 'snapshot', assetId: asset, market: MARKET, ts: 0, recvTs: 0, hash: '', bids: lv(bids), asks: lv(asks), tickSize: px(0.01) };
      feed({ kind: 'book', change: applyBookUpdate(books, update) });
    },
  };
}

describe('whales: large trades relative to depth', () => {
  it('flags a Data API trade that takes at least half the depth on its side, and not a smaller one', () => {
    const h = harness({ autoTrack: false });
    // Asks within 5 ticks of 0.44: 4,000 + 6,000 = 10,000 shares; the 0.50 level is outside the band.
    h.book(YES, [[0.42, 500]], [[0.44, 4_000], [0.46, 6_000], [0.5, 90_000]]);
    const big = h.feed({ kind: 'wallet_trade', trade: dataApiTrade(W1, 'BUY', 6_000, 0.44, 1_767_225_602) });
    const small = h.feed({ kind: 'wallet_trade', trade: dataApiTrade(W2, 'BUY', 4_000, 0.44, 1_767_225_603) });
    expect(big.find((x) => x.kind === 'whale')).toBeDefined();
    expect(small.find((x) => x.kind === 'whale')).toBeUndefined();
    const [e] = h.events();
    expect(e).toMatchObject({
      kind: 'large_trade',
      source: 'data_api',
      wallet: W1,
      side: 'BUY',
      ts: 1_767_225_602_000,
      size: sz(6_000),
      notional: 2_640 * SHARE,
      price: px(0.44),
      position: sz(6_000),
      walletVolume: 2_640 * SHARE,
      walletRank: 1,
    });
    expect(e!.depthRatio).toBeCloseTo(0.6, 12);
  });

  it('measures a SELL against the bids, and needs the notional floor', () => {
    const h = harness();
    h.book(YES, [[0.4, 1_000], [0.39, 1_000]], [[0.45, 10]]);
    // 1,500 shares at 0.40 = $600 < $1,000: not large though 75% of the bids.
    h.feed({ kind: 'wallet_trade', trade: dataApiTrade(W1, 'SELL', 1_500, 0.4, 1) });
    expect(h.events()).toEqual([]);
    h.book(YES, [[0.8, 1_000], [0.79, 1_000]], [[0.85, 10]]);
    h.feed({ kind: 'wallet_trade', trade: dataApiTrade(W1, 'SELL', 1_500, 0.8, 2) }); // $1,200, 75%
    expect(h.events()).toHaveLength(1);
    expect(h.events()[0]!.depthRatio).toBeCloseTo(0.75, 12);
  });

  it('does not call a trade large without a book (ratio NaN)', () => {
    const h = harness();
    h.feed({ kind: 'wallet_trade', trade: dataApiTrade(W1, 'BUY', 100_000, 0.5, 1) });
    expect(h.events()).toEqual([]);
    expect(h.standings()).toHaveLength(1);
  });

  it('flags market-channel prints (pm.trade) with no wallet', () => {
    const h = harness();
    h.book(YES, [[0.42, 500]], [[0.44, 2_000]]);
    const print: Trade = { id: 'tr-1', assetId: YES, market: MARKET, ts: 5, recvTs: 6, price: px(0.44), size: sz(3_000), side: 'BUY', feeRateBps: 0 };
    h.feed({ kind: 'trade', trade: print });
    expect(h.events()).toMatchObject([{ id: 'whale:ws_trade:tr-1', wallet: '', kind: 'large_trade', source: 'ws_trade', walletRank: 0, depthRatio: 1.5 }]);
  });
});

describe('whales: wallets', () => {
  it('tracks configured wallets on every trade, and auto-tracks a wallet after its first large trade', () => {
    const h = harness({ trackedWallets: [W2.toUpperCase().replace('0X', '0x')] });
    h.book(YES, [[0.42, 500]], [[0.44, 1_000]]);
    h.feed({ kind: 'wallet_trade', trade: dataApiTrade(W2, 'BUY', 10, 0.44, 1) });
    h.feed({ kind: 'wallet_trade', trade: dataApiTrade(W1, 'BUY', 10, 0.44, 2) }); // untracked, small
    h.feed({ kind: 'wallet_trade', trade: dataApiTrade(W1, 'BUY', 3_000, 0.44, 3) }); // large
    h.feed({ kind: 'wallet_trade', trade: dataApiTrade(W1, 'BUY', 10, 0.44, 4) }); // now tracked
    expect(h.events().map((e) => [e.wallet, e.kind])).toEqual([
      [W2, 'tracked_wallet'],
      [W1, 'large_trade'],
      [W1, 'tracked_wallet'],
    ]);
    expect(h.events()[2]!.position).toBe(sz(3_020));
  });

  it('realizes sells at average cost and marks positions to resolution; ranks by volume', () => {
    const h = harness();
    h.feed({ kind: 'wallet_trade', trade: dataApiTrade(W1, 'BUY', 100, 0.4, 1) }); // cost 40
    h.feed({ kind: 'wallet_trade', trade: dataApiTrade(W1, 'BUY', 100, 0.6, 2) }); // cost 60: 200 @ 0.50
    h.feed({ kind: 'wallet_trade', trade: dataApiTrade(W1, 'SELL', 50, 0.7, 3) }); // +50 x 0.20 = +10
    h.feed({ kind: 'wallet_trade', trade: dataApiTrade(W1, 'BUY', 10, 0.2, 4, NO) }); // cost 2
    h.feed({ kind: 'wallet_trade', trade: dataApiTrade(W2, 'BUY', 1_000, 0.5, 5) }); // volume 500
    expect(h.standings().at(-2)).toMatchObject({ wallet: W1, realizedPnl: 10 * SHARE, volume: (40 + 60 + 35 + 2) * SHARE, openPositions: 2 });
    const settled = h.feed({ kind: 'resolution', resolution: { market: MARKET, ts: 10, winningAssetId: YES, winningOutcome: 'Yes' } });
    // W1: 150 YES at cost 75 pay 150 (+75), 10 NO at cost 2 pay 0 (-2): 10 + 75 - 2 = 83.
    // W2: 1,000 YES at cost 500 pay 1,000: +500.
    expect(settled).toEqual([
      { kind: 'wallet', standing: { wallet: W2, volume: 500 * SHARE, trades: 1, realizedPnl: 500 * SHARE, openPositions: 0, lastTs: 5_000 } },
      { kind: 'wallet', standing: { wallet: W1, volume: 137 * SHARE, trades: 4, realizedPnl: 83 * SHARE, openPositions: 0, lastTs: 4_000 } },
    ]);
  });

  it('ranks a large trader against the volume of every wallet seen', () => {
    const h = harness();
    h.book(YES, [[0.42, 500]], [[0.5, 1_000]]);
    h.feed({ kind: 'wallet_trade', trade: dataApiTrade(W2, 'BUY', 100_000, 0.3, 1, NO) }); // $30,000, no NO book
    h.feed({ kind: 'wallet_trade', trade: dataApiTrade(W1, 'BUY', 4_000, 0.5, 2) }); // $2,000, large
    expect(h.events()).toMatchObject([{ wallet: W1, walletRank: 2, walletVolume: 2_000 * SHARE }]);
  });

  it('forgets the least recently active wallets past maxWallets', () => {
    const h = harness({ maxWallets: 2 });
    const wallets = ['0x' + 'a'.repeat(40), '0x' + 'b'.repeat(40), '0x' + 'c'.repeat(40)];
    wallets.forEach((w, i) => h.feed({ kind: 'wallet_trade', trade: dataApiTrade(w, 'BUY', 1, 0.5, i + 1) }));
    h.feed({ kind: 'wallet_trade', trade: dataApiTrade(wallets[0]!, 'BUY', 1, 0.5, 10) });
    // The first wallet was forgotten when the third arrived, so its ledger starts again.
    expect(h.standings().at(-1)).toMatchObject({ wallet: wallets[0], trades: 1 });
  });
});
