// Reads a folder laid out like a source under ../shared/data/polymarket into markets with their
// history as `pm.book` updates: book snapshots as recorded, or price points as synthetic quotes.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { canonicalCategory } from '../../sources/polymarket/gamma-market.js';
import { InputError } from '../../runtime/errors.js';
import type { BookUpdate, Level } from '../../schemas/book-update.js';
import { assetId, eventId, marketId, type AssetId } from '../../schemas/ids.js';
import type { MarketMeta } from '../../schemas/market-meta.js';
import { parseMicros, type PriceMicros, type SizeMicros } from '../../schemas/units.js';
import { POLYMARKET_TICKS } from '../../operators/l2-book.js';
import { syntheticQuote, SYNTHETIC_TICK } from './synthetic-quote.js';

export type SourceLayout = 'books' | 'prices';

/** One resolved market of a source with its tracked token's history. */
export interface ReplayMarket {
  readonly meta: MarketMeta;
  /** Unit of every split: sibling markets of one event always go the same way. */
  readonly group: string;
  readonly label: 0 | 1;
  /** When the outcome is fixed as the source defines it: rows are sampled before it; never a feature. */
  readonly resolutionTs: number;
  readonly updates: readonly BookUpdate[];
  /** The recorded price per update (the series value, or the book mid): the market's own forecast. */
  readonly prices: readonly number[];
  /** Snapshots or points dropped because a price or size did not parse exactly. */
  readonly rejected: number;
}

export interface SourceRead {
  readonly name: string;
  readonly layout: SourceLayout;
  /** True for price series: depth, spread, microprice and imbalances are made up, not observed. */
  readonly syntheticDepth: boolean;
  readonly files: readonly string[];
  readonly markets: ReplayMarket[];
  /** Markets left out, by reason. */
  readonly skipped: Readonly<Record<string, number>>;
}

function parseJsonl<T>(text: string, file: string): T[] {
  const out: T[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch (err) {
      throw new InputError(`${file}:${i + 1}: not JSON`, err);
    }
  }
  return out;
}

async function readText(dir: string, name: string): Promise<string> {
  try {
    return await readFile(join(dir, name), 'utf8');
  } catch (err) {
    throw new InputError(`cannot read ${join(dir, name)}`, err);
  }
}

const ms = (iso: string | null | undefined): number => (iso === null || iso === undefined || iso === '' ? NaN : Date.parse(iso));

/** Feature category of a source's label ("Crypto/BTC daily price band" -> crypto); unknown -> other. */
export function featureCategory(raw: string | null | undefined): string {
  if (raw === null || raw === undefined) return 'other';
  return canonicalCategory(raw) ?? 'other';
}

interface RawBookMarket {
  condition_id: string;
  game_slug?: string | null;
  market_slug?: string | null;
  event_id?: string | null;
  event_title?: string | null;
  question?: string | null;
  category?: string | null;
  end_date: string;
  tracked_token_id: string;
  tracked_token_won: boolean;
}
type RawLevel = [number, number];
interface RawBooks {
  condition_id: string;
  token_id: string;
  snapshots: [number, RawLevel[], RawLevel[]][];
}

function levels(raw: readonly RawLevel[]): Level[] | undefined {
  const out: Level[] = [];
  for (const [p, s] of raw) {
    const price = parseMicros(String(p));
    const size = parseMicros(String(s));
    if (Number.isNaN(price) || Number.isNaN(size)) return undefined;
    out.push({ price: price as PriceMicros, size: size as SizeMicros });
  }
  return out;
}

/** The source states no tick: the coarsest Polymarket tick that all prices sit on. */
function tickOf(bids: readonly Level[], asks: readonly Level[]): PriceMicros {
  let tick = 10_000;
  for (const l of [...bids, ...asks]) {
    if (l.price % tick === 0) continue;
    tick = POLYMARKET_TICKS.find((t) => tick % t === 0 && l.price % t === 0) ?? 100;
  }
  return tick as PriceMicros;
}

const midOf = (bids: readonly Level[], asks: readonly Level[]): number =>
  bids[0] !== undefined && asks[0] !== undefined ? (bids[0].price + asks[0].price) / 2e6 : NaN;

async function readBookSource(dir: string): Promise<SourceRead> {
  const [marketsText, booksText] = await Promise.all([readText(dir, 'markets.jsonl'), readText(dir, 'books_top5.jsonl')]);
  const books = new Map<string, RawBooks>();
  for (const b of parseJsonl<RawBooks>(booksText, 'books_top5.jsonl')) books.set(b.condition_id, b);
  const skipped: Record<string, number> = {};
  const markets: ReplayMarket[] = [];
  for (const m of parseJsonl<RawBookMarket>(marketsText, 'markets.jsonl')) {
    const raw = books.get(m.condition_id);
    if (raw === undefined || raw.snapshots.length === 0) {
      skipped['no_book_history'] = (skipped['no_book_history'] ?? 0) + 1;
      continue;
    }
    const market = marketId(m.condition_id);
    const asset: AssetId = assetId(raw.token_id);
    const updates: BookUpdate[] = [];
    const prices: number[] = [];
    let rejected = 0;
    for (const [ts, rawBids, rawAsks] of raw.snapshots) {
      const bids = levels(rawBids);
      const asks = levels(rawAsks);
      if (bids === undefined || asks === undefined) {
        rejected++;
        continue;
      }
      updates.push({ kind: 'snapshot', assetId: asset, market, ts, recvTs: ts, hash: '', bids, asks, tickSize: tickOf(bids, asks) });
      prices.push(midOf(bids, asks));
    }
    const firstTs = raw.snapshots[0]![0];
    const endTs = ms(m.end_date);
    const group = m.event_id ?? m.game_slug ?? m.condition_id;
    markets.push({
      meta: {
        market,
        eventId: eventId(group),
        question: m.question ?? m.event_title ?? '',
        slug: m.market_slug ?? '',
        category: featureCategory(m.category),
        outcomes: ['tracked'],
        assetIds: [asset],
        tickSize: (updates[0]?.kind === 'snapshot' ? updates[0].tickSize : 10_000) as PriceMicros,
        negRisk: false,
        // The open time is not in the source; the first snapshot is the earliest the data vouches for.
        startTs: firstTs,
        endTs, // scheduled start (first pitch): known in advance
        ts: firstTs,
      },
      group,
      label: m.tracked_token_won ? 1 : 0,
      resolutionTs: endTs,
      updates,
      prices,
      rejected,
    });
  }
  return { name: basename(dir), layout: 'books', syntheticDepth: false, files: ['markets.jsonl', 'books_top5.jsonl'], markets, skipped };
}

