// Recording a trained model: the registry row next to the artifacts (registry.jsonl) and in the
// state store's `models` table (upserted by version, so registering again changes nothing).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import type { Config } from '../runtime/config.js';
import type { ModelRow, ModelRowInput } from '../sinks/postgres/model-rows-sql.js';
import { openStateStore, stateStoreOptions } from '../sinks/postgres/open-state-store.js';
import { metricsPerSplit, readCard, registryRowFromCard, upsertRegistryRow, type RegistryRow } from './registry.js';

/** What the registry needs of the state store (SqlStateStore, on `pg` or PGlite). */
export interface ModelRegistryStore {
  upsertModel(row: ModelRowInput): Promise<void>;
  listModels(): Promise<ModelRow[]>;
}

const ms = (iso: string | undefined): number | null => {
  const t = iso === undefined ? NaN : Date.parse(iso);
  return Number.isFinite(t) ? t : null;
};

function extreme(values: readonly (number | null)[], pick: (a: number, b: number) => number): number | null {
  const xs = values.filter((v): v is number => v !== null);
  return xs.length === 0 ? null : xs.reduce((a, b) => pick(a, b));
}

/** `file` relative to the working directory when it is inside it, else absolute. */
function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? resolve(file) : rel;
}

/** The `models` row of a registry row. */
export function modelRowFromRegistry(
  row: RegistryRow,
  o: { readonly name: string; readonly featureSpec: string; readonly manifestPath: string; readonly manifestSha256: string },
): ModelRowInput {
  const train = row.train_resolution_range;
  const holdout = row.holdout_resolution_range;
  return {
    version: row.model_version,
    name: o.name,
    featureSpec: row.feature_spec_version ?? o.featureSpec,
    featureSpecHash: row.feature_spec_hash,
    artifactPath: o.manifestPath,
    artifactSha256: o.manifestSha256,
    trainRange: train,
    holdoutRange: holdout,
    dataFromTs: extreme([ms(train[0]), ms(holdout[0])], Math.min),
    dataToTs: extreme([ms(train[1]), ms(holdout[1])], Math.max),
    rowCounts: row.rows,
    metrics: metricsPerSplit(row.metrics),
    artifacts: row.artifacts,
    tradeableCategories: row.tradeable_categories,
    createdAt: row.created,
  };
}

export interface RecordModelOptions {
  readonly manifestFile: string;
  readonly cardFile: string;
  /** registry.jsonl to record in; none: the store only. */
  readonly registryFile?: string;
  readonly store: ModelRegistryStore;
}

/** Reads the card and upserts its registry row (by model version) into `registryFile` and the store. */
export async function recordModel(o: RecordModelOptions): Promise<{ registryRow: RegistryRow; modelRow: ModelRowInput }> {
  const card = await readCard(o.cardFile);
  const manifestFile = resolve(o.manifestFile);
  const registryRow = registryRowFromCard(card, manifestFile, resolve(o.registryFile ?? `${manifestFile}/../../registry.jsonl`));
  const modelRow = modelRowFromRegistry(registryRow, {
    name: card.kind ?? 'ensemble',
    featureSpec: card.feature_spec.version,
    manifestPath: displayPath(manifestFile),
    manifestSha256: createHash('sha256').update(await readFile(manifestFile)).digest('hex'),
  });
  if (o.registryFile !== undefined) await upsertRegistryRow(o.registryFile, registryRow);
  await o.store.upsertModel(modelRow);
  return { registryRow, modelRow };
}

/** `--state`, `--state-url`, `--state-dir` over the config's `state` (as `polyflow settings`). */
export interface StateFlags {
  readonly state?: string | undefined;
  readonly 'state-url'?: string | undefined;
  readonly 'state-dir'?: string | undefined;
}

export function stateOverrides(flags: StateFlags): Record<string, unknown> {
  const state: Record<string, unknown> = {};
  if (flags.state !== undefined) state['kind'] = flags.state;
  if (flags['state-url'] !== undefined) state['url'] = flags['state-url'];
  if (flags['state-dir'] !== undefined) state['dir'] = flags['state-dir'];
  return state;
}

/** The registry's store: the configured one, or PGlite in `state.dir` when state is off. */
export function openRegistryStore(state: Config['state']): ReturnType<typeof openStateStore> {
  return openStateStore(stateStoreOptions(state.kind === 'off' ? { ...state, kind: 'pglite' } : state));
}
