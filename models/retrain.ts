// `polyflow retrain`: datasets from source folders -> train -> evaluate every holdout -> edge gate,
// drift reference, evaluation in the card, a registry row.
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { FEATURE_SPEC } from '../schemas/feature-spec.js';
import { driftReference } from '../operators/drift-monitor.js';
import { buildDataset } from './dataset/build-dataset.js';
import type { DatasetRow } from './dataset/dataset-file.js';
import { trainEnsemble } from './ensemble/train.js';
import type { BacktestOptions } from './evaluation/backtest.js';
import { evaluate, type EvaluationReport } from './evaluation/evaluate.js';
import type { ModelCard, RegistryRow } from './registry.js';
import { recordModel, type ModelRegistryStore } from './registry-store.js';

export interface RetrainOptions {
  readonly sources: readonly string[];
  readonly workDir: string;
  readonly outDir: string;
  readonly registryFile: string;
  /** The state store the registry row is upserted into (its `models` table). */
  readonly store: ModelRegistryStore;
  readonly modelVersion: string;
  readonly backtest: BacktestOptions;
  readonly quick?: boolean;
  readonly maxMarkets?: number;
  readonly python?: string;
}

export interface RetrainResult {
  readonly manifestFile: string;
  readonly modelVersion: string;
  readonly reports: Readonly<Record<string, EvaluationReport>>;
  readonly tradeableCategories: readonly string[];
  readonly registryRow: RegistryRow;
}

export async function retrain(o: RetrainOptions): Promise<RetrainResult> {
  const datasets: string[] = [];
  const trainRows: DatasetRow[] = [];
  for (const src of o.sources) {
    const file = join(o.workDir, `${basename(src)}.csv`);
    const { rows } = await buildDataset(src, file, o.maxMarkets === undefined ? {} : { maxMarkets: o.maxMarkets });
    trainRows.push(...rows.filter((r) => r.split === 'train'));
    datasets.push(file);
  }
  const trained = await trainEnsemble({
    datasets, outDir: o.outDir, modelVersion: o.modelVersion,
    ...(o.quick === undefined ? {} : { quick: o.quick }),
    ...(o.python === undefined ? {} : { python: o.python }),
  });
  const reports: Record<string, EvaluationReport> = {};
  for (const file of datasets) {
    const name = basename(file, '.csv');
    reports[name] = (await evaluate({ data: file, model: trained.manifestFile, out: join(o.workDir, 'evaluate', name), split: 'holdout', seed: 1, bootstrap: 2000, backtest: o.backtest })).report;
  }
  const tradeable = [...new Set(Object.values(reports).flatMap((r) => r.tradeable_categories))].sort();

  const manifest = JSON.parse(await readFile(trained.manifestFile, 'utf8')) as Record<string, unknown>;
  manifest['edge_gate'] = {
    categories: tradeable,
    evidence: 'categories whose holdout Brier(model) - Brier(market) has a 95% event-bootstrap CI entirely below 0 (polyflow evaluate)',
  };
  manifest['drift_reference'] = 'drift-reference.json';
  await writeFile(trained.manifestFile, JSON.stringify(manifest, null, 2) + '\n');
  const card = JSON.parse(await readFile(trained.cardFile, 'utf8')) as ModelCard;
  const ref = driftReference(o.modelVersion, FEATURE_SPEC.names, card.features_used, trainRows.map((r) => r.values));
  await writeFile(join(o.outDir, 'drift-reference.json'), JSON.stringify(ref) + '\n');
  card.evaluation = Object.fromEntries(
    Object.entries(reports).map(([k, r]) => {
      const { calibration: _c, ...rest } = r;
      return [k, rest];
    }),
  );
  await writeFile(trained.cardFile, JSON.stringify({ ...card, edge_gate: manifest['edge_gate'] }, null, 2) + '\n');

  const { registryRow: row } = await recordModel({ manifestFile: trained.manifestFile, cardFile: trained.cardFile, registryFile: o.registryFile, store: o.store });
  return { manifestFile: trained.manifestFile, modelVersion: o.modelVersion, reports, tradeableCategories: tradeable, registryRow: row };
}
