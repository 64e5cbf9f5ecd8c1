/**
 * Parser for frames of Polymarket's CLOB market channel: JSON.parse, then hand-written checks (no
 * schema library on this path: it runs once per event at ~300k events/s), emitting typed events
 * through callbacks so nothing is allocated beyond the events themselves.
 *
 * Documented behaviour followed (POLYMARKET.md section 0 facts 3, 4, 6 and section B.1):
 * - A frame is one JSON object or a JSON array of them; every event has `event_type` (B.1).
 * - `book`: `market`, `asset_id`, `bids[]`/`asks[]` of `{price,size}` decimal strings, `timestamp`
 *   (ms string), `hash`; newer frames add `tick_size`, `min_order_size`, `neg_risk`,
 *   `last_trade_price` (ts-sdk). A snapshot replaces the book (fact 6), so it is all-or-nothing:
 *   one bad level dead-letters the whole snapshot rather than emitting a silently wrong book.
 *   Levels keep the feed's order: the docs and rs-clob-client disagree on it (B.1 "Do not rely on
 *   bid/ask ordering"), so consumers must not assume one. Only `tick_size` of the optional fields
 *   is read (0 when absent, per the BookUpdate contract); the others are not carried.
 * - `price_change` changed schema on 2025-09-15 23:00 UTC (fact 4). All three shapes are read:
 *   current `price_changes[]` (each entry has its own `asset_id`, `hash`, `best_bid`, `best_ask`,
 *   and one frame may mix both tokens of a market), legacy `changes[]` with top-level
 *   `asset_id`/`hash`, and the oldest flat top-level `price`/`side`/`size` (nautilus fixture).
 *   In a delta `size` is the new aggregate size at the level and "0" removes it (fact 6).
 *   `BUY` is the bid side and `SELL` the ask side (B.1 step 3); `side` may be lower-case (B.1).
 * - An absent optional decimal arrives as "" (B.1 caveats): "" / null / absent `best_bid` or
 *   `best_ask` becomes -1, "" `tick_size` 0, "" `fee_rate_bps` 0. A reported best price may be
 *   "0" or "1" (empty side), so those two accept the closed range [0,1]; level, trade and tick
 *   prices must lie strictly inside (0,1).
 * - `last_trade_price`: `market`, `asset_id`, `price`, `size`, `side`, `fee_rate_bps`,
 *   `timestamp`, optional `transaction_hash` -> Trade.
 * - `tick_size_change`: `old_tick_size`, `new_tick_size` -> BookUpdate kind 'tick_size' (the book
 *   drops itself and waits for a snapshot, fact 6; that is the book operator's job).
 * - `market_resolved` (custom feature): `market`, `winning_asset_id`, `winning_outcome`,
 *   `timestamp` -> Resolution.
 * - `best_bid_ask` and `new_market` (custom features) and the `PONG` keepalive reply (fact 3) are
 *   recognised and dropped; `sink.ignored` (optional) is told about each, for counting.
 *
 * Validation scope: every field that reaches an output is checked (type, decimal syntax via
 * `parseMicros`, price range, integer-ms timestamp, side). Ids are checked to be non-empty strings
 * but their digits/hex are not scanned on this path. Fields not carried are not validated.
 *
 * Dead letters: `{ source: 'ingest.market-channel', reason, raw, ts: recvTs }`. `reason` is
 * `<event_type>.<json path>: <what is wrong>` (e.g. `price_change.price_changes[1].price: not a
 * decimal: "abc"`) or a frame-level reason (`not JSON: ...`). `raw` is the frame itself when the
 * frame is a single bad event, the offending element re-stringified when it came in an array, and
 * for one bad entry of `price_changes[]`/`changes[]` the event re-stringified with only that entry
 * (so re-parsing `raw` reproduces the failure with its context, while the valid entries went on).
 *
 * The parser never throws. An exception thrown by a sink callback is the sink's and propagates.
 */
import type { BookSide, BookUpdate, Level, LevelChange } from '../../schemas/book-update.js';
import type { DeadLetter } from '../../schemas/dead-letter.js';
import type { AssetId, MarketId } from '../../schemas/ids.js';
import type { Resolution } from '../../schemas/resolution.js';
import type { Trade, TradeSide } from '../../schemas/trade.js';
import { MICROS, parseMicros, type PriceMicros, type SizeMicros } from '../../schemas/units.js';

