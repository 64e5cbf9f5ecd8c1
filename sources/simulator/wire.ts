/**
 * Formats market-channel frames exactly as the server sends them (POLYMARKET.md B.1; nautilus
 * fixtures): decimals and timestamps as strings, prices in the shortest exact decimal on the tick
 * grid ("0.5", "0.999"), `book` bids ascending and asks descending (best level last), 40-hex hashes.
 * Strings are built by hand: this runs a million times per benchmark.
 */
import { formatMicros } from '../../schemas/units.js';
import { MILLS, type Side, type YesBook } from './book-model.js';

/** Mills (0.001) to a price string. */
export const priceText = (mills: number): string => formatMicros(mills * 1000);
/** Centi-shares to a size string. */
export const sizeText = (centi: number): string => formatMicros(centi * 10_000);
export const tickText = (tickMills: number): string => priceText(tickMills);

export interface WireMarket {
  readonly conditionId: string;
  readonly yesToken: string;
  readonly noToken: string;
}

const opposite = (side: Side): Side => (side === 'BUY' ? 'SELL' : 'BUY');

function levelsText(book: YesBook, yes: boolean, bidsSide: boolean): string {
  // YES bids ascending = YES bid prices upward; NO bids ascending = YES asks downward, mirrored.
  const parts: string[] = [];
  if (yes) {
    if (bidsSide) {
      for (let p = 1; p <= book.bestBid; p++) {
        const s = book.bids[p] as number;
        if (s > 0) parts.push(`{"price":"${priceText(p)}","size":"${sizeText(s)}"}`);
      }
    } else {
      for (let p = MILLS - 1; p >= book.bestAsk; p--) {
        const s = book.asks[p] as number;
        if (s > 0) parts.push(`{"price":"${priceText(p)}","size":"${sizeText(s)}"}`);
      }
    }
  } else if (bidsSide) {
    for (let p = MILLS - 1; p >= book.bestAsk; p--) {
      const s = book.asks[p] as number;
      if (s > 0) parts.push(`{"price":"${priceText(MILLS - p)}","size":"${sizeText(s)}"}`);
    }
  } else {
    for (let p = 1; p <= book.bestBid; p++) {
      const s = book.bids[p] as number;
      if (s > 0) parts.push(`{"price":"${priceText(MILLS - p)}","size":"${sizeText(s)}"}`);
    }
  }
  return `[${parts.join(',')}]`;
}

/** Best bid/ask strings of one token's book (mirror for NO). */
export function bestTexts(book: YesBook, yes: boolean): [string, string] {
  if (yes) return [priceText(book.bestBid), priceText(book.bestAsk)];
  return [priceText(MILLS - book.bestAsk), priceText(MILLS - book.bestBid)];
}

export function bookFrame(
  m: WireMarket,
  book: YesBook,
  yes: boolean,
  ts: number,
  hash: string,
  lastTradeMills: number,
): string {
  const asset = yes ? m.yesToken : m.noToken;
  const ltp = yes ? lastTradeMills : MILLS - lastTradeMills;
  return (
    `{"market":"${m.conditionId}","asset_id":"${asset}","timestamp":"${ts}","hash":"${hash}",` +
    `"bids":${levelsText(book, yes, true)},"asks":${levelsText(book, yes, false)},` +
    `"tick_size":"${tickText(book.tick)}","min_order_size":"5","neg_risk":false,"event_type":"book","last_trade_price":"${priceText(ltp)}"}`
  );
}

/**
 * A `price_change` for one YES level change and its NO mirror, the book already updated.
 * `yesFirst` decides the entry order (both occur on the wire).
 */
