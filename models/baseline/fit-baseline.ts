// Retraining as a command: dataset (TypeScript, live operators) then fit + ONNX export (Python).
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess, TrainingError } from '../run-process.js';
import { buildBaselineDataset, type DatasetSummary } from './build-dataset.js';

export const DEFAULT_PYTHON = '/usr/bin/python3';
export const BASELINE_NAME = 'baseline-logistic';

export interface FitBaselineOptions {
  /** The shared Polymarket data folder (e.g. `../shared/data/polymarket`). */
  readonly dataRoot: string;
  /** Where the dataset CSV and its meta are written. */
  readonly workDir: string;
  /** Where the model, its cards and the validation sample go (default: models/artifacts of this repo). */
  readonly outDir?: string;
  /** Python with numpy, scikit-learn and onnx (default: env PYTHON, else /usr/bin/python3). */
  readonly python?: string;
  readonly modelVersion?: string;
}

export interface ForecastScores {
  readonly brier: number;
  readonly log_loss: number;
}

export interface SplitMetrics {
  readonly rows: number;
  readonly positives: number;
  readonly rows_with_mid: number;
  /** Model and market on the rows where the mid is defined. */
  readonly model: ForecastScores;
  readonly market: ForecastScores;
  readonly model_all_rows: ForecastScores;
}

export interface FitBaselineResult {
  readonly dataset: DatasetSummary;
  readonly modelFile: string;
  readonly cardFile: string;
  readonly modelVersion: string;
  readonly sha256: string;
  readonly metrics: { readonly train: SplitMetrics; readonly validation: SplitMetrics };
}


/** train_baseline.py beside this file, or (from dist/) in the source tree it was built from. */
function trainerScript(): string {
  const candidates = [
    new URL('./train_baseline.py', import.meta.url),
    new URL('../../../models/baseline/train_baseline.py', import.meta.url),
  ].map((u) => fileURLToPath(u));
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) throw new TrainingError(`train_baseline.py not found (looked in ${candidates.join(', ')})`);
  return found;
}

function defaultOutDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  // models/baseline/ -> models/artifacts; dist/models/baseline/ -> the source tree's models/artifacts
  return here.includes(`${join('dist', 'models')}`)
    ? fileURLToPath(new URL('../../../models/artifacts/', import.meta.url))
    : fileURLToPath(new URL('../artifacts/', import.meta.url));
}

/**
 * Builds the baseline dataset from `dataRoot` into `workDir`, fits the logistic baseline with
 * train_baseline.py and writes the ONNX model and its cards to `outDir`. Returns the card's
 * metrics (model vs market per split); prints nothing.
 */
export async function fitBaseline(opts: FitBaselineOptions): Promise<FitBaselineResult> {
  await mkdir(opts.workDir, { recursive: true });
  const outDir = opts.outDir ?? defaultOutDir();
  await mkdir(outDir, { recursive: true });
  const dataset = await buildBaselineDataset(opts.dataRoot, join(opts.workDir, `${BASELINE_NAME}-dataset.csv`));
  const python = opts.python ?? process.env['PYTHON'] ?? DEFAULT_PYTHON;
  const args = [trainerScript(), '--dataset', dataset.outFile, '--meta', dataset.metaFile, '--out-dir', outDir, '--name', BASELINE_NAME];
  if (opts.modelVersion !== undefined) args.push('--model-version', opts.modelVersion);
  await runProcess(python, args);

  const cardFile = join(outDir, `${BASELINE_NAME}.card.json`);
  const card = JSON.parse(await readFile(cardFile, 'utf8')) as {
    model_version: string;
    artifact: { file: string; sha256: string };
    metrics: { train: SplitMetrics; validation: SplitMetrics };
  };
  return {
    dataset,
    modelFile: join(outDir, card.artifact.file),
    cardFile,
    modelVersion: card.model_version,
    sha256: card.artifact.sha256,
    metrics: { train: card.metrics.train, validation: card.metrics.validation },
  };
}
