// The model registry: one row per trained model (version, data range, rows, spec hash, metrics,
// artifact hashes). The state store has no model_registry table yet, so rows go to a JSONL file.
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface RegistryRow {
  readonly model_version: string;
  readonly created: string;
  readonly manifest: string;
  readonly feature_spec_hash: string;
  readonly train_resolution_range: readonly string[];
  readonly holdout_resolution_range: readonly string[];
  readonly rows: Readonly<Record<string, number>>;
  readonly metrics: Readonly<Record<string, unknown>>;
  readonly artifacts: Readonly<Record<string, { readonly file: string; readonly sha256: string }>>;
  readonly tradeable_categories: readonly string[];
}

export async function appendRegistryRow(file: string, row: RegistryRow): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await appendFile(file, `${JSON.stringify(row)}\n`);
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
