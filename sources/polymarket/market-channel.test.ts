import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BookUpdate } from '../../schemas/book-update.js';
import type { DeadLetter } from '../../schemas/dead-letter.js';
import { collectingSink, type CollectingSink } from '../../test/helpers/collecting-sink.js';
import { MARKET_CHANNEL_DLQ_SOURCE, parseMarketFrame, tradeId, type MarketFrameSink } from './market-channel.js';

// Payloads below are written in the documented shapes (POLYMARKET.md B.1), with full-length ids.
const YES = '48331043336612883890938759509493159234755048973500640148014422747788308965732';
const NO = '21742633143463906290569050155826241533067272736897614950488156847949938836455';
const MARKET = '0xdd22472e552920b8438158ea7238bfadfa4f736aa4cee91a6b86c39ead110917';
const RECV = 1_767_225_609_999;

function parse(frame: string | object): CollectingSink {
  const c = collectingSink();
  parseMarketFrame(typeof frame === 'string' ? frame : JSON.stringify(frame), RECV, c);
  return c;
}

/** The single dead letter of a frame (and nothing else emitted). */
function deadOnly(frame: string | object): DeadLetter {
  const c = parse(frame);
  expect(c.books).toEqual([]);
  expect(c.trades).toEqual([]);
  expect(c.resolutions).toEqual([]);
  expect(c.dead).toHaveLength(1);
  const d = c.dead[0] as DeadLetter;
  expect(d.source).toBe(MARKET_CHANNEL_DLQ_SOURCE);
  expect(d.ts).toBe(RECV);
  return d;
}

const bookEvent = {
  event_type: 'book',
  market: MARKET,
  asset_id: YES,
  bids: [
    { price: '0.41', size: '1250' },
    { price: '0.42', size: '300.5' },
  ],
  asks: [
    { price: '0.44', size: '90' },
    { price: '0.45', size: '2000' },
  ],
  timestamp: '1767225600123',
  hash: '0x7c1e5f',
  tick_size: '0.01',
  min_order_size: '5',
  neg_risk: false,
  last_trade_price: '0.43',
};

const priceChangeEvent = {
  event_type: 'price_change',
  market: MARKET,
  timestamp: '1767225601450',
  price_changes: [
    { asset_id: YES, price: '0.42', size: '0', side: 'BUY', hash: 'a91f', best_bid: '0.41', best_ask: '0.44' },
    { asset_id: NO, price: '0.58', size: '0', side: 'SELL', hash: '04bd', best_bid: '0.56', best_ask: '0.59' },
  ],
};

const tradeEvent = {
  event_type: 'last_trade_price',
  market: MARKET,
  asset_id: YES,
  price: '0.44',
  size: '57.2',
  side: 'BUY',
  fee_rate_bps: '0',
  timestamp: '1767225602001',
};

const tickEvent = {
  event_type: 'tick_size_change',
  market: MARKET,
  asset_id: YES,
  old_tick_size: '0.01',
  new_tick_size: '0.001',
  timestamp: '1767225700000',
};

const resolvedEvent = {
  event_type: 'market_resolved',
  id: '1031769',
  market: MARKET,
  assets_ids: [YES, NO],
  winning_asset_id: YES,
  winning_outcome: 'Yes',
  timestamp: '1769817600000',
  tags: ['politics'],
};

describe('parseMarketFrame: book', () => {
  it('turns a book event into an exact snapshot in feed order', () => {
    const c = parse(bookEvent);
    expect(c.dead).toEqual([]);
    expect(c.books).toEqual([
      {
        kind: 'snapshot',
        assetId: YES,
        market: MARKET,
        ts: 1_767_225_600_123,
        recvTs: RECV,
        hash: '0x7c1e5f',
        bids: [
          { price: 410_000, size: 1_250_000_000 },
          { price: 420_000, size: 300_500_000 },
        ],
        asks: [
          { price: 440_000, size: 90_000_000 },
          { price: 450_000, size: 2_000_000_000 },
        ],
        tickSize: 10_000,
      },
    ]);
  });

  it('gives tickSize 0 when tick_size is absent or ""', () => {
    const { tick_size: _omit, ...noTick } = bookEvent;
    expect((parse(noTick).books[0] as { tickSize: number }).tickSize).toBe(0);
    expect((parse({ ...bookEvent, tick_size: '' }).books[0] as { tickSize: number }).tickSize).toBe(0);
  });

  it('accepts an empty side, a numeric timestamp and an absent hash', () => {
    const { hash: _omit, ...noHash } = bookEvent;
    const c = parse({ ...noHash, bids: [], timestamp: 1_767_225_600_123 });
    expect(c.dead).toEqual([]);
    const u = c.books[0] as Extract<BookUpdate, { kind: 'snapshot' }>;
    expect(u.bids).toEqual([]);
    expect(u.ts).toBe(1_767_225_600_123);
    expect(u.hash).toBe('');
  });

  it('dead-letters the whole snapshot when one level is bad (a partial snapshot would be a wrong book)', () => {
    const d = deadOnly({ ...bookEvent, asks: [{ price: '0.44', size: '90' }, { price: '1.5', size: '1' }] });
    expect(d.reason).toBe('book.asks[1].price: not in (0,1): "1.5"');
  });
});

