// Builds the baseline model's dataset by replaying the MLB order-book history through the live
// operators (applyBookUpdate + marketFeaturesStep): one feature implementation, point in time.
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../runtime/errors.js';
import type { BookUpdate, Level } from '../../schemas/book-update.js';
import { FEATURE_SPEC } from '../../schemas/feature-spec.js';
import type { FeatureVector } from '../../schemas/feature-vector.js';
import { assetId, eventId, marketId, type AssetId } from '../../schemas/ids.js';
import type { MarketMeta } from '../../schemas/market-meta.js';
import { parseMicros, type PriceMicros, type SizeMicros } from '../../schemas/units.js';
import { initialMarketFeaturesState, marketFeaturesStep, type MarketFeaturesOptions } from '../../operators/market-features.js';
import { applyBookUpdate } from '../../operators/order-book.js';
import { POLYMARKET_TICKS, type L2Book } from '../../operators/l2-book.js';

/** The source folder under the shared data root. */
export const MLB_SOURCE = 'yxf9tv-mlb-orderbooks';
/** Minutes before first pitch at which a row is taken (the last vector at or before that time). */
export const HORIZONS_MIN = [240, 120, 60, 30, 10] as const;
/** Share of games (by latest first pitch) that train on; the later rest is the validation split. */
export const TRAIN_FRACTION = 0.8;

/** One market of the source with its book history as `pm.book` snapshots. */
export interface MlbMarket {
  readonly meta: MarketMeta;
  /** `mlb-<away>-<home>-<date>`: the unit of the split (all of a game's markets go one way). */
  readonly game: string;
  readonly label: 0 | 1;
  /** Time-ordered snapshots of the tracked token's book. */
  readonly updates: readonly BookUpdate[];
  /** Snapshots dropped because a price or size did not parse exactly. */
  readonly rejected: number;
}

export interface DatasetRow {
  readonly market: string;
  readonly event: string;
  readonly game: string;
  readonly asset: string;
  readonly horizonMin: number;
  readonly horizonTs: number;
  /** Ts of the feature vector (<= horizonTs): the row uses nothing after it. */
  readonly ts: number;
  readonly firstPitchTs: number;
  readonly split: 'train' | 'validation';
  /** The market's forecast at `ts`: the mid (NaN when a side is empty). */
  readonly pMarket: number;
  readonly label: 0 | 1;
  readonly values: readonly number[];
}

export interface SplitSummary {
  readonly rows: number;
  readonly markets: number;
  readonly games: number;
  readonly first_pitch_from: string;
  readonly first_pitch_to: string;
}

export interface DatasetSummary {
  readonly outFile: string;
  readonly metaFile: string;
  readonly rows: number;
  readonly marketsRead: number;
  /** Markets with no vector at or before any horizon. */
  readonly marketsWithoutRows: number;
  readonly snapshotsRejected: number;
  readonly cutoffMs: number;
  readonly splits: { readonly train: SplitSummary; readonly validation: SplitSummary };
}