export const MARKET_CHANNEL_DLQ_SOURCE = 'ingest.market-channel';

/** Frames recognised and deliberately dropped. */
export type IgnoredEventType = 'best_bid_ask' | 'new_market' | 'pong';

export interface MarketFrameSink {
  book(u: BookUpdate): void;
  trade(t: Trade): void;
  resolution(r: Resolution): void;
  deadLetter(d: DeadLetter): void;
  /** Optional: called once per dropped `best_bid_ask` / `new_market` event or `PONG` frame. */
  ignored?(type: IgnoredEventType): void;
}

type Wire = Record<string, unknown>;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type DeltaUpdate = Extract<BookUpdate, { kind: 'delta' }>;
type DeltaDraft = Mutable<Omit<DeltaUpdate, 'changes'>> & { changes: LevelChange[] };

/**
 * JSON.parse's message without the "(line L column C)" that newer V8 (Node 24) appends to the
 * position it already gives: the dead letters of one input are the same on every supported Node.
 */
const jsonErrorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err)).replace(/ \(line \d+ column \d+\)$/, '');

/**
 * Parses one websocket text frame and hands every event in it to `out`. `recvTs` is the receive
 * time (ms), stamped on every output and used as the dead letters' `ts`.
 */
export function parseMarketFrame(frame: string, recvTs: number, out: MarketFrameSink): void {
  if (frame === 'PONG') {
    out.ignored?.('pong');
    return;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(frame);
  } catch (err) {
    deadLetter(out, `not JSON: ${clip(jsonErrorMessage(err), 100)}`, frame, recvTs);
    return;
  }
  if (Array.isArray(doc)) {
    for (let i = 0; i < doc.length; i++) parseEvent(doc[i], undefined, recvTs, out);
  } else {
    parseEvent(doc, frame, recvTs, out);
  }
}

/** `raw` is the frame text when the event is the whole frame, undefined for an array element. */
function parseEvent(ev: unknown, raw: string | undefined, recvTs: number, out: MarketFrameSink): void {
  if (!isRecord(ev)) {
    fail(out, ev, raw, recvTs, `event: expected object, got ${kindOf(ev)}`);
    return;
  }
  const et = ev.event_type;
  switch (et) {
    case 'price_change':
      priceChange(ev, raw, recvTs, out);
      return;
    case 'book':
      book(ev, raw, recvTs, out);
      return;
    case 'last_trade_price':
      lastTradePrice(ev, raw, recvTs, out);
      return;
    case 'tick_size_change':
      tickSizeChange(ev, raw, recvTs, out);
      return;
    case 'market_resolved':
      marketResolved(ev, raw, recvTs, out);
      return;
    case 'best_bid_ask':
    case 'new_market':
      out.ignored?.(et);
      return;
    default:
      fail(out, ev, raw, recvTs, et === undefined ? 'event_type: missing' : `event_type: unknown: ${show(et)}`);
  }
}

function book(ev: Wire, raw: string | undefined, recvTs: number, out: MarketFrameSink): void {
  const market = ev.market;
  const asset = ev.asset_id;
  const ts = millisOf(ev.timestamp);
  const hash = hashOf(ev.hash);
  const tickSize = optionalTickOf(ev.tick_size);
  const bids = levelsOf(ev.bids);
  const asks = levelsOf(ev.asks);
  if (!isId(market) || !isId(asset) || ts !== ts || hash === undefined || tickSize !== tickSize || bids === undefined || asks === undefined) {
    fail(out, ev, raw, recvTs, explainBook(ev));
    return;
  }
  out.book({
    kind: 'snapshot',
    assetId: asset as AssetId,
    market: market as MarketId,
    ts,
    recvTs,
    hash,
    bids,
    asks,
    tickSize: tickSize as PriceMicros,
  });
}

