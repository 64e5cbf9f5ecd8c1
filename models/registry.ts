// The model registry: one row per trained model (version, data range, rows, spec hash, metrics,
// artifact hashes). Rows go to the state store's `models` table (registry-store.ts) and, as a
// plain record next to the artifacts, to a JSONL file.
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';

export interface RegistryRow {
  readonly model_version: string;
  readonly created: string;
  readonly manifest: string;
  readonly feature_spec_hash: string;
  /** Absent in rows written before it was recorded. */
  readonly feature_spec_version?: string;
  readonly train_resolution_range: readonly string[];
  readonly holdout_resolution_range: readonly string[];
  readonly rows: Readonly<Record<string, number>>;
  readonly metrics: Readonly<Record<string, unknown>>;
  readonly artifacts: Readonly<Record<string, { readonly file: string; readonly sha256: string }>>;
  readonly tradeable_categories: readonly string[];
}

/** Brier and log loss of one forecaster on one split. */
export interface Scores {
  readonly brier: number;
  readonly log_loss: number;
}

/** The parts of a model card (card.json, written by train_ensemble.py and retrain) the registry reads. */
export interface ModelCard {
  model_version: string;
  kind?: string;
  created: string;
  feature_spec: { version: string; hash: string };
  features_used: string[];
  training_data: { train_resolution_range: string[]; holdout_resolution_range: string[]; rows: Record<string, number> };
  metrics: Record<string, unknown>;
  artifacts: Record<string, { file: string; sha256: string }>;
  evaluation?: Record<string, unknown>;
  edge_gate?: { categories: string[] };
}

/** Per-split figures: rows, the model's (the calibrated ensemble's) and the market's scores. */
export interface SplitMetrics {
  readonly rows: number;
  readonly model: Scores;
  readonly market: Scores;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScores = (v: unknown): v is Scores => isRecord(v) && typeof v['brier'] === 'number' && typeof v['log_loss'] === 'number';

function splitMetrics(v: unknown): SplitMetrics | undefined {
  if (!isRecord(v) || !isScores(v['ensemble']) || !isScores(v['market'])) return undefined;
  const { brier: mb, log_loss: ml } = v['ensemble'];
  const { brier: kb, log_loss: kl } = v['market'];
  return { rows: typeof v['rows'] === 'number' ? v['rows'] : 0, model: { brier: mb, log_loss: ml }, market: { brier: kb, log_loss: kl } };
}

function splitsOf(metrics: Readonly<Record<string, unknown>>): Record<string, SplitMetrics> {
  const out: Record<string, SplitMetrics> = {};
  for (const [k, v] of Object.entries(metrics)) {
    const m = splitMetrics(v);
    if (m !== undefined) out[k] = m;
  }
  return out;
}

/**
 * A registry row's metrics per split (`oof`, `oof_calibrated_out_of_fold`, `holdout`, ...) for the
 * model and the market, the holdout per source, and the holdout evaluation per dataset
 * (`polyflow evaluate`) when there is one.
 */
export function metricsPerSplit(metrics: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const bySource = metrics['holdout_by_source'];
  const evaluation = metrics['evaluation'];
  return {
    splits: splitsOf(metrics),
    holdout_by_source: isRecord(bySource) ? splitsOf(bySource) : {},
    ...(isRecord(evaluation) ? { evaluation } : {}),
  };
}

function evaluationSummary(card: Pick<ModelCard, 'evaluation'>): Record<string, unknown> | undefined {
  if (card.evaluation === undefined) return undefined;
  return Object.fromEntries(
    Object.entries(card.evaluation).map(([k, r]) => {
      const e = isRecord(r) ? r : {};
      return [k, { n_rows: e['n_rows'], brier_model: e['brier_model'], brier_market: e['brier_market'], brier_diff_ci: e['brier_diff_ci'], pnl: e['pnl'] }];
    }),
  );
}

/** The registry row of a card whose manifest is `manifestFile`, as recorded in `registryFile`. */
export function registryRowFromCard(card: ModelCard, manifestFile: string, registryFile: string): RegistryRow {
  const evaluation = evaluationSummary(card);
  return {
    model_version: card.model_version,
    created: card.created,
    manifest: relative(dirname(registryFile), manifestFile),
    feature_spec_hash: card.feature_spec.hash,
    feature_spec_version: card.feature_spec.version,
    train_resolution_range: card.training_data.train_resolution_range,
    holdout_resolution_range: card.training_data.holdout_resolution_range,
    rows: card.training_data.rows,
    metrics: evaluation === undefined ? { ...card.metrics } : { ...card.metrics, evaluation },
    artifacts: card.artifacts,
    tradeable_categories: card.edge_gate?.categories ?? [],
  };
}

export async function readCard(file: string): Promise<ModelCard> {
  return JSON.parse(await readFile(file, 'utf8')) as ModelCard;
}

export async function appendRegistryRow(file: string, row: RegistryRow): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await appendFile(file, `${JSON.stringify(row)}\n`);
}

/** Appends `row`, first dropping any row of the same model version (registering again is a no-op). */
export async function upsertRegistryRow(file: string, row: RegistryRow): Promise<void> {
  const others = (await readRegistry(file)).filter((r) => r.model_version !== row.model_version);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, [...others, row].map((r) => `${JSON.stringify(r)}\n`).join(''));
}

export async function readRegistry(file: string): Promise<RegistryRow[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as RegistryRow);
}
