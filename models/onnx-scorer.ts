import { readFile } from 'node:fs/promises';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { FeatureSpec } from '../schemas/feature-spec.js';
import { ModelLoadError, ModelSpecMismatchError } from './errors.js';
import { readOnnxMetadataProps } from './onnx-metadata.js';
import type { Scorer } from './scorer.js';

/** A scorer backed by an ONNX Runtime session; `release` frees the native session. */
export interface OnnxScorer extends Scorer {
  readonly inputName: string;
  readonly outputName: string;
  release(): Promise<void>;
}

/** What an artifact records about itself (ONNX `metadata_props`, else the sidecar card). */
interface ArtifactSpec {
  readonly source: string;
  readonly modelVersion: string;
  readonly specVersion: string;
  readonly specHash: string;
}

async function readSidecarCard(modelPath: string): Promise<ArtifactSpec | undefined> {
  // `baseline-logistic.onnx` -> `baseline-logistic.card.json`
  const cardPath = `${modelPath.replace(/\.onnx$/, '')}.card.json`;
  let text: string;
  try {
    text = await readFile(cardPath, 'utf8');
  } catch {
    return undefined;
  }
  let card: { model_version?: unknown; feature_spec?: { version?: unknown; hash?: unknown } };
  try {
    card = JSON.parse(text) as typeof card;
  } catch (err) {
    throw new ModelLoadError(`model card ${cardPath} is not JSON: ${err instanceof Error ? err.message : String(err)}`, err);
  }
  const { model_version: modelVersion, feature_spec: spec } = card;
  if (typeof modelVersion !== 'string' || typeof spec?.version !== 'string' || typeof spec.hash !== 'string') {
    return undefined;
  }
  return { source: cardPath, modelVersion, specVersion: spec.version, specHash: spec.hash };
}

async function artifactSpec(modelPath: string, bytes: Uint8Array): Promise<ArtifactSpec> {
  let props: Map<string, string>;
  try {
    props = readOnnxMetadataProps(bytes);
  } catch (err) {
    throw new ModelLoadError(`${modelPath}: not a readable ONNX model`, err);
  }
  const specHash = props.get('feature_spec_hash');
  const specVersion = props.get('feature_spec_version');
  const modelVersion = props.get('model_version');
  if (specHash !== undefined && specVersion !== undefined && modelVersion !== undefined) {
    return { source: `${modelPath} metadata_props`, modelVersion, specVersion, specHash };
  }
  const card = await readSidecarCard(modelPath);
  if (card !== undefined) return card;
  throw new ModelLoadError(
    `${modelPath}: no feature_spec_hash/feature_spec_version/model_version in metadata_props and no sidecar card`,
  );
}

/**
 * Loads an ONNX model for CPU scoring and refuses it unless it was trained on `expected`: same
 * spec hash and version in its metadata, and an input of width `expected.names.length`.
 * Input and output names are read from the session (one float32 input `[N, F]`; the output named
 * `probability` if there is one, else the first, shaped `[N]` or `[N, 1]`).
 */
export async function loadOnnxScorer(modelPath: string, expected: FeatureSpec): Promise<OnnxScorer> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(modelPath);
  } catch (err) {
    throw new ModelLoadError(`${modelPath}: cannot read model file`, err);
  }
  const art = await artifactSpec(modelPath, bytes);
  if (art.specHash !== expected.hash || art.specVersion !== expected.version) {
    throw new ModelSpecMismatchError(
      `${modelPath}: trained on feature spec ${art.specVersion} (${art.specHash.slice(0, 12)}…, from ${art.source}), ` +
        `but the pipeline runs ${expected.version} (${expected.hash.slice(0, 12)}…)`,
    );
  }

  let session: InferenceSession;
  try {
    session = await InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
  } catch (err) {
    throw new ModelLoadError(`${modelPath}: onnxruntime could not create a session`, err);
  }

  const nFeatures = expected.names.length;
  const fail = async (err: Error): Promise<never> => {
    await session.release();
    throw err;
  };
  const input = session.inputMetadata[0];
  if (session.inputMetadata.length !== 1 || input === undefined || !input.isTensor || input.type !== 'float32') {
    return fail(new ModelLoadError(`${modelPath}: expected exactly one float32 tensor input`));
  }
  const width = input.shape[1];
  if (input.shape.length !== 2 || (typeof width === 'number' && width !== nFeatures)) {
    return fail(
      new ModelSpecMismatchError(
        `${modelPath}: input ${input.name} has shape [${input.shape.join(', ')}], the spec has ${nFeatures} features`,
      ),
    );
  }
  const outputName = session.outputNames.includes('probability') ? 'probability' : session.outputNames[0];
  if (outputName === undefined) return fail(new ModelLoadError(`${modelPath}: model has no output`));
  const inputName = input.name;

  return {
    modelVersion: art.modelVersion,
    spec: expected,
    inputName,
    outputName,
    async score(rows: Float32Array, nRows: number): Promise<Float32Array> {
      if (!Number.isInteger(nRows) || nRows < 0 || rows.length !== nRows * nFeatures) {
        throw new RangeError(`score: ${rows.length} values is not ${nRows} rows × ${nFeatures} features`);
      }
      if (nRows === 0) return new Float32Array(0);
      const out = await session.run({ [inputName]: new Tensor('float32', rows, [nRows, nFeatures]) }, [outputName]);
      const tensor = out[outputName];
      if (tensor === undefined || tensor.type !== 'float32' || tensor.size !== nRows) {
        throw new ModelLoadError(`${modelPath}: output ${outputName} is not ${nRows} float32 probabilities`);
      }
      // Copy: the tensor's buffer belongs to the run.
      return Float32Array.from(tensor.data as Float32Array);
    },
    release: () => session.release(),
  };
}
