// `polyflow dataset`: a source folder -> point-in-time rows at horizons before resolution,
// labelled by the resolved outcome, split forward by event.
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InputError } from '../../runtime/errors.js';
import { FEATURE_SPEC } from '../../schemas/feature-spec.js';
import { TEXT_HASH_DIMS, TEXT_HASH_VERSION, textHashBuckets } from '../text-hash.js';
import { DATASET_COLUMNS, rowToCsv, type DatasetMeta, type DatasetRow } from './dataset-file.js';
import { HORIZONS_MIN, replayMarket, sampleHorizons } from './point-in-time.js';
import { readSource, type ReplayMarket, type SourceRead } from './source-markets.js';
import { SYNTHETIC_BOOK_FEATURES } from './synthetic-quote.js';

/** Share of a source's events (by latest resolution) before the forward holdout. */
export const TRAIN_FRACTION = 0.8;
/** Time-ordered folds of the training events (forward-chaining CV in the trainer). */
export const FOLDS = 5;
/** Trades are not in any source: these columns are constant in training and never fitted on. */
export const TRADE_FEATURES = FEATURE_SPEC.names.filter((n) => /^(vwap_dev|volume_log|trade_count)_|^signed_flow/.test(n));

export interface BuildOptions {
  /** Keep at most this many markets (in source order), for quick runs and tests. */
  readonly maxMarkets?: number;
}

/** Each group's latest resolution; groups ordered by it give the holdout cutoff and the folds. */
export function eventSplit(markets: readonly ReplayMarket[], trainFraction = TRAIN_FRACTION, folds = FOLDS): {
  cutoffMs: number;
  splitOf: Map<string, { split: 'train' | 'holdout'; fold: number }>;
} {
  const latest = new Map<string, number>();
  for (const m of markets) latest.set(m.group, Math.max(latest.get(m.group) ?? -Infinity, m.resolutionTs));
  const ordered = [...latest.entries()].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  const cut = ordered[Math.floor(ordered.length * trainFraction)];
  if (cut === undefined) throw new InputError('no events to split');
  const cutoffMs = cut[1];
  const train = ordered.filter(([, t]) => t < cutoffMs);
  const splitOf = new Map<string, { split: 'train' | 'holdout'; fold: number }>();
  train.forEach(([g], i) => splitOf.set(g, { split: 'train', fold: Math.floor((i * folds) / train.length) }));
  for (const [g, t] of ordered) if (t >= cutoffMs) splitOf.set(g, { split: 'holdout', fold: -1 });
  return { cutoffMs, splitOf };
}

export function datasetRows(source: SourceRead, splitOf: ReturnType<typeof eventSplit>['splitOf']): DatasetRow[] {
  const rows: DatasetRow[] = [];
  for (const m of source.markets) {
    const s = splitOf.get(m.group)!;
    const text = textHashBuckets(m.meta.question);
    for (const r of sampleHorizons(m, replayMarket(m))) {
      rows.push({
        source: source.name,
        market: m.meta.market,
        event: m.group,
        asset: m.meta.assetIds[0] ?? '',
        category: m.meta.category,
        horizonMin: r.horizonMin,
        horizonTs: r.horizonTs,
        ts: r.ts,
        resolutionTs: m.resolutionTs,
        split: s.split,
        fold: s.fold,
        pMarket: r.pMarket,
        bestBid: source.syntheticDepth ? NaN : r.bestBid,
        bestAsk: source.syntheticDepth ? NaN : r.bestAsk,
        label: m.label,
        textBuckets: text,
        values: r.values,
      });
    }
  }
  return rows;
}

const iso = (t: number): string => (Number.isFinite(t) ? new Date(t).toISOString() : '');

export async function buildDataset(dataDir: string, outFile: string, opts: BuildOptions = {}): Promise<{ rows: DatasetRow[]; meta: DatasetMeta }> {
  const read = await readSource(dataDir);
  const source: SourceRead = opts.maxMarkets === undefined ? read : { ...read, markets: read.markets.slice(0, opts.maxMarkets) };
  const { cutoffMs, splitOf } = eventSplit(source.markets);
  const rows = datasetRows(source, splitOf);
  const count = (split: 'train' | 'holdout', key: (r: DatasetRow) => string): number =>
    new Set(rows.filter((r) => r.split === split).map(key)).size;
  const files = [];
  for (const file of source.files) {
    files.push({ file, sha256: createHash('sha256').update(await readFile(join(dataDir, file))).digest('hex') });
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of rows) {
    lo = Math.min(lo, r.resolutionTs);
    hi = Math.max(hi, r.resolutionTs);
  }
  const excluded = [...TRADE_FEATURES, ...(source.syntheticDepth ? SYNTHETIC_BOOK_FEATURES : [])];
  const notes = [
    'Rows: at each horizon before resolution, the last feature vector at or before it (not older than max(60 min, horizon/2)), from applyBookUpdate + marketFeaturesStep.',
    'No trades in the source: trade-window features are constant and excluded from fitting.',
  ];
  if (source.syntheticDepth) {
    notes.push('Price points entered the book as a synthetic quote (bid = p - 0.0005, ask = p + 0.0005, 100 shares a side): mid = price, depth/spread/imbalance/microprice are made up and excluded.');
  }
  if (source.layout === 'prices') {
    notes.push('Resolution time = min(end_date, closed_time). end_date feeds time_to_resolution_h only when the source also has closed_time (else end_date is the close time: look-ahead, so NaN).');
  }
  const meta: DatasetMeta = {
    format: 'polyflow-dataset-v1',
    feature_spec: { version: FEATURE_SPEC.version, hash: FEATURE_SPEC.hash, names: FEATURE_SPEC.names },
    source: source.name,
    layout: source.layout,
    synthetic_depth: source.syntheticDepth,
    excluded_features: excluded,
    text_hash: { version: TEXT_HASH_VERSION, dims: TEXT_HASH_DIMS },
    files,
    horizons_min: HORIZONS_MIN,
    holdout_cutoff_ms: cutoffMs,
    holdout_cutoff_iso: iso(cutoffMs),
    folds: FOLDS,
    markets_read: source.markets.length,
    markets_with_rows: new Set(rows.map((r) => r.market)).size,
    skipped: source.skipped,
    updates_rejected: source.markets.reduce((n, m) => n + m.rejected, 0),
    rows: { train: rows.filter((r) => r.split === 'train').length, holdout: rows.filter((r) => r.split === 'holdout').length },
    markets: { train: count('train', (r) => r.market), holdout: count('holdout', (r) => r.market) },
    events: { train: count('train', (r) => r.event), holdout: count('holdout', (r) => r.event) },
    resolution_range: { from: iso(lo), to: iso(hi) },
    notes,
  };
  await mkdir(dirname(outFile), { recursive: true });
  await writeFile(outFile, [DATASET_COLUMNS.join(','), ...rows.map(rowToCsv)].join('\n') + '\n');
  await writeFile(`${outFile}.meta.json`, JSON.stringify(meta, null, 2) + '\n');
  return { rows, meta };
}