export function priceChangeFrame(
  m: WireMarket,
  book: YesBook,
  side: Side,
  priceMills: number,
  sizeCenti: number,
  ts: number,
  hashYes: string,
  hashNo: string,
  yesFirst: boolean,
): string {
  const size = sizeText(sizeCenti);
  const [yb, ya] = bestTexts(book, true);
  const [nb, na] = bestTexts(book, false);
  const yesEntry = `{"asset_id":"${m.yesToken}","price":"${priceText(priceMills)}","size":"${size}","side":"${side}","hash":"${hashYes}","best_bid":"${yb}","best_ask":"${ya}"}`;
  const noEntry = `{"asset_id":"${m.noToken}","price":"${priceText(MILLS - priceMills)}","size":"${size}","side":"${opposite(side)}","hash":"${hashNo}","best_bid":"${nb}","best_ask":"${na}"}`;
  const entries = yesFirst ? `${yesEntry},${noEntry}` : `${noEntry},${yesEntry}`;
  return `{"market":"${m.conditionId}","price_changes":[${entries}],"timestamp":"${ts}","event_type":"price_change"}`;
}

export function lastTradeFrame(m: WireMarket, yes: boolean, priceMills: number, sizeCenti: number, side: Side, ts: number): string {
  const asset = yes ? m.yesToken : m.noToken;
  return `{"asset_id":"${asset}","event_type":"last_trade_price","fee_rate_bps":"0","market":"${m.conditionId}","price":"${priceText(priceMills)}","side":"${side}","size":"${sizeText(sizeCenti)}","timestamp":"${ts}"}`;
}

export function tickSizeChangeFrame(m: WireMarket, yes: boolean, oldTick: number, newTick: number, ts: number): string {
  const asset = yes ? m.yesToken : m.noToken;
  return `{"asset_id":"${asset}","event_type":"tick_size_change","market":"${m.conditionId}","new_tick_size":"${tickText(newTick)}","old_tick_size":"${tickText(oldTick)}","timestamp":"${ts}"}`;
}

export function marketResolvedFrame(
  m: WireMarket,
  gammaId: string,
  yesWon: boolean,
  ts: number,
  tags: readonly string[],
): string {
  const winner = yesWon ? m.yesToken : m.noToken;
  return JSON.stringify({
    event_type: 'market_resolved',
    id: gammaId,
    market: m.conditionId,
    assets_ids: [m.yesToken, m.noToken],
    winning_asset_id: winner,
    winning_outcome: yesWon ? 'Yes' : 'No',
    timestamp: String(ts),
    tags,
  });
}

/** Corrupts a valid frame the ways real feeds and bugs do; every result must fail validation. */
export type MalformedKind = 'truncated' | 'unknown_event_type' | 'bad_price' | 'negative_size' | 'missing_asset_id';
export const MALFORMED_KINDS: readonly MalformedKind[] = ['truncated', 'unknown_event_type', 'bad_price', 'negative_size', 'missing_asset_id'];

export function malformFrame(frame: string, kind: MalformedKind, cut: number): string {
  let obj: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(frame);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return truncate(frame, cut);
    obj = parsed as Record<string, unknown>;
  } catch {
    return truncate(frame, cut);
  }
  const entries = obj['price_changes'];
  const target: Record<string, unknown> =
    Array.isArray(entries) && entries.length > 0 ? (entries[0] as Record<string, unknown>) : obj;
  const bookLevel = (): Record<string, unknown> | undefined => {
    const side = (Array.isArray(obj['bids']) && (obj['bids'] as unknown[]).length > 0 ? obj['bids'] : obj['asks']) as unknown;
    return Array.isArray(side) && side.length > 0 ? (side[side.length - 1] as Record<string, unknown>) : undefined;
  };
  switch (kind) {
    case 'truncated':
      return truncate(frame, cut);
    case 'unknown_event_type':
      obj['event_type'] = 'price_update';
      return JSON.stringify(obj);
    case 'bad_price': {
      const level = 'price' in target ? target : bookLevel();
      if (level === undefined) return truncate(frame, cut);
      level['price'] = 'abc';
      return JSON.stringify(obj);
    }
    case 'negative_size': {
      const level = 'size' in target ? target : bookLevel();
      if (level === undefined) return truncate(frame, cut);
      level['size'] = `-${String(level['size'])}`;
      return JSON.stringify(obj);
    }
    case 'missing_asset_id':
      if (!('asset_id' in target)) return truncate(frame, cut);
      delete target['asset_id'];
      return JSON.stringify(obj);
  }
}

function truncate(frame: string, cut: number): string {
  return frame.slice(0, Math.max(1, Math.min(frame.length - 1, Math.floor(cut * frame.length))));
}