interface RawMarket {
  condition_id: string;
  game_slug: string;
  market_slug: string;
  event_id: string;
  event_title: string;
  question: string | null;
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

/** JSON numbers to exact micro-units by their decimal text; undefined when one is not exact. */
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

/** The source states no tick: the coarsest Polymarket tick (0.01 down to 0.0001) that all prices sit on. */
function tickOf(bids: readonly Level[], asks: readonly Level[]): PriceMicros {
  let tick = 10_000;
  for (const l of [...bids, ...asks]) {
    if (l.price % tick === 0) continue;
    // Coarsest tick dividing both the current one and this price (the ticks' lcms are in the list).
    tick = POLYMARKET_TICKS.find((t) => tick % t === 0 && l.price % t === 0) ?? 100;
  }
  return tick as PriceMicros;
}

/** Reads the source's markets and books (by path) into `pm.market.meta` + `pm.book` records. */
export async function loadMlbMarkets(dataRoot: string): Promise<MlbMarket[]> {
  const dir = join(dataRoot, MLB_SOURCE);
  const read = async (name: string): Promise<string> => {
    try {
      return await readFile(join(dir, name), 'utf8');
    } catch (err) {
      throw new InputError(`cannot read ${join(dir, name)}`, err);
    }
  };
  const [marketsText, booksText] = await Promise.all([read('markets.jsonl'), read('books_top5.jsonl')]);
  const books = new Map<string, RawBooks>();
  for (const b of parseJsonl<RawBooks>(booksText, 'books_top5.jsonl')) books.set(b.condition_id, b);

  const out: MlbMarket[] = [];
  for (const m of parseJsonl<RawMarket>(marketsText, 'markets.jsonl')) {
    const raw = books.get(m.condition_id);
    if (raw === undefined || raw.snapshots.length === 0) continue;
    const market = marketId(m.condition_id);
    const asset: AssetId = assetId(raw.token_id);
    const updates: BookUpdate[] = [];
    let rejected = 0;
    for (const [ts, rawBids, rawAsks] of raw.snapshots) {
      const bids = levels(rawBids);
      const asks = levels(rawAsks);
      if (bids === undefined || asks === undefined) {
        rejected++;
        continue;
      }
      updates.push({ kind: 'snapshot', assetId: asset, market, ts, recvTs: ts, hash: '', bids, asks, tickSize: tickOf(bids, asks) });
    }
    const firstTs = raw.snapshots[0]![0];
    const endTs = Date.parse(m.end_date);
    out.push({
      meta: {
        market,
        eventId: eventId(m.event_id),
        question: m.question ?? m.event_title,
        slug: m.market_slug,
        category: 'sports',
        // Which outcome the tracked token is (team, over/under) is not in the source.
        outcomes: ['tracked'],
        assetIds: [asset],
        tickSize: (updates[0]?.kind === 'snapshot' ? updates[0].tickSize : 10_000) as PriceMicros,
        negRisk: false,
        // The open time is unknown; the first snapshot is the earliest time the data vouches for.
        startTs: firstTs,
        endTs, // scheduled first pitch, known in advance
        ts: firstTs,
      },
      game: m.game_slug,
      label: m.tracked_token_won ? 1 : 0,
      updates,
      rejected,
    });
  }
  return out;
}

/**
 * Feature vectors of one market, one per applied snapshot, from the live kernels: meta first
 * (fixed in advance), then every update through `applyBookUpdate` and `marketFeaturesStep`.
 */
export function marketFeatureSeries(
  meta: MarketMeta,
  updates: readonly BookUpdate[],
  opts: MarketFeaturesOptions = {},
): FeatureVector[] {
  const books = new Map<AssetId, L2Book>();
  const state = initialMarketFeaturesState(opts);
  marketFeaturesStep(state, { kind: 'meta', meta });
  const out: FeatureVector[] = [];
  for (const u of updates) {
    const v = marketFeaturesStep(state, { kind: 'book', change: applyBookUpdate(books, u) });
    if (v !== undefined) out.push(v);
  }
  return out;
}

/** Games ordered by latest first pitch; the first TRAIN_FRACTION train, the rest validate. */
export function splitCutoff(markets: readonly MlbMarket[], trainFraction = TRAIN_FRACTION): number {
  const latest = new Map<string, number>();
  for (const m of markets) latest.set(m.game, Math.max(latest.get(m.game) ?? -Infinity, m.meta.endTs));
  const times = [...latest.values()].sort((a, b) => a - b);
  const cutoff = times[Math.floor(times.length * trainFraction)];
  if (cutoff === undefined) throw new InputError('no games to split');
  return cutoff;
}

/** Rows of one market: at each horizon, the last vector at or before it (each vector used once). */
export function sampleMarketRows(market: MlbMarket, vectors: readonly FeatureVector[], split: DatasetRow['split']): DatasetRow[] {
  const rows: DatasetRow[] = [];
  const endTs = market.meta.endTs;
  let lastUsed: FeatureVector | undefined;
  for (const h of HORIZONS_MIN) {
    const horizonTs = endTs - h * 60_000;
    let v: FeatureVector | undefined;
    for (const x of vectors) {
      if (x.ts > horizonTs) break;
      v = x;
    }
    // The same vector as a longer horizon's would repeat a row: skip it.
    if (v === undefined || v === lastUsed) continue;
    lastUsed = v;
    rows.push({
      market: market.meta.market,
      event: market.meta.eventId,
      game: market.game,
      asset: v.assetId,
      horizonMin: h,
      horizonTs,
      ts: v.ts,
      firstPitchTs: endTs,
      split,
      pMarket: v.values[0]!,
      label: market.label,
      values: v.values,
    });
  }
  return rows;
}

const HEADER = ['market', 'event', 'game', 'asset', 'horizon_min', 'horizon_ts', 'ts', 'first_pitch_ts', 'split', 'p_market', 'label'];

/** Full float64 text (shortest round-trip form); `nan` for NaN, which Python and JS both read back. */
const num = (v: number): string => (Number.isNaN(v) ? 'nan' : String(v));

export function rowToCsv(r: DatasetRow): string {
  return [r.market, r.event, r.game, r.asset, r.horizonMin, r.horizonTs, r.ts, r.firstPitchTs, r.split, num(r.pMarket), r.label, ...r.values.map(num)].join(',');
}

export const DATASET_HEADER: readonly string[] = [...HEADER, ...FEATURE_SPEC.names];

/** Every row of the source, in source order of markets. */
export async function buildBaselineRows(
  dataRoot: string,
  opts: MarketFeaturesOptions = {},
): Promise<{ markets: MlbMarket[]; rows: DatasetRow[]; cutoffMs: number }> {
  const markets = await loadMlbMarkets(dataRoot);
  const cutoffMs = splitCutoff(markets);
  const latest = new Map<string, number>();
  for (const m of markets) latest.set(m.game, Math.max(latest.get(m.game) ?? -Infinity, m.meta.endTs));
  const rows: DatasetRow[] = [];
  for (const m of markets) {
    const split = latest.get(m.game)! >= cutoffMs ? 'validation' : 'train';
    rows.push(...sampleMarketRows(m, marketFeatureSeries(m.meta, m.updates, opts), split));
  }
  return { markets, rows, cutoffMs };
}

/** Source files with their sha256, so a card names exactly the bytes it was trained on. */
async function sourceFiles(dataRoot: string): Promise<{ file: string; sha256: string }[]> {
  const out = [];
  for (const file of ['books_top5.jsonl', 'markets.jsonl']) {
    const bytes = await readFile(join(dataRoot, MLB_SOURCE, file));
    out.push({ file, sha256: createHash('sha256').update(bytes).digest('hex') });
  }
  return out;
}

function summarize(rows: readonly DatasetRow[]): SplitSummary {
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of rows) {
    lo = Math.min(lo, r.firstPitchTs);
    hi = Math.max(hi, r.firstPitchTs);
  }
  return {
    rows: rows.length,
    markets: new Set(rows.map((r) => r.market)).size,
    games: new Set(rows.map((r) => r.game)).size,
    first_pitch_from: rows.length > 0 ? new Date(lo).toISOString() : '',
    first_pitch_to: rows.length > 0 ? new Date(hi).toISOString() : '',
  };
}

