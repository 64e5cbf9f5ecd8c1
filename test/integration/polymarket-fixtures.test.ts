/**
 * Real captured Polymarket messages (NautilusTrader's adapter test resources, vendored; see
 * ../shared/data/polymarket/nautilus-ws-fixtures/SOURCE.md) through the market-channel and Gamma
 * parsers. Needs no service, only the shared data directory; fails if it is missing.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BookUpdate } from '../../schemas/book-update.js';
import type { Trade } from '../../schemas/trade.js';
import { parseGammaMarket } from '../../sources/polymarket/gamma-market.js';
import { parseMarketFrame } from '../../sources/polymarket/market-channel.js';
import { collectingSink, type CollectingSink } from '../helpers/collecting-sink.js';

const FIXTURES = resolve(process.cwd(), '../shared/data/polymarket/nautilus-ws-fixtures');
const WS_DIR = join(FIXTURES, 'ws_market_channel');
const RECV = 1_800_000_000_000;

function parseFrame(frame: string): CollectingSink {
  const c = collectingSink();
  parseMarketFrame(frame, RECV, c);
  return c;
}

const read = (path: string): string => readFileSync(path, 'utf8');

/** Independent of parseMicros: through a float, which is exact enough for <= 6 decimals at these magnitudes. */
const micros = (decimal: string): number => Math.round(Number(decimal) * 1e6);

type Snapshot = Extract<BookUpdate, { kind: 'snapshot' }>;
type Delta = Extract<BookUpdate, { kind: 'delta' }>;
type TickSize = Extract<BookUpdate, { kind: 'tick_size' }>;
interface WireLevel {
  price: string;
  size: string;
}

/** What each fixture must produce; a file without an entry here fails the suite. */
const expectations: Record<string, (frame: string, c: CollectingSink) => void> = {
  'book.json': (frame, c) => {
    const wire = JSON.parse(frame) as { asset_id: string; market: string; hash: string; bids: WireLevel[]; asks: WireLevel[] };
    expect(c.books).toHaveLength(1);
    const u = c.books[0] as Snapshot;
    expect(u.kind).toBe('snapshot');
    expect(u.assetId).toBe('48331043336612883890938759509493159234755048973500640148014422747788308965732');
    expect(u.market).toBe('0xdd22472e552920b8438158ea7238bfadfa4f736aa4cee91a6b86c39ead110917');
    expect(u.ts).toBe(1_728_799_418_260);
    expect(u.recvTs).toBe(RECV);
    expect(u.hash).toBe('655a38d4977427b086c25b985993691b753ed166');
    expect(u.tickSize).toBe(0); // this 2024 capture states no tick_size
    expect(u.bids).toHaveLength(76);
    expect(u.asks).toHaveLength(86);
    // every level exact, in feed order
    expect(u.bids).toEqual(wire.bids.map((l) => ({ price: micros(l.price), size: micros(l.size) })));
    expect(u.asks).toEqual(wire.asks.map((l) => ({ price: micros(l.price), size: micros(l.size) })));
    // best prices, computed from the wire floats independently of the parser
    const bestBid = Math.max(...wire.bids.map((l) => Number(l.price)));
    const bestAsk = Math.min(...wire.asks.map((l) => Number(l.price)));
    expect(bestBid).toBe(0.511);
    expect(bestAsk).toBe(0.514);
    expect(Math.max(...u.bids.map((l) => l.price))).toBe(511_000);
    expect(Math.min(...u.asks.map((l) => l.price))).toBe(514_000);
    // the deepest ask level: "0.999" x "10500100"
    expect(u.asks[0]).toEqual({ price: 999_000, size: 10_500_100_000_000 });
  },
  'price_change.json': (_frame, c) => {
    expect(c.books).toEqual([
      {
        kind: 'delta',
        assetId: '48331043336612883890938759509493159234755048973500640148014422747788308965732',
        market: '0xdd22472e552920b8438158ea7238bfadfa4f736aa4cee91a6b86c39ead110917',
        ts: 1_723_967_931_411,
        recvTs: RECV,
        hash: 'bf32b3746fff40c76c98021b7f3f07261169dd26',
        changes: [{ price: 514_000, size: 21_574_080_000, side: 'ask' }],
        bestBid: -1,
        bestAsk: -1,
      },
    ]);
  },
  'price_change_v2.json': (_frame, c) => {
    expect(c.books).toHaveLength(1); // three entries, one asset
    const u = c.books[0] as Delta;
    expect(u.kind).toBe('delta');
    expect(u.assetId).toBe('52114319501245915516055106046884209969926127482827954674443846427813813222426');
    expect(u.market).toBe('0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1');
    expect(u.ts).toBe(1_729_084_877_448);
    expect(u.changes).toEqual([
      { price: 600_000, size: 3_300_000_000, side: 'bid' },
      { price: 500_000, size: 3_400_000_000, side: 'bid' },
      { price: 700_000, size: 3_400_000_000, side: 'bid' },
    ]);
    expect(u.hash).toBe('cf32b3746fff40c76c98021b7f3f07261169dd28'); // the last entry's
    expect([u.bestBid, u.bestAsk]).toEqual([600_000, 700_000]);
  },
  'last_trade_price.json': (_frame, c) => {
    expect(c.trades).toHaveLength(1);
    const t = c.trades[0] as Trade;
    expect(t).toMatchObject({
      assetId: '21742633143463906290569050155826241533067272736897614950488156847949938836455',
      market: '0xdd22472e552920b8438158ea7238bfadfa4f736aa4cee91a6b86c39ead110917',
      ts: 1_724_564_136_087,
      recvTs: RECV,
      price: 491_000,
      size: 85_360_000,
      side: 'SELL',
      feeRateBps: 0,
    });
    expect(t.id).toMatch(/^[0-9a-f]{16}$/); // no transaction_hash in this capture
  },
  'tick_size_change.json': (_frame, c) => {
    expect(c.books).toHaveLength(1);
    expect(c.books[0] as TickSize).toEqual({
      kind: 'tick_size',
      assetId: '115474063863764126958837769719736461272619491980773624567012766320777398670353',
      market: '0xbacdf04bf7f22a670dc4fb408878ec56b76f9934599829455b9371693ba84b8b',
      ts: 1_739_068_041_853,
      recvTs: RECV,
      hash: '',
      oldTickSize: 10_000,
      newTickSize: 1_000,
    });
  },
};