describe('parseMarketFrame: price_change', () => {
  it('emits one delta per asset of the current price_changes[] form', () => {
    const c = parse(priceChangeEvent);
    expect(c.dead).toEqual([]);
    expect(c.books).toEqual([
      {
        kind: 'delta',
        assetId: YES,
        market: MARKET,
        ts: 1_767_225_601_450,
        recvTs: RECV,
        hash: 'a91f',
        changes: [{ price: 420_000, size: 0, side: 'bid' }],
        bestBid: 410_000,
        bestAsk: 440_000,
      },
      {
        kind: 'delta',
        assetId: NO,
        market: MARKET,
        ts: 1_767_225_601_450,
        recvTs: RECV,
        hash: '04bd',
        changes: [{ price: 580_000, size: 0, side: 'ask' }],
        bestBid: 560_000,
        bestAsk: 590_000,
      },
    ]);
  });

  it('groups interleaved assets in first-appearance order, carrying each asset\'s last hash and best prices', () => {
    const c = parse({
      ...priceChangeEvent,
      price_changes: [
        { asset_id: NO, price: '0.57', size: '10', side: 'BUY', hash: 'n1', best_bid: '0.57', best_ask: '0.59' },
        { asset_id: YES, price: '0.43', size: '20', side: 'SELL', hash: 'y1', best_bid: '0.41', best_ask: '0.43' },
        { asset_id: NO, price: '0.59', size: '0', side: 'SELL', hash: 'n2', best_bid: '0.57', best_ask: '0.6' },
      ],
    });
    expect(c.books.map((u) => u.assetId)).toEqual([NO, YES]);
    const [no, yes] = c.books as Extract<BookUpdate, { kind: 'delta' }>[];
    expect(no?.changes).toEqual([
      { price: 570_000, size: 10_000_000, side: 'bid' },
      { price: 590_000, size: 0, side: 'ask' },
    ]);
    expect([no?.hash, no?.bestBid, no?.bestAsk]).toEqual(['n2', 570_000, 600_000]);
    expect(yes?.changes).toEqual([{ price: 430_000, size: 20_000_000, side: 'ask' }]);
    expect([yes?.hash, yes?.bestBid, yes?.bestAsk]).toEqual(['y1', 410_000, 430_000]);
  });

  it('accepts lower-case sides and maps "" / absent best prices to -1', () => {
    const c = parse({
      ...priceChangeEvent,
      price_changes: [
        { asset_id: YES, price: '0.42', size: '5', side: 'buy', hash: 'h1', best_bid: '', best_ask: '' },
        { asset_id: NO, price: '0.58', size: '5', side: 'sell', hash: 'h2' },
      ],
    });
    expect(c.dead).toEqual([]);
    const [yes, no] = c.books as Extract<BookUpdate, { kind: 'delta' }>[];
    expect(yes?.changes[0]?.side).toBe('bid');
    expect(no?.changes[0]?.side).toBe('ask');
    expect([yes?.bestBid, yes?.bestAsk, no?.bestBid, no?.bestAsk]).toEqual([-1, -1, -1, -1]);
  });

  it('accepts a reported best price of "0" or "1" (an empty side)', () => {
    const c = parse({
      ...priceChangeEvent,
      price_changes: [{ asset_id: YES, price: '0.42', size: '0', side: 'BUY', hash: 'h', best_bid: '0', best_ask: '1' }],
    });
    const u = c.books[0] as Extract<BookUpdate, { kind: 'delta' }>;
    expect([u.bestBid, u.bestAsk]).toEqual([0, 1_000_000]);
  });

  it('reads the legacy changes[] form with top-level asset_id and hash', () => {
    const c = parse({
      event_type: 'price_change',
      asset_id: YES,
      market: MARKET,
      changes: [
        { price: '0.4', side: 'SELL', size: '3300' },
        { price: '0.39', side: 'buy', size: '12.5' },
      ],
      timestamp: '1729084877448',
      hash: '3cd4d61e042c81560c9037ece0c61f3b1a8fbbdd',
    });
    expect(c.dead).toEqual([]);
    expect(c.books).toEqual([
      {
        kind: 'delta',
        assetId: YES,
        market: MARKET,
        ts: 1_729_084_877_448,
        recvTs: RECV,
        hash: '3cd4d61e042c81560c9037ece0c61f3b1a8fbbdd',
        changes: [
          { price: 400_000, size: 3_300_000_000, side: 'ask' },
          { price: 390_000, size: 12_500_000, side: 'bid' },
        ],
        bestBid: -1,
        bestAsk: -1,
      },
    ]);
  });

  it('reads the oldest flat form, with exact micros ("0.514" -> 514000, "21574.08" -> 21574080000)', () => {
    const c = parse({
      asset_id: YES,
      event_type: 'price_change',
      hash: 'bf32b3746fff40c76c98021b7f3f07261169dd26',
      market: MARKET,
      price: '0.514',
      side: 'SELL',
      size: '21574.08',
      timestamp: '1723967931411',
    });
    expect(c.dead).toEqual([]);
    expect(c.books).toEqual([
      {
        kind: 'delta',
        assetId: YES,
        market: MARKET,
        ts: 1_723_967_931_411,
        recvTs: RECV,
        hash: 'bf32b3746fff40c76c98021b7f3f07261169dd26',
        changes: [{ price: 514_000, size: 21_574_080_000, side: 'ask' }],
        bestBid: -1,
        bestAsk: -1,
      },
    ]);
  });

  it('dead-letters only the bad entry of price_changes[], keeping the valid ones', () => {
    const bad = { asset_id: YES, price: 'abc', size: '1', side: 'BUY', hash: 'bad', best_bid: '0.41', best_ask: '0.44' };
    const frame = {
      ...priceChangeEvent,
      price_changes: [priceChangeEvent.price_changes[0], bad, priceChangeEvent.price_changes[1]],
    };
    const c = parse(frame);
    expect(c.books.map((u) => u.assetId)).toEqual([YES, NO]);
    expect(c.books.map((u) => (u as Extract<BookUpdate, { kind: 'delta' }>).changes.length)).toEqual([1, 1]);
    expect(c.dead).toHaveLength(1);
    const d = c.dead[0] as DeadLetter;
    expect(d.reason).toBe('price_change.price_changes[1].price: not a decimal: "abc"');
    // raw: the event with only the offending entry, so re-parsing it reproduces the failure in context
    expect(JSON.parse(d.raw)).toEqual({ ...priceChangeEvent, price_changes: [bad] });
    expect(d.ts).toBe(RECV);
  });

  it('dead-letters only the bad entry of legacy changes[]', () => {
    const c = parse({
      event_type: 'price_change',
      asset_id: YES,
      market: MARKET,
      timestamp: '1729084877448',
      hash: 'h',
      changes: [
        { price: '0.4', side: 'HOLD', size: '1' },
        { price: '0.41', side: 'BUY', size: '2' },
      ],
    });
    expect((c.books[0] as Extract<BookUpdate, { kind: 'delta' }>).changes).toEqual([{ price: 410_000, size: 2_000_000, side: 'bid' }]);
    expect(c.dead.map((d) => d.reason)).toEqual(['price_change.changes[0].side: not BUY or SELL: "HOLD"']);
  });

  it('emits nothing but dead letters when every entry is bad', () => {
    const c = parse({ ...priceChangeEvent, price_changes: [{ asset_id: YES }] });
    expect(c.books).toEqual([]);
    expect(c.dead.map((d) => d.reason)).toEqual(['price_change.price_changes[0].price: missing']);
  });
});