function priceChange(ev: Wire, raw: string | undefined, recvTs: number, out: MarketFrameSink): void {
  const market = ev.market;
  const ts = millisOf(ev.timestamp);
  if (!isId(market) || ts !== ts) {
    fail(out, ev, raw, recvTs, isId(market) ? field('price_change', 'timestamp', whyMillis(ev.timestamp)) : field('price_change', 'market', whyId(market)));
    return;
  }
  const list = ev.price_changes;
  if (list !== undefined) {
    if (!Array.isArray(list) || list.length === 0) {
      fail(out, ev, raw, recvTs, field('price_change', 'price_changes', Array.isArray(list) ? 'empty' : `expected array, got ${kindOf(list)}`));
      return;
    }
    priceChanges(ev, list, market as MarketId, ts, recvTs, out);
    return;
  }
  // Legacy (one asset per message, `changes[]`) and oldest (flat) forms share the top-level id.
  const asset = ev.asset_id;
  const hash = hashOf(ev.hash);
  if (!isId(asset) || hash === undefined) {
    fail(out, ev, raw, recvTs, isId(asset) ? field('price_change', 'hash', whyHash(ev.hash)) : field('price_change', 'asset_id', whyId(asset)));
    return;
  }
  const changes = ev.changes;
  if (changes !== undefined) {
    if (!Array.isArray(changes) || changes.length === 0) {
      fail(out, ev, raw, recvTs, field('price_change', 'changes', Array.isArray(changes) ? 'empty' : `expected array, got ${kindOf(changes)}`));
      return;
    }
    const kept: LevelChange[] = [];
    for (let i = 0; i < changes.length; i++) {
      const c: unknown = changes[i];
      const change = isRecord(c) ? levelChangeOf(c) : undefined;
      if (change === undefined) entryFail(out, ev, 'changes', i, c, recvTs);
      else kept.push(change);
    }
    if (kept.length > 0) out.book(delta(asset as AssetId, market as MarketId, ts, recvTs, hash, kept, -1, -1));
    return;
  }
  if (ev.price === undefined) {
    fail(out, ev, raw, recvTs, 'price_change: none of price_changes[], changes[] or a top-level price');
    return;
  }
  const change = levelChangeOf(ev);
  if (change === undefined) {
    fail(out, ev, raw, recvTs, explainLevelChange(ev, 'price_change.'));
    return;
  }
  out.book(delta(asset as AssetId, market as MarketId, ts, recvTs, hash, [change], -1, -1));
}

/** Current form: entries grouped into one delta per asset, in order of first appearance. */
function priceChanges(ev: Wire, list: unknown[], market: MarketId, ts: number, recvTs: number, out: MarketFrameSink): void {
  let first: DeltaDraft | undefined;
  let others: DeltaDraft[] | undefined;
  for (let i = 0; i < list.length; i++) {
    const e: unknown = list[i];
    if (!isRecord(e)) {
      entryFail(out, ev, 'price_changes', i, e, recvTs);
      continue;
    }
    const asset = e.asset_id;
    const change = levelChangeOf(e);
    const hash = hashOf(e.hash);
    const bestBid = bestOf(e.best_bid);
    const bestAsk = bestOf(e.best_ask);
    if (!isId(asset) || change === undefined || hash === undefined || bestBid !== bestBid || bestAsk !== bestAsk) {
      entryFail(out, ev, 'price_changes', i, e, recvTs);
      continue;
    }
    let d: DeltaDraft | undefined;
    if (first === undefined) {
      d = first = delta(asset as AssetId, market, ts, recvTs, hash, [], bestBid, bestAsk);
    } else if (first.assetId === asset) {
      d = first;
    } else {
      if (others === undefined) others = [];
      for (let k = 0; k < others.length; k++) {
        const o = others[k] as DeltaDraft;
        if (o.assetId === asset) {
          d = o;
          break;
        }
      }
      if (d === undefined) {
        d = delta(asset as AssetId, market, ts, recvTs, hash, [], bestBid, bestAsk);
        others.push(d);
      }
    }
    d.changes.push(change);
    d.hash = hash;
    d.bestBid = bestBid as PriceMicros;
    d.bestAsk = bestAsk as PriceMicros;
  }
  if (first !== undefined) out.book(first);
  if (others !== undefined) for (let k = 0; k < others.length; k++) out.book(others[k] as DeltaDraft);
}

