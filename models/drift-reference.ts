import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DriftReference } from '../operators/drift-monitor.js';
import { ModelLoadError } from './errors.js';
import { readEnsembleManifest } from './ensemble-manifest.js';

/**
 * The drift reference a model ships with: an ensemble manifest names it; a single ONNX model has
 * none (undefined), and then no drift monitor runs.
 */
export async function loadDriftReference(modelPath: string): Promise<DriftReference | undefined> {
  if (!modelPath.endsWith('.json')) return undefined;
  const manifest = await readEnsembleManifest(modelPath);
  if (manifest.drift_reference === undefined) return undefined;
  const file = join(dirname(modelPath), manifest.drift_reference);
  try {
    const reference = JSON.parse(await readFile(file, 'utf8')) as DriftReference;
    if (reference.modelVersion !== manifest.model_version) {
      throw new ModelLoadError(`${file}: drift reference of model ${reference.modelVersion}, the manifest is ${manifest.model_version}`);
    }
    return reference;
  } catch (err) {
    if (err instanceof ModelLoadError) throw err;
    throw new ModelLoadError(`${file}: cannot read the drift reference`, err);
  }
}
