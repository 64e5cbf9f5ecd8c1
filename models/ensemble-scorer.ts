// The stacked ensemble behind the Scorer interface: feature members, the text member over hashed
// question n-grams, then the stack; member disagreement becomes the prediction's confidence.
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { FeatureSpec } from '../schemas/feature-spec.js';
import type { FeatureVector } from '../schemas/feature-vector.js';
import type { MarketId } from '../schemas/ids.js';
import type { MarketMeta } from '../schemas/market-meta.js';
import { ModelLoadError, ModelSpecMismatchError } from './errors.js';
import { readArtifact, readEnsembleManifest, type EnsembleManifest } from './ensemble-manifest.js';
import { readOnnxMetadataProps } from './onnx-metadata.js';
import type { Scorer } from './scorer.js';
import { TEXT_HASH_VERSION, textHashBuckets } from './text-hash.js';
import { featureCategory } from './dataset/source-markets.js';

export interface EnsembleScores {
  /** Final calibrated P(token pays 1) per row. */
  readonly probability: Float32Array;
  /** 1 - std(member probabilities) / 0.5, in [0, 1]. */
  readonly confidence: Float32Array;
  /** Per member (manifest order), its probability per row. */
  readonly members: ReadonlyMap<string, Float32Array>;
}

export interface EnsembleScorer extends Scorer {
  readonly manifest: EnsembleManifest;
  readonly memberNames: readonly string[];
  /** `textBuckets[r]`: the hashed question of row r (models/text-hash.ts); none: an empty question. */
  scoreDetailed(rows: Float32Array, nRows: number, textBuckets?: readonly (readonly number[])[]): Promise<EnsembleScores>;
  /** Remembers a market's question and category for `scoreVectors` (feed it `pm.market.meta`). */
  observeMeta(meta: MarketMeta): void;
  /**
   * Scores live vectors with their markets' questions; the scoring stage calls this when present.
   * Outside the manifest's edge gate the probability is the vector's mid (the market's own forecast).
   */
  scoreVectors(vectors: readonly FeatureVector[]): Promise<{ probability: Float32Array; confidence: Float32Array }>;
  release(): Promise<void>;
}

const SESSION_OPTIONS: InferenceSession.SessionOptions = {
  executionProviders: ['cpu'],
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
};

function checkSpec(what: string, props: Map<string, string>, expected: FeatureSpec): void {
  const hash = props.get('feature_spec_hash');
  const version = props.get('feature_spec_version');
  if (hash !== expected.hash || version !== expected.version) {
    throw new ModelSpecMismatchError(
      `${what}: trained on feature spec ${version ?? '?'} (${(hash ?? '?').slice(0, 12)}…), the pipeline runs ${expected.version} (${expected.hash.slice(0, 12)}…)`,
    );
  }
}

const floats = (t: Tensor | undefined, n: number, what: string): Float32Array => {
  if (t === undefined || t.type !== 'float32' || t.size !== n) throw new ModelLoadError(`${what}: output is not ${n} float32 values`);
  return Float32Array.from(t.data as Float32Array);
};

/**
 * Loads the ensemble named by `manifestPath` and refuses it unless the manifest and every ONNX
 * file's metadata carry `expected`'s spec, and every file's sha256 is the manifest's.
 */
export async function loadEnsembleScorer(manifestPath: string, expected: FeatureSpec): Promise<EnsembleScorer> {
  const manifest = await readEnsembleManifest(manifestPath);
  if (manifest.feature_spec.hash !== expected.hash || manifest.feature_spec.version !== expected.version) {
    throw new ModelSpecMismatchError(`${manifestPath}: ensemble trained on feature spec ${manifest.feature_spec.version}, the pipeline runs ${expected.version}`);
  }
  if (manifest.text_hash.version !== TEXT_HASH_VERSION) {
    throw new ModelLoadError(`${manifestPath}: text hashing ${manifest.text_hash.version} is not this build's ${TEXT_HASH_VERSION}`);
  }
  const sessions: InferenceSession[] = [];
  const open = async (file: string, sha: string): Promise<InferenceSession> => {
    const bytes = await readArtifact(manifestPath, file, sha);
    const props = readOnnxMetadataProps(bytes);
    checkSpec(`${file}`, props, expected);
    if (props.get('model_version') !== manifest.model_version) throw new ModelLoadError(`${file}: model_version is not the manifest's`);
    const s = await InferenceSession.create(bytes, SESSION_OPTIONS);
    sessions.push(s);
    return s;
  };
  try {
    const members = [];
    for (const m of manifest.members) members.push({ ...m, session: await open(m.file, m.sha256) });
    const stack = await open(manifest.stack.file, manifest.stack.sha256);
    return ensembleScorer(manifest, expected, members, stack, () => Promise.all(sessions.map((s) => s.release())).then(() => undefined));
  } catch (err) {
    await Promise.all(sessions.map((s) => s.release()));
    throw err;
  }
}