function lastTradePrice(ev: Wire, raw: string | undefined, recvTs: number, out: MarketFrameSink): void {
  const market = ev.market;
  const asset = ev.asset_id;
  const price = priceOf(ev.price);
  const size = sizeOf(ev.size);
  const side = tradeSideOf(ev.side);
  const ts = millisOf(ev.timestamp);
  const fee = feeOf(ev.fee_rate_bps);
  const tx = ev.transaction_hash;
  const txOk = tx === undefined || tx === null || typeof tx === 'string';
  if (!isId(market) || !isId(asset) || price !== price || size !== size || side === undefined || ts !== ts || fee !== fee || !txOk) {
    fail(out, ev, raw, recvTs, explainTrade(ev));
    return;
  }
  out.trade({
    // One transaction can match several makers or both tokens: the hash alone would merge them.
    id: typeof tx === 'string' && tx.length > 0 ? `${tx}:${tradeId(asset, ts, price, size, side)}` : tradeId(asset, ts, price, size, side),
    assetId: asset as AssetId,
    market: market as MarketId,
    ts,
    recvTs,
    price: price as PriceMicros,
    size: size as SizeMicros,
    side,
    feeRateBps: fee,
  });
}

function tickSizeChange(ev: Wire, raw: string | undefined, recvTs: number, out: MarketFrameSink): void {
  const market = ev.market;
  const asset = ev.asset_id;
  const ts = millisOf(ev.timestamp);
  const oldTick = priceOf(ev.old_tick_size);
  const newTick = priceOf(ev.new_tick_size);
  if (!isId(market) || !isId(asset) || ts !== ts || oldTick !== oldTick || newTick !== newTick) {
    const et = 'tick_size_change';
    const reason = !isId(market)
      ? field(et, 'market', whyId(market))
      : !isId(asset)
        ? field(et, 'asset_id', whyId(asset))
        : ts !== ts
          ? field(et, 'timestamp', whyMillis(ev.timestamp))
          : oldTick !== oldTick
            ? field(et, 'old_tick_size', whyPrice(ev.old_tick_size))
            : field(et, 'new_tick_size', whyPrice(ev.new_tick_size));
    fail(out, ev, raw, recvTs, reason);
    return;
  }
  out.book({
    kind: 'tick_size',
    assetId: asset as AssetId,
    market: market as MarketId,
    ts,
    recvTs,
    hash: '',
    oldTickSize: oldTick as PriceMicros,
    newTickSize: newTick as PriceMicros,
  });
}

function marketResolved(ev: Wire, raw: string | undefined, recvTs: number, out: MarketFrameSink): void {
  const et = 'market_resolved';
  const market = ev.market;
  const winner = ev.winning_asset_id;
  const outcome = ev.winning_outcome;
  const ts = millisOf(ev.timestamp);
  const assets = ev.assets_ids;
  let reason: string | undefined;
  if (!isId(market)) reason = field(et, 'market', whyId(market));
  else if (!isId(winner)) reason = field(et, 'winning_asset_id', whyId(winner));
  else if (!isId(outcome)) reason = field(et, 'winning_outcome', whyId(outcome));
  else if (ts !== ts) reason = field(et, 'timestamp', whyMillis(ev.timestamp));
  else if (assets !== undefined && assets !== null && !(Array.isArray(assets) && assets.includes(winner))) {
    reason = field(et, 'winning_asset_id', `not among assets_ids: ${show(winner)}`);
  }
  if (reason !== undefined) {
    fail(out, ev, raw, recvTs, reason);
    return;
  }
  out.resolution({
    market: market as MarketId,
    ts,
    winningAssetId: winner as AssetId,
    winningOutcome: outcome as string,
  });
}

function delta(
  assetId: AssetId,
  market: MarketId,
  ts: number,
  recvTs: number,
  hash: string,
  changes: LevelChange[],
  bestBid: number,
  bestAsk: number,
): DeltaDraft {
  return {
    kind: 'delta',
    assetId,
    market,
    ts,
    recvTs,
    hash,
    changes,
    bestBid: bestBid as PriceMicros,
    bestAsk: bestAsk as PriceMicros,
  };
}