describe('nautilus-ws-fixtures: market channel', () => {
  it('finds the fixture directory', () => {
    expect(existsSync(WS_DIR), `missing ${WS_DIR}`).toBe(true);
  });

  const files = existsSync(WS_DIR) ? readdirSync(WS_DIR).sort() : [];

  it('has an expectation for every file and a file for every expectation', () => {
    expect(files).toEqual(Object.keys(expectations).sort());
  });

  it.each(files)('%s', (name) => {
    const check = expectations[name];
    if (check === undefined) throw new Error(`no expectation for ${name}`);
    const frame = read(join(WS_DIR, name));
    const c = parseFrame(frame);
    expect(c.dead).toEqual([]);
    expect(c.resolutions).toEqual([]);
    check(frame, c);
  });

  it('gives the same events when all fixtures arrive as one array frame', () => {
    const frames = files.map((f) => read(join(WS_DIR, f)));
    const one = parseFrame(`[${frames.join(',')}]`);
    const separately = frames.map(parseFrame);
    expect(one.dead).toEqual([]);
    expect(one.books).toEqual(separately.flatMap((c) => c.books));
    expect(one.trades).toEqual(separately.flatMap((c) => c.trades));
  });
});

describe('nautilus-ws-fixtures: rest/market.json through parseGammaMarket', () => {
  it('is a CLOB market object (snake_case, tokens[]), not a Gamma record, so it is refused with a reason', () => {
    const path = join(FIXTURES, 'rest', 'market.json');
    expect(existsSync(path), `missing ${path}`).toBe(true);
    const raw = JSON.parse(read(path)) as Record<string, unknown>;
    // the shape the file really has (CLOB GET /markets/{condition_id}, POLYMARKET.md B.5)
    expect(raw.condition_id).toBe('0xdd22472e552920b8438158ea7238bfadfa4f736aa4cee91a6b86c39ead110917');
    expect(Array.isArray(raw.tokens)).toBe(true);
    expect(raw.conditionId).toBeUndefined();
    expect(raw.clobTokenIds).toBeUndefined();

    const r = parseGammaMarket(raw, RECV);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toMatch(/^id: /);
    expect(r.reason).toContain('conditionId: ');
  });

  it('refuses the trimmed markets inside rest/event.json (no id, outcomes or token ids) with a reason', () => {
    const event = JSON.parse(read(join(FIXTURES, 'rest', 'event.json'))) as { markets: unknown[] };
    expect(event.markets).toHaveLength(3);
    for (const m of event.markets) {
      const r = parseGammaMarket(m, RECV);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/^id: .*outcomes: /);
    }
  });
});