function ensembleScorer(
  manifest: EnsembleManifest,
  spec: FeatureSpec,
  members: readonly { name: string; input: 'features' | 'text'; session: InferenceSession }[],
  stack: InferenceSession,
  release: () => Promise<void>,
): EnsembleScorer {
  const width = spec.names.length;
  const dims = manifest.text_hash.dims;
  const questions = new Map<MarketId, { readonly buckets: readonly number[]; readonly category: string }>();
  const gate = new Set(manifest.edge_gate?.categories ?? []);
  const midIndex = spec.names.indexOf('mid');
  const k = members.length;

  const scoreDetailed = async (rows: Float32Array, nRows: number, textBuckets?: readonly (readonly number[])[]): Promise<EnsembleScores> => {
    if (!Number.isInteger(nRows) || nRows < 0 || rows.length !== nRows * width) {
      throw new RangeError(`score: ${rows.length} values is not ${nRows} rows × ${width} features`);
    }
    if (nRows === 0) return { probability: new Float32Array(0), confidence: new Float32Array(0), members: new Map() };
    const features = new Tensor('float32', rows, [nRows, width]);
    const text = new Float32Array(nRows * dims);
    textBuckets?.forEach((b, r) => {
      for (const i of b) if (i >= 0 && i < dims) text[r * dims + i] = 1;
    });
    const textTensor = new Tensor('float32', text, [nRows, dims]);
    const logits = new Float32Array(nRows * k);
    const probs = new Map<string, Float32Array>();
    for (let j = 0; j < k; j++) {
      const m = members[j]!;
      const out = await m.session.run(m.input === 'text' ? { text: textTensor } : { features }, ['logit', 'probability']);
      const l = floats(out['logit'], nRows, m.name);
      probs.set(m.name, floats(out['probability'], nRows, m.name));
      for (let r = 0; r < nRows; r++) logits[r * k + j] = l[r]!;
    }
    const out = await stack.run({ member_logits: new Tensor('float32', logits, [nRows, k]), features }, ['probability']);
    const probability = floats(out['probability'], nRows, 'stack');
    const confidence = new Float32Array(nRows);
    for (let r = 0; r < nRows; r++) {
      let mean = 0;
      for (const p of probs.values()) mean += p[r]!;
      mean /= k;
      let v = 0;
      for (const p of probs.values()) v += (p[r]! - mean) ** 2;
      confidence[r] = Math.max(0, 1 - Math.sqrt(v / k) / 0.5);
    }
    return { probability, confidence, members: probs };
  };

  return {
    modelVersion: manifest.model_version,
    spec,
    manifest,
    memberNames: members.map((m) => m.name),
    scoreDetailed,
    async score(rows, nRows) {
      return (await scoreDetailed(rows, nRows)).probability;
    },
    observeMeta(meta) {
      questions.set(meta.market, { buckets: textHashBuckets(meta.question, dims), category: featureCategory(meta.category) });
    },
    async scoreVectors(vectors) {
      const rows = new Float32Array(vectors.length * width);
      vectors.forEach((v, r) => rows.set(v.values, r * width));
      const s = await scoreDetailed(rows, vectors.length, vectors.map((v) => questions.get(v.market)?.buckets ?? []));
      vectors.forEach((v, r) => {
        const category = questions.get(v.market)?.category;
        if (category === undefined || !gate.has(category)) s.probability[r] = v.values[midIndex] ?? Number.NaN;
      });
      return { probability: s.probability, confidence: s.confidence };
    },
    release,
  };
}