// ---- hot-path field readers: NaN / undefined for anything invalid, the reason is built later ----

function isRecord(v: unknown): v is Wire {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isId(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

/** A price strictly inside (0,1), in micros. */
function priceOf(v: unknown): number {
  if (typeof v !== 'string') return NaN;
  const m = parseMicros(v);
  return m > 0 && m < MICROS ? m : NaN;
}

/** A non-negative size, in micros. */
function sizeOf(v: unknown): number {
  return typeof v === 'string' ? parseMicros(v) : NaN;
}

/** Reported best price: "" / null / absent -> -1; else a decimal in [0,1]. */
function bestOf(v: unknown): number {
  if (v === undefined || v === null || v === '') return -1;
  if (typeof v !== 'string') return NaN;
  const m = parseMicros(v);
  return m <= MICROS ? m : NaN;
}

/** Optional tick size: "" / null / absent -> 0; else a decimal in (0,1). */
function optionalTickOf(v: unknown): number {
  if (v === undefined || v === null || v === '') return 0;
  return priceOf(v);
}

/**
 * Event times polyflow accepts: 2020-01-01 .. 2100-01-01 UTC. Anything outside is a unit or digit
 * error (seconds for ms, an extra digit) and would poison every event-time window and the UTC-day
 * breakers downstream, so it is refused at the edge.
 */
const MIN_EVENT_MS = Date.UTC(2020, 0, 1);
const MAX_EVENT_MS = Date.UTC(2100, 0, 1);

/** Integer milliseconds from a digit string or a number, within the accepted event times. */
function millisOf(v: unknown): number {
  let n: number;
  if (typeof v === 'string') {
    const len = v.length;
    if (len === 0 || len > 16) return NaN;
    n = 0;
    for (let i = 0; i < len; i++) {
      const c = v.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return NaN;
      n = n * 10 + c;
    }
  } else if (typeof v === 'number' && Number.isSafeInteger(v)) n = v;
  else return NaN;
  return n >= MIN_EVENT_MS && n < MAX_EVENT_MS ? n : NaN;
}

/** Book hash: a string, or "" when absent; undefined when present but not a string. */
function hashOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  return v === undefined || v === null ? '' : undefined;
}

function bookSideOf(v: unknown): BookSide | undefined {
  if (v === 'BUY') return 'bid';
  if (v === 'SELL') return 'ask';
  if (typeof v !== 'string') return undefined;
  const up = v.toUpperCase();
  return up === 'BUY' ? 'bid' : up === 'SELL' ? 'ask' : undefined;
}

function tradeSideOf(v: unknown): TradeSide | undefined {
  if (v === 'BUY' || v === 'SELL') return v;
  if (typeof v !== 'string') return undefined;
  const up = v.toUpperCase();
  return up === 'BUY' || up === 'SELL' ? up : undefined;
}

/** fee_rate_bps: "" / null / absent -> 0; a non-negative decimal string or number. */
function feeOf(v: unknown): number {
  if (v === undefined || v === null || v === '') return 0;
  if (typeof v === 'string') {
    const m = parseMicros(v);
    return m === m ? m / MICROS : NaN;
  }
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : NaN;
  return NaN;
}

function levelsOf(v: unknown): Level[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const levels: Level[] = [];
  for (let i = 0; i < v.length; i++) {
    const l: unknown = v[i];
    if (!isRecord(l)) return undefined;
    const price = priceOf(l.price);
    const size = sizeOf(l.size);
    if (price !== price || size !== size) return undefined;
    levels.push({ price: price as PriceMicros, size: size as SizeMicros });
  }
  return levels;
}

function levelChangeOf(e: Wire): LevelChange | undefined {
  const price = priceOf(e.price);
  const size = sizeOf(e.size);
  const side = bookSideOf(e.side);
  if (price !== price || size !== size || side === undefined) return undefined;
  return { price: price as PriceMicros, size: size as SizeMicros, side };
}

/**
 * Deterministic trade id when the feed gives no transaction hash: 64 bits (two 32-bit
 * multiply-xorshift lanes, cyrb53-style) over asset, ts, price, size and side. The numbers are
 * the parsed values, so "0.5" and "0.50" give the same id; they are mixed in as 32-bit words,
 * not formatted, to keep this off the allocation path.
 */
export function tradeId(asset: string, ts: number, price: number, size: number, side: TradeSide): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < asset.length; i++) {
    const c = asset.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  // ts and size can pass 2^32: mixed as low and high words.
  const tsHigh = Math.floor(ts / 0x1_0000_0000);
  const sizeHigh = Math.floor(size / 0x1_0000_0000);
  h1 = Math.imul(h1 ^ (ts - tsHigh * 0x1_0000_0000), 2654435761);
  h2 = Math.imul(h2 ^ (ts - tsHigh * 0x1_0000_0000), 1597334677);
  h1 = Math.imul(h1 ^ tsHigh, 2654435761);
  h2 = Math.imul(h2 ^ tsHigh, 1597334677);
  h1 = Math.imul(h1 ^ price, 2654435761);
  h2 = Math.imul(h2 ^ price, 1597334677);
  h1 = Math.imul(h1 ^ (size - sizeHigh * 0x1_0000_0000), 2654435761);
  h2 = Math.imul(h2 ^ (size - sizeHigh * 0x1_0000_0000), 1597334677);
  h1 = Math.imul(h1 ^ sizeHigh, 2654435761);
  h2 = Math.imul(h2 ^ sizeHigh, 1597334677);
  const sideWord = side === 'BUY' ? 1 : 2;
  h1 = Math.imul(h1 ^ sideWord, 2654435761);
  h2 = Math.imul(h2 ^ sideWord, 1597334677);
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return hex8(h2) + hex8(h1);
}