describe('parseMarketFrame: last_trade_price', () => {
  it('turns a print into a Trade with a deterministic id', () => {
    const c = parse(tradeEvent);
    expect(c.dead).toEqual([]);
    expect(c.trades).toEqual([
      {
        id: tradeId(YES, 1_767_225_602_001, 440_000, 57_200_000, 'BUY'),
        assetId: YES,
        market: MARKET,
        ts: 1_767_225_602_001,
        recvTs: RECV,
        price: 440_000,
        size: 57_200_000,
        side: 'BUY',
        feeRateBps: 0,
      },
    ]);
    expect(c.trades[0]?.id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('computes the id as documented: two multiply-xorshift lanes over the asset chars and the 32-bit words of ts, price, size, side', () => {
    // Reference written from the doc comment, word list first, then the same lane arithmetic.
    const reference = (asset: string, ts: number, price: number, size: number, side: 'BUY' | 'SELL'): string => {
      const words = [...asset].map((ch) => ch.charCodeAt(0));
      words.push(ts % 2 ** 32, Math.floor(ts / 2 ** 32), price, size % 2 ** 32, Math.floor(size / 2 ** 32), side === 'BUY' ? 1 : 2);
      let a = 0xdeadbeef;
      let b = 0x41c6ce57;
      for (const w of words) {
        a = Math.imul(a ^ w, 2654435761);
        b = Math.imul(b ^ w, 1597334677);
      }
      a = Math.imul(a ^ (a >>> 16), 2246822507) ^ Math.imul(b ^ (b >>> 13), 3266489909);
      b = Math.imul(b ^ (b >>> 16), 2246822507) ^ Math.imul(a ^ (a >>> 13), 3266489909);
      return (b >>> 0).toString(16).padStart(8, '0') + (a >>> 0).toString(16).padStart(8, '0');
    };
    expect(parse(tradeEvent).trades[0]?.id).toBe(reference(YES, 1_767_225_602_001, 440_000, 57_200_000, 'BUY'));
    const big = { ...tradeEvent, size: '21574.08', side: 'SELL' };
    expect(parse(big).trades[0]?.id).toBe(reference(YES, 1_767_225_602_001, 440_000, 21_574_080_000, 'SELL'));
  });

  it('prefixes the id with transaction_hash when present, keeping prints of one transaction apart', () => {
    const tx = '0x1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a7988';
    const plain = parse(tradeEvent).trades[0]?.id;
    expect(parse({ ...tradeEvent, transaction_hash: tx }).trades[0]?.id).toBe(`${tx}:${plain}`);
    const other = parse({ ...tradeEvent, transaction_hash: tx, asset_id: NO }).trades[0]?.id;
    expect(other).not.toBe(`${tx}:${plain}`);
    expect(other?.startsWith(`${tx}:`)).toBe(true);
    // "" is an absent optional value, not an id
    expect(parse({ ...tradeEvent, transaction_hash: '' }).trades[0]?.id).toBe(parse(tradeEvent).trades[0]?.id);
  });

  it('derives the same id from equal values however they are spelt, and a new one when any field differs', () => {
    const id = parse(tradeEvent).trades[0]?.id;
    expect(parse({ ...tradeEvent, price: '0.440', size: '57.20', side: 'buy', timestamp: 1_767_225_602_001 }).trades[0]?.id).toBe(id);
    const variants = [
      { asset_id: NO },
      { timestamp: '1767225602002' },
      { price: '0.45' },
      { size: '57.3' },
      { side: 'SELL' },
    ];
    const ids = variants.map((v) => parse({ ...tradeEvent, ...v }).trades[0]?.id);
    expect(new Set([id, ...ids]).size).toBe(variants.length + 1);
  });

  it('reads fee_rate_bps as a number, 0 when absent or ""', () => {
    const { fee_rate_bps: _omit, ...noFee } = tradeEvent;
    expect(parse(noFee).trades[0]?.feeRateBps).toBe(0);
    expect(parse({ ...tradeEvent, fee_rate_bps: '' }).trades[0]?.feeRateBps).toBe(0);
    expect(parse({ ...tradeEvent, fee_rate_bps: '1000' }).trades[0]?.feeRateBps).toBe(1000);
    expect(parse({ ...tradeEvent, fee_rate_bps: '12.5' }).trades[0]?.feeRateBps).toBe(12.5);
    expect(parse({ ...tradeEvent, fee_rate_bps: 30 }).trades[0]?.feeRateBps).toBe(30);
  });

  it('upper-cases a lower-case side', () => {
    expect(parse({ ...tradeEvent, side: 'sell' }).trades[0]?.side).toBe('SELL');
  });
});

describe('parseMarketFrame: tick_size_change, market_resolved, ignored frames', () => {
  it('turns tick_size_change into a tick_size BookUpdate', () => {
    expect(parse(tickEvent).books).toEqual([
      {
        kind: 'tick_size',
        assetId: YES,
        market: MARKET,
        ts: 1_767_225_700_000,
        recvTs: RECV,
        hash: '',
        oldTickSize: 10_000,
        newTickSize: 1_000,
      },
    ]);
  });

  it('turns market_resolved into a Resolution', () => {
    expect(parse(resolvedEvent).resolutions).toEqual([
      { market: MARKET, ts: 1_769_817_600_000, winningAssetId: YES, winningOutcome: 'Yes' },
    ]);
    const { assets_ids: _omit, ...noAssets } = resolvedEvent;
    expect(parse(noAssets).resolutions).toHaveLength(1);
  });

  it('drops best_bid_ask, new_market and PONG silently, telling sink.ignored', () => {
    const bba = { event_type: 'best_bid_ask', market: MARKET, asset_id: YES, best_bid: '0.41', best_ask: '0.44', spread: '0.03', timestamp: '1767225601450' };
    const nm = { event_type: 'new_market', id: '1', market: MARKET, question: 'Q?', assets_ids: [YES, NO], timestamp: '1767225601450' };
    const c = collectingSink();
    parseMarketFrame(JSON.stringify(bba), RECV, c);
    parseMarketFrame(JSON.stringify([nm, bba]), RECV, c);
    parseMarketFrame('PONG', RECV, c);
    expect(c.ignoredTypes).toEqual(['best_bid_ask', 'new_market', 'best_bid_ask', 'pong']);
    expect([c.books, c.trades, c.resolutions, c.dead]).toEqual([[], [], [], []]);
  });

  it('works with a sink that has no ignored callback', () => {
    const dead: DeadLetter[] = [];
    const sink: MarketFrameSink = { book: () => {}, trade: () => {}, resolution: () => {}, deadLetter: (d) => dead.push(d) };
    expect(() => parseMarketFrame('PONG', RECV, sink)).not.toThrow();
    expect(() => parseMarketFrame(JSON.stringify({ event_type: 'new_market' }), RECV, sink)).not.toThrow();
    expect(dead).toEqual([]);
  });
});

describe('parseMarketFrame: array frames', () => {
  it('parses every event of an array frame in order', () => {
    const c = parse([bookEvent, priceChangeEvent, tradeEvent, tickEvent, resolvedEvent]);
    expect(c.dead).toEqual([]);
    expect(c.books.map((u) => u.kind)).toEqual(['snapshot', 'delta', 'delta', 'tick_size']);
    expect(c.trades).toHaveLength(1);
    expect(c.resolutions).toHaveLength(1);
  });

  it('keeps the valid elements of a mixed array and dead-letters the bad one, re-stringified', () => {
    const bad = { ...tradeEvent, size: '-3' };
    const c = parse([bookEvent, bad, 7, tradeEvent]);
    expect(c.books).toHaveLength(1);
    expect(c.trades).toHaveLength(1);
    expect(c.dead).toEqual([
      { source: MARKET_CHANNEL_DLQ_SOURCE, reason: 'last_trade_price.size: not a non-negative decimal: "-3"', raw: JSON.stringify(bad), ts: RECV },
      { source: MARKET_CHANNEL_DLQ_SOURCE, reason: 'event: expected object, got number', raw: '7', ts: RECV },
    ]);
  });

  it('emits nothing for an empty array', () => {
    const c = parse('[]');
    expect([c.books, c.trades, c.resolutions, c.dead, c.ignoredTypes]).toEqual([[], [], [], [], []]);
  });
});

describe('parseMarketFrame: dead-letter reasons', () => {
  const pcEntry = priceChangeEvent.price_changes[0] as Record<string, unknown>;
  const withEntry = (patch: Record<string, unknown>) => ({ ...priceChangeEvent, price_changes: [{ ...pcEntry, ...patch }] });
  const legacy = { event_type: 'price_change', asset_id: YES, market: MARKET, timestamp: '1729084877448', hash: 'h', changes: [{ price: '0.4', side: 'SELL', size: '1' }] };
  const flat = { event_type: 'price_change', asset_id: YES, market: MARKET, timestamp: '1723967931411', hash: 'h', price: '0.514', side: 'SELL', size: '1' };

  const cases: [string, string | object, string][] = [
    ['text that is not JSON', 'hello', 'not JSON: '],
    // The same reason on Node 20 and 24 (whose V8 adds "(line 1 column 14)").
    ['a frame cut short', '{"market":"0x', 'not JSON: Unterminated string in JSON at position 13'],
    ['a JSON scalar', '42', 'event: expected object, got number'],
    ['JSON null', 'null', 'event: expected object, got null'],
    ['no event_type', { market: MARKET }, 'event_type: missing'],
    ['an unknown event_type', { event_type: 'order' }, 'event_type: unknown: "order"'],
    ['a non-string event_type', { event_type: 3 }, 'event_type: unknown: 3'],
    ['book without market', { ...bookEvent, market: undefined }, 'book.market: missing'],
    ['book with empty market', { ...bookEvent, market: '' }, 'book.market: empty'],
    ['book with a numeric asset_id', { ...bookEvent, asset_id: 12 }, 'book.asset_id: expected string, got number'],
    ['book with a fractional timestamp', { ...bookEvent, timestamp: '1767225600123.5' }, 'book.timestamp: not an integer ms: "1767225600123.5"'],
    ['book with an empty timestamp', { ...bookEvent, timestamp: '' }, 'book.timestamp: not an integer ms: ""'],
    ['book with a negative numeric timestamp', { ...bookEvent, timestamp: -5 }, 'book.timestamp: outside 2020..2100 as ms since the epoch: -5'],
    // An extra digit (x10) would push every window of the asset ten times into the future.
    ['book with a timestamp with one digit too many', { ...bookEvent, timestamp: '17672256001230' }, 'book.timestamp: outside 2020..2100 as ms since the epoch: "17672256001230"'],
    ['trade stamped in seconds, not ms', { ...tradeEvent, timestamp: 1767225602 }, 'last_trade_price.timestamp: outside 2020..2100 as ms since the epoch: 1767225602'],
    ['book without timestamp', { ...bookEvent, timestamp: undefined }, 'book.timestamp: missing'],
    ['book with a numeric hash', { ...bookEvent, hash: 5 }, 'book.hash: expected string, got number'],
    ['book with a bad tick_size', { ...bookEvent, tick_size: 'abc' }, 'book.tick_size: not a decimal: "abc"'],
    ['book without bids', { ...bookEvent, bids: undefined }, 'book.bids: missing'],
    ['book with bids not an array', { ...bookEvent, bids: {} }, 'book.bids: expected array, got object'],
    ['book with a level not an object', { ...bookEvent, bids: ['0.41'] }, 'book.bids[0]: expected object, got string'],
    ['book with a numeric price', { ...bookEvent, bids: [{ price: 0.41, size: '1' }] }, 'book.bids[0].price: expected string, got number'],
    ['book with a price of 0', { ...bookEvent, bids: [{ price: '0', size: '1' }] }, 'book.bids[0].price: not in (0,1): "0"'],
    ['book with a price of 1', { ...bookEvent, asks: [{ price: '1', size: '1' }] }, 'book.asks[0].price: not in (0,1): "1"'],
    ['book with 7 decimals', { ...bookEvent, asks: [{ price: '0.1234567', size: '1' }] }, 'book.asks[0].price: not a decimal: "0.1234567"'],
    ['book with a negative size', { ...bookEvent, asks: [{ price: '0.5', size: '-3' }] }, 'book.asks[0].size: not a non-negative decimal: "-3"'],
    ['book with an exponent size', { ...bookEvent, asks: [{ price: '0.5', size: '1e3' }] }, 'book.asks[0].size: not a non-negative decimal: "1e3"'],
    ['book with a missing size', { ...bookEvent, asks: [{ price: '0.5' }] }, 'book.asks[0].size: missing'],
    ['price_change without market', { ...priceChangeEvent, market: undefined }, 'price_change.market: missing'],
    ['price_change without timestamp', { ...priceChangeEvent, timestamp: undefined }, 'price_change.timestamp: missing'],
    ['price_changes not an array', { ...priceChangeEvent, price_changes: 'x' }, 'price_change.price_changes: expected array, got string'],
    ['empty price_changes', { ...priceChangeEvent, price_changes: [] }, 'price_change.price_changes: empty'],
    ['a price_changes entry not an object', { ...priceChangeEvent, price_changes: [null] }, 'price_change.price_changes[0]: expected object, got null'],
    ['an entry without asset_id', withEntry({ asset_id: undefined }), 'price_change.price_changes[0].asset_id: missing'],
    ['an entry with a bad price', withEntry({ price: 'abc' }), 'price_change.price_changes[0].price: not a decimal: "abc"'],
    ['an entry with a bad size', withEntry({ size: '1,5' }), 'price_change.price_changes[0].size: not a non-negative decimal: "1,5"'],
    ['an entry with a bad side', withEntry({ side: 'HOLD' }), 'price_change.price_changes[0].side: not BUY or SELL: "HOLD"'],
    ['an entry without side', withEntry({ side: undefined }), 'price_change.price_changes[0].side: missing'],
    ['an entry with a numeric hash', withEntry({ hash: 1 }), 'price_change.price_changes[0].hash: expected string, got number'],
    ['an entry with best_bid above 1', withEntry({ best_bid: '2' }), 'price_change.price_changes[0].best_bid: not in [0,1]: "2"'],
    ['an entry with a bad best_ask', withEntry({ best_ask: 'x' }), 'price_change.price_changes[0].best_ask: not a decimal: "x"'],
    ['an entry with a numeric best_ask', withEntry({ best_ask: 0.44 }), 'price_change.price_changes[0].best_ask: expected string, got number'],
    ['legacy form without asset_id', { ...legacy, asset_id: undefined }, 'price_change.asset_id: missing'],
    ['legacy form with a numeric hash', { ...legacy, hash: 1 }, 'price_change.hash: expected string, got number'],
    ['legacy form with empty changes', { ...legacy, changes: [] }, 'price_change.changes: empty'],
    ['legacy form with changes not an array', { ...legacy, changes: 1 }, 'price_change.changes: expected array, got number'],
    ['legacy form with a bad size', { ...legacy, changes: [{ price: '0.4', side: 'SELL', size: '' }] }, 'price_change.changes[0].size: not a non-negative decimal: ""'],
    ['flat form with a price out of range', { ...flat, price: '1.2' }, 'price_change.price: not in (0,1): "1.2"'],
    ['flat form with a bad side', { ...flat, side: 'B' }, 'price_change.side: not BUY or SELL: "B"'],
    ['price_change in no known form', { event_type: 'price_change', market: MARKET, asset_id: YES, timestamp: '1767225600000' }, 'price_change: none of price_changes[], changes[] or a top-level price'],
    ['trade without market', { ...tradeEvent, market: undefined }, 'last_trade_price.market: missing'],
    ['trade without asset_id', { ...tradeEvent, asset_id: undefined }, 'last_trade_price.asset_id: missing'],
    ['trade with a bad price', { ...tradeEvent, price: '.' }, 'last_trade_price.price: not a decimal: "."'],
    ['trade with a negative size', { ...tradeEvent, size: '-1' }, 'last_trade_price.size: not a non-negative decimal: "-1"'],
    ['trade with a bad side', { ...tradeEvent, side: 'BID' }, 'last_trade_price.side: not BUY or SELL: "BID"'],
    ['trade with a bad timestamp', { ...tradeEvent, timestamp: '2026-01-01' }, 'last_trade_price.timestamp: not an integer ms: "2026-01-01"'],
    ['trade with a negative fee', { ...tradeEvent, fee_rate_bps: '-1' }, 'last_trade_price.fee_rate_bps: not a non-negative decimal: "-1"'],
    ['trade with a numeric transaction_hash', { ...tradeEvent, transaction_hash: 1 }, 'last_trade_price.transaction_hash: expected string, got number'],
    ['tick change without asset_id', { ...tickEvent, asset_id: undefined }, 'tick_size_change.asset_id: missing'],
    ['tick change with a bad timestamp', { ...tickEvent, timestamp: 1.5 }, 'tick_size_change.timestamp: not an integer ms: 1.5'],
    ['tick change with a bad old tick', { ...tickEvent, old_tick_size: '' }, 'tick_size_change.old_tick_size: not a decimal: ""'],
    ['tick change with a zero new tick', { ...tickEvent, new_tick_size: '0' }, 'tick_size_change.new_tick_size: not in (0,1): "0"'],
    ['resolution without market', { ...resolvedEvent, market: undefined }, 'market_resolved.market: missing'],
    ['resolution without winner', { ...resolvedEvent, winning_asset_id: undefined }, 'market_resolved.winning_asset_id: missing'],
    ['resolution without outcome', { ...resolvedEvent, winning_outcome: undefined }, 'market_resolved.winning_outcome: missing'],
    ['resolution with a bad timestamp', { ...resolvedEvent, timestamp: 'soon' }, 'market_resolved.timestamp: not an integer ms: "soon"'],
    ['resolution whose winner is not listed', { ...resolvedEvent, assets_ids: [NO] }, `market_resolved.winning_asset_id: not among assets_ids: ${JSON.stringify(YES).slice(0, 40)}…`],
  ];

  it.each(cases)('%s', (_name, frame, reason) => {
    const d = deadOnly(frame);
    if (reason.endsWith(': ')) expect(d.reason.startsWith(reason)).toBe(true);
    else expect(d.reason).toBe(reason);
    expect(d.raw).toBe(typeof frame === 'string' ? frame : JSON.stringify(frame));
  });
});

describe('parseMarketFrame: never throws', () => {
  const sink: MarketFrameSink = { book: () => {}, trade: () => {}, resolution: () => {}, deadLetter: () => {} };

  it('on arbitrary text', () => {
    fc.assert(fc.property(fc.string(), (s) => {
      parseMarketFrame(s, RECV, sink);
    }));
  });

  it('on arbitrary JSON values', () => {
    fc.assert(fc.property(fc.json(), (s) => {
      parseMarketFrame(s, RECV, sink);
    }));
  });

  it('on known event types with arbitrary field values, and everything it emits is valid', () => {
    const anyValue = fc.oneof(fc.jsonValue(), fc.constantFrom('', '0', '0.5', '1', 'BUY', 'sell', '1767225600123', YES));
    const event = fc.record(
      {
        event_type: fc.constantFrom('book', 'price_change', 'last_trade_price', 'tick_size_change', 'market_resolved', 'best_bid_ask'),
        market: fc.oneof(fc.constant(MARKET), anyValue),
        asset_id: fc.oneof(fc.constant(YES), anyValue),
        timestamp: anyValue,
        price: anyValue,
        size: anyValue,
        side: anyValue,
        hash: anyValue,
        bids: fc.array(fc.record({ price: anyValue, size: anyValue })),
        asks: anyValue,
        changes: fc.array(fc.record({ price: anyValue, size: anyValue, side: anyValue })),
        price_changes: fc.array(fc.record({ asset_id: anyValue, price: anyValue, size: anyValue, side: anyValue, best_bid: anyValue })),
        winning_asset_id: anyValue,
        winning_outcome: anyValue,
        old_tick_size: anyValue,
        new_tick_size: anyValue,
        fee_rate_bps: anyValue,
      },
      { requiredKeys: ['event_type'] },
    );
    fc.assert(fc.property(fc.array(event, { maxLength: 3 }), (events) => {
      const c = collectingSink();
      parseMarketFrame(JSON.stringify(events), RECV, c);
      const price = (p: number) => Number.isSafeInteger(p) && p > 0 && p < 1_000_000;
      for (const u of c.books) {
        expect(Number.isSafeInteger(u.ts)).toBe(true);
        if (u.kind === 'snapshot') for (const l of [...u.bids, ...u.asks]) expect(price(l.price) && Number.isSafeInteger(l.size) && l.size >= 0).toBe(true);
        if (u.kind === 'delta') for (const l of u.changes) expect(price(l.price) && Number.isSafeInteger(l.size) && l.size >= 0).toBe(true);
      }
      for (const t of c.trades) expect(price(t.price) && Number.isSafeInteger(t.size) && t.feeRateBps >= 0).toBe(true);
      for (const d of c.dead) expect(d.reason.length).toBeGreaterThan(0);
    }));
  });
});
