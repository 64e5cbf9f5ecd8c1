// `polyflow train`: runs train_ensemble.py (fit, OOF stacking, calibration, ONNX export) on datasets.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PYTHON } from '../baseline/fit-baseline.js';
import { runProcess, TrainingError } from '../run-process.js';

export interface TrainOptions {
  /** Dataset CSVs written by `polyflow dataset` (each with its .meta.json). */
  readonly datasets: readonly string[];
  readonly outDir: string;
  readonly modelVersion?: string;
  readonly python?: string;
  /** Fewer trees and epochs (tests). */
  readonly quick?: boolean;
}

export interface TrainResult {
  readonly manifestFile: string;
  readonly cardFile: string;
  readonly modelVersion: string;
  /** What the trainer logged (stderr). */
  readonly log: string;
}

function trainerScript(): string {
  const candidates = [
    ...[new URL('./train_ensemble.py', import.meta.url), new URL('../../../models/ensemble/train_ensemble.py', import.meta.url)].map((u) => fileURLToPath(u)),
    join(process.cwd(), 'models', 'ensemble', 'train_ensemble.py'),
  ];
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) throw new TrainingError(`train_ensemble.py not found (looked in ${candidates.join(', ')})`);
  return found;
}

export async function trainEnsemble(opts: TrainOptions): Promise<TrainResult> {
  if (opts.datasets.length === 0) throw new TrainingError('no datasets to train on');
  await mkdir(opts.outDir, { recursive: true });
  const args = [trainerScript(), '--data', ...opts.datasets, '--out-dir', opts.outDir];
  if (opts.modelVersion !== undefined) args.push('--model-version', opts.modelVersion);
  if (opts.quick === true) args.push('--quick');
  const { stderr } = await runProcess(opts.python ?? process.env['PYTHON'] ?? DEFAULT_PYTHON, args);
  const manifestFile = `${opts.outDir}/manifest.json`;
  const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as { model_version: string; card: string };
  return { manifestFile, cardFile: `${opts.outDir}/${manifest.card}`, modelVersion: manifest.model_version, log: stderr };
}