const HEX = '0123456789abcdef';

/** 8 lower-case hex digits; Number#toString(16) on values past 2^31 is several times slower. */
function hex8(n: number): string {
  let s = '';
  for (let shift = 28; shift >= 0; shift -= 4) s += HEX.charAt((n >>> shift) & 15);
  return s;
}

// ---- cold path: dead letters and their reasons ----

function deadLetter(out: MarketFrameSink, reason: string, raw: string, recvTs: number): void {
  out.deadLetter({ source: MARKET_CHANNEL_DLQ_SOURCE, reason, raw, ts: recvTs });
}

function fail(out: MarketFrameSink, ev: unknown, raw: string | undefined, recvTs: number, reason: string): void {
  deadLetter(out, reason, raw ?? stringify(ev), recvTs);
}

/** One bad entry of a list: raw is the event re-stringified with only that entry in the list. */
function entryFail(out: MarketFrameSink, ev: Wire, list: 'price_changes' | 'changes', i: number, entry: unknown, recvTs: number): void {
  const prefix = `price_change.${list}[${i}]`;
  let reason: string;
  if (!isRecord(entry)) reason = `${prefix}: expected object, got ${kindOf(entry)}`;
  else if (list === 'changes') reason = explainLevelChange(entry, `${prefix}.`);
  else if (!isId(entry.asset_id)) reason = `${prefix}.asset_id: ${whyId(entry.asset_id)}`;
  else {
    const level = levelChangeOf(entry) === undefined ? explainLevelChange(entry, `${prefix}.`) : undefined;
    reason =
      level ??
      (hashOf(entry.hash) === undefined
        ? `${prefix}.hash: ${whyHash(entry.hash)}`
        : bestOf(entry.best_bid) !== bestOf(entry.best_bid)
          ? `${prefix}.best_bid: ${whyBest(entry.best_bid)}`
          : `${prefix}.best_ask: ${whyBest(entry.best_ask)}`);
  }
  deadLetter(out, reason, stringify({ ...ev, [list]: [entry] }), recvTs);
}

function explainLevelChange(e: Wire, prefix: string): string {
  if (priceOf(e.price) !== priceOf(e.price)) return `${prefix}price: ${whyPrice(e.price)}`;
  if (sizeOf(e.size) !== sizeOf(e.size)) return `${prefix}size: ${whySize(e.size)}`;
  return `${prefix}side: ${whySide(e.side)}`;
}