/**
 * Writes the dataset CSV to `outFile` (header: ids, horizon, ts, split, p_market, label, then the
 * features in FEATURE_SPEC order) and `<outFile>.meta.json` (spec, source, split), the inputs of
 * train_baseline.py. `dataRoot` is the shared Polymarket folder; the data is read there, not copied.
 */
export async function buildBaselineDataset(dataRoot: string, outFile: string): Promise<DatasetSummary> {
  const { markets, rows, cutoffMs } = await buildBaselineRows(dataRoot);
  const train = rows.filter((r) => r.split === 'train');
  const validation = rows.filter((r) => r.split === 'validation');
  const withRows = new Set(rows.map((r) => r.market));
  const summary: DatasetSummary = {
    outFile,
    metaFile: `${outFile}.meta.json`,
    rows: rows.length,
    marketsRead: markets.length,
    marketsWithoutRows: markets.filter((m) => !withRows.has(m.meta.market)).length,
    snapshotsRejected: markets.reduce((n, m) => n + m.rejected, 0),
    cutoffMs,
    splits: { train: summarize(train), validation: summarize(validation) },
  };
  await writeFile(outFile, [DATASET_HEADER.join(','), ...rows.map(rowToCsv)].join('\n') + '\n');
  const meta = {
    feature_spec: { version: FEATURE_SPEC.version, hash: FEATURE_SPEC.hash, names: FEATURE_SPEC.names },
    source: `polymarket/${MLB_SOURCE}`,
    files: await sourceFiles(dataRoot),
    horizons_min: HORIZONS_MIN,
    cutoff_ms: cutoffMs,
    cutoff_iso: new Date(cutoffMs).toISOString(),
    train_fraction: TRAIN_FRACTION,
    markets_read: summary.marketsRead,
    markets_without_rows: summary.marketsWithoutRows,
    snapshots_rejected: summary.snapshotsRejected,
    splits: summary.splits,
  };
  await writeFile(summary.metaFile, JSON.stringify(meta, null, 2) + '\n');
  return summary;
}
