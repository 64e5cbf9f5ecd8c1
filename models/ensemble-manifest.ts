import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ModelLoadError } from './errors.js';

/** What `train_ensemble.py` writes beside the ONNX files: the registry entry a scorer loads. */
export interface EnsembleManifest {
  readonly format: 'polyflow-ensemble-v1';
  readonly model_version: string;
  readonly feature_spec: { readonly version: string; readonly hash: string };
  readonly text_hash: { readonly version: string; readonly dims: number };
  readonly members: readonly { readonly name: string; readonly input: 'features' | 'text'; readonly file: string; readonly sha256: string }[];
  readonly stack: { readonly file: string; readonly sha256: string };
  readonly card: string;
  readonly native_sample: string;
  /**
   * Categories where evaluation showed the model beating the market price (written by
   * `polyflow retrain`); elsewhere the scorer defers to the market (pModel = mid), so no edge is
   * ever claimed there. Absent: no evaluation yet, defer everywhere.
   */
  readonly edge_gate?: { readonly categories: readonly string[]; readonly evidence: string };
  /** Training distribution of the features the model uses (file beside the manifest), for the drift monitor. */
  readonly drift_reference?: string;
}

export async function readEnsembleManifest(path: string): Promise<EnsembleManifest> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ModelLoadError(`${path}: cannot read ensemble manifest`, err);
  }
  const m = JSON.parse(text) as Partial<EnsembleManifest>;
  if (m.format !== 'polyflow-ensemble-v1' || !Array.isArray(m.members) || m.stack === undefined || m.feature_spec === undefined) {
    throw new ModelLoadError(`${path}: not a polyflow-ensemble-v1 manifest`);
  }
  return m as EnsembleManifest;
}

/** Reads an artifact named by the manifest and checks its sha256 against it. */
export async function readArtifact(manifestPath: string, file: string, sha256: string): Promise<Uint8Array> {
  const path = join(dirname(manifestPath), file);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new ModelLoadError(`${path}: cannot read ensemble artifact`, err);
  }
  const got = createHash('sha256').update(bytes).digest('hex');
  if (got !== sha256) throw new ModelLoadError(`${path}: sha256 ${got.slice(0, 12)}… is not the manifest's ${sha256.slice(0, 12)}…`);
  return bytes;
}