function explainBook(ev: Wire): string {
  const et = 'book';
  if (!isId(ev.market)) return field(et, 'market', whyId(ev.market));
  if (!isId(ev.asset_id)) return field(et, 'asset_id', whyId(ev.asset_id));
  if (millisOf(ev.timestamp) !== millisOf(ev.timestamp)) return field(et, 'timestamp', whyMillis(ev.timestamp));
  if (hashOf(ev.hash) === undefined) return field(et, 'hash', whyHash(ev.hash));
  if (optionalTickOf(ev.tick_size) !== optionalTickOf(ev.tick_size)) return field(et, 'tick_size', whyPrice(ev.tick_size));
  return explainLevels(ev.bids, 'book.bids') ?? explainLevels(ev.asks, 'book.asks') ?? 'book: invalid';
}

function explainLevels(v: unknown, path: string): string | undefined {
  if (!Array.isArray(v)) return `${path}: ${v === undefined || v === null ? 'missing' : `expected array, got ${kindOf(v)}`}`;
  for (let i = 0; i < v.length; i++) {
    const l: unknown = v[i];
    if (!isRecord(l)) return `${path}[${i}]: expected object, got ${kindOf(l)}`;
    if (priceOf(l.price) !== priceOf(l.price)) return `${path}[${i}].price: ${whyPrice(l.price)}`;
    if (sizeOf(l.size) !== sizeOf(l.size)) return `${path}[${i}].size: ${whySize(l.size)}`;
  }
  return undefined;
}

function explainTrade(ev: Wire): string {
  const et = 'last_trade_price';
  if (!isId(ev.market)) return field(et, 'market', whyId(ev.market));
  if (!isId(ev.asset_id)) return field(et, 'asset_id', whyId(ev.asset_id));
  if (priceOf(ev.price) !== priceOf(ev.price)) return field(et, 'price', whyPrice(ev.price));
  if (sizeOf(ev.size) !== sizeOf(ev.size)) return field(et, 'size', whySize(ev.size));
  if (tradeSideOf(ev.side) === undefined) return field(et, 'side', whySide(ev.side));
  if (millisOf(ev.timestamp) !== millisOf(ev.timestamp)) return field(et, 'timestamp', whyMillis(ev.timestamp));
  if (feeOf(ev.fee_rate_bps) !== feeOf(ev.fee_rate_bps)) return field(et, 'fee_rate_bps', whySize(ev.fee_rate_bps));
  return field(et, 'transaction_hash', `expected string, got ${kindOf(ev.transaction_hash)}`);
}

function field(eventType: string, name: string, why: string): string {
  return `${eventType}.${name}: ${why}`;
}

function missing(v: unknown): boolean {
  return v === undefined || v === null;
}

function whyId(v: unknown): string {
  if (missing(v)) return 'missing';
  return typeof v === 'string' ? 'empty' : `expected string, got ${kindOf(v)}`;
}

function whyPrice(v: unknown): string {
  if (missing(v)) return 'missing';
  if (typeof v !== 'string') return `expected string, got ${kindOf(v)}`;
  return parseMicros(v) !== parseMicros(v) ? `not a decimal: ${show(v)}` : `not in (0,1): ${show(v)}`;
}

function whyBest(v: unknown): string {
  if (typeof v !== 'string') return `expected string, got ${kindOf(v)}`;
  return parseMicros(v) !== parseMicros(v) ? `not a decimal: ${show(v)}` : `not in [0,1]: ${show(v)}`;
}

function whySize(v: unknown): string {
  if (missing(v)) return 'missing';
  if (typeof v !== 'string' && typeof v !== 'number') return `expected string, got ${kindOf(v)}`;
  return `not a non-negative decimal: ${show(v)}`;
}

function whySide(v: unknown): string {
  return missing(v) ? 'missing' : `not BUY or SELL: ${show(v)}`;
}

function whyMillis(v: unknown): string {
  if (missing(v)) return 'missing';
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^[0-9]{1,16}$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) ? `outside 2020..2100 as ms since the epoch: ${show(v)}` : `not an integer ms: ${show(v)}`;
}

function whyHash(v: unknown): string {
  return `expected string, got ${kindOf(v)}`;
}

function kindOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function show(v: unknown): string {
  return clip(stringify(v), 40);
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}…`;
}

function stringify(v: unknown): string {
  return JSON.stringify(v) ?? String(v);
}
