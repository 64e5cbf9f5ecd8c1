// The dataset file: CSV (ids, times, market price, label, hashed question, features in spec order)
// plus `<file>.meta.json`. Read back by the trainer (Python) and by `polyflow evaluate` (here).
import { readFile } from 'node:fs/promises';
import { InputError } from '../../runtime/errors.js';
import { FEATURE_SPEC } from '../../schemas/feature-spec.js';

export type Split = 'train' | 'holdout';

export interface DatasetRow {
  readonly source: string;
  readonly market: string;
  readonly event: string;
  readonly asset: string;
  readonly category: string;
  readonly horizonMin: number;
  readonly horizonTs: number;
  /** Ts of the feature vector (<= horizonTs): the row uses nothing after it. */
  readonly ts: number;
  /** Label time, never a feature. */
  readonly resolutionTs: number;
  readonly split: Split;
  /** Time-ordered fold of the row's event among the source's training events (-1: holdout). */
  readonly fold: number;
  /** The market's forecast at ts (recorded price, or book mid). */
  readonly pMarket: number;
  readonly bestBid: number;
  readonly bestAsk: number;
  readonly label: 0 | 1;
  /** Buckets of the question's hashed n-grams (models/text-hash.ts). */
  readonly textBuckets: readonly number[];
  readonly values: readonly number[];
}

const HEAD = ['source', 'market', 'event', 'asset', 'category', 'horizon_min', 'horizon_ts', 'ts', 'resolution_ts', 'split', 'fold', 'p_market', 'best_bid', 'best_ask', 'label', 'text_buckets'];
export const DATASET_COLUMNS: readonly string[] = [...HEAD, ...FEATURE_SPEC.names];

/** Shortest round-trip text; `nan` for NaN (Python and JS read it back). */
const num = (v: number): string => (Number.isNaN(v) ? 'nan' : String(v));
const safe = (s: string): string => s.replace(/[,\n\r"]/g, ' ');

export function rowToCsv(r: DatasetRow): string {
  return [
    safe(r.source), safe(r.market), safe(r.event), safe(r.asset), safe(r.category),
    r.horizonMin, r.horizonTs, r.ts, r.resolutionTs, r.split, r.fold,
    num(r.pMarket), num(r.bestBid), num(r.bestAsk), r.label, r.textBuckets.join(' '),
    ...r.values.map(num),
  ].join(',');
}

const parseNum = (s: string): number => (s === 'nan' ? NaN : Number(s));

export function csvToRow(line: string): DatasetRow {
  const c = line.split(',');
  if (c.length !== DATASET_COLUMNS.length) throw new InputError(`dataset row has ${c.length} columns, expected ${DATASET_COLUMNS.length}`);
  const at = (i: number): string => c[i]!;
  const split = at(9);
  if (split !== 'train' && split !== 'holdout') throw new InputError(`bad split ${split}`);
  return {
    source: at(0), market: at(1), event: at(2), asset: at(3), category: at(4),
    horizonMin: Number(at(5)), horizonTs: Number(at(6)), ts: Number(at(7)), resolutionTs: Number(at(8)),
    split, fold: Number(at(10)),
    pMarket: parseNum(at(11)), bestBid: parseNum(at(12)), bestAsk: parseNum(at(13)),
    label: at(14) === '1' ? 1 : 0,
    textBuckets: at(15) === '' ? [] : at(15).split(' ').map(Number),
    values: c.slice(HEAD.length).map(parseNum),
  };
}

export interface DatasetMeta {
  readonly format: 'polyflow-dataset-v1';
  readonly feature_spec: { readonly version: string; readonly hash: string; readonly names: readonly string[] };
  readonly source: string;
  readonly layout: 'books' | 'prices';
  /** Price series replayed as synthetic quotes: `excluded_features` are made up and never fitted on. */
  readonly synthetic_depth: boolean;
  readonly excluded_features: readonly string[];
  readonly text_hash: { readonly version: string; readonly dims: number };
  readonly files: readonly { readonly file: string; readonly sha256: string }[];
  readonly horizons_min: readonly number[];
  readonly holdout_cutoff_ms: number;
  readonly holdout_cutoff_iso: string;
  readonly folds: number;
  readonly markets_read: number;
  readonly markets_with_rows: number;
  readonly skipped: Readonly<Record<string, number>>;
  readonly updates_rejected: number;
  readonly rows: { readonly train: number; readonly holdout: number };
  readonly markets: { readonly train: number; readonly holdout: number };
  readonly events: { readonly train: number; readonly holdout: number };
  readonly resolution_range: { readonly from: string; readonly to: string };
  readonly notes: readonly string[];
}

export async function readDataset(file: string): Promise<{ rows: DatasetRow[]; meta: DatasetMeta }> {
  let text: string;
  let metaText: string;
  try {
    [text, metaText] = await Promise.all([readFile(file, 'utf8'), readFile(`${file}.meta.json`, 'utf8')]);
  } catch (err) {
    throw new InputError(`cannot read dataset ${file} (and ${file}.meta.json)`, err);
  }
  const lines = text.split('\n').filter((l) => l !== '');
  if (lines[0] !== DATASET_COLUMNS.join(',')) throw new InputError(`${file}: header is not this feature spec's dataset header`);
  const meta = JSON.parse(metaText) as DatasetMeta;
  if (meta.feature_spec.hash !== FEATURE_SPEC.hash) throw new InputError(`${file}: built for feature spec ${meta.feature_spec.version}, not ${FEATURE_SPEC.version}`);
  return { rows: lines.slice(1).map(csvToRow), meta };
}