interface RawSeriesMarket {
  market_id?: string | null;
  condition_id?: string | null;
  question?: string | null;
  market_slug?: string | null;
  event_id?: string | null;
  event_slug?: string | null;
  event_title?: string | null;
  category?: string | null;
  end_date?: string | null;
  closed_time?: string | null;
  start_date?: string | null;
  outcomes?: string[] | null;
  token_ids?: (string | null)[] | null;
  winning_outcome?: string | null;
}
interface RawSeries {
  token_id: string;
  market_id?: string | null;
  series: [number, number][];
}

/**
 * Price-series source. The tracked token is the first outcome's (YES). Resolution time: the
 * earlier of end_date and closed_time. The stated end date is a feature (time_to_resolution_h)
 * only when the source also gives closed_time, i.e. when end_date is the scheduled date; a source
 * whose end_date IS the close time (no closed_time field) gets NaN there: that would be look-ahead.
 */
async function readPriceSource(dir: string): Promise<SourceRead> {
  const [marketsText, pricesText] = await Promise.all([readText(dir, 'markets.jsonl'), readText(dir, 'prices.jsonl')]);
  const series = new Map<string, RawSeries>();
  for (const s of parseJsonl<RawSeries>(pricesText, 'prices.jsonl')) series.set(s.token_id, s);
  const skipped: Record<string, number> = {};
  const skip = (why: string): void => {
    skipped[why] = (skipped[why] ?? 0) + 1;
  };
  const markets: ReplayMarket[] = [];
  for (const m of parseJsonl<RawSeriesMarket>(marketsText, 'markets.jsonl')) {
    const token = m.token_ids?.[0];
    const firstOutcome = m.outcomes?.[0];
    const s = token === null || token === undefined ? undefined : series.get(token);
    if (token === null || token === undefined || s === undefined || s.series.length === 0) {
      skip('no_price_series');
      continue;
    }
    if (firstOutcome === undefined || m.winning_outcome === null || m.winning_outcome === undefined) {
      skip('no_outcome');
      continue;
    }
    const end = ms(m.end_date);
    const closed = ms(m.closed_time);
    const resolutionTs = Math.min(Number.isNaN(end) ? Infinity : end, Number.isNaN(closed) ? Infinity : closed);
    if (!Number.isFinite(resolutionTs)) {
      skip('no_resolution_time');
      continue;
    }
    const id = m.condition_id ?? m.market_id ?? token;
    const market = marketId(id);
    const asset = assetId(token);
    const updates: BookUpdate[] = [];
    const prices: number[] = [];
    let rejected = 0;
    for (const [sec, price] of s.series) {
      const q = syntheticQuote(price);
      if (q === undefined) {
        rejected++;
        continue;
      }
      const ts = sec * 1000;
      updates.push({ kind: 'snapshot', assetId: asset, market, ts, recvTs: ts, hash: '', bids: [q.bid], asks: [q.ask], tickSize: SYNTHETIC_TICK });
      prices.push(price);
    }
    const group = m.event_id ?? m.event_slug ?? m.event_title ?? id;
    const startTs = ms(m.start_date);
    const firstTs = updates[0]?.ts ?? NaN;
    markets.push({
      meta: {
        market,
        eventId: eventId(group),
        question: m.question ?? m.event_title ?? '',
        slug: m.market_slug ?? '',
        category: featureCategory(m.category),
        outcomes: m.outcomes ?? [],
        assetIds: [asset],
        tickSize: SYNTHETIC_TICK,
        negRisk: false,
        startTs: Number.isNaN(startTs) ? firstTs : startTs,
        endTs: m.closed_time === undefined ? NaN : end,
        ts: firstTs,
      },
      group,
      label: m.winning_outcome === firstOutcome ? 1 : 0,
      resolutionTs,
      updates,
      prices,
      rejected,
    });
  }
  return { name: basename(dir), layout: 'prices', syntheticDepth: true, files: ['markets.jsonl', 'prices.jsonl'], markets, skipped };
}

/** The layout of `dir`: books_top5.jsonl wins over prices.jsonl; neither is an error (no price history, no rows). */
export function sourceLayout(dir: string): SourceLayout {
  if (existsSync(join(dir, 'books_top5.jsonl'))) return 'books';
  if (existsSync(join(dir, 'prices.jsonl'))) return 'prices';
  throw new InputError(`${dir}: neither books_top5.jsonl nor prices.jsonl (a source without price history gives no point-in-time rows)`);
}

export async function readSource(dir: string): Promise<SourceRead> {
  return sourceLayout(dir) === 'books' ? readBookSource(dir) : readPriceSource(dir);
}
