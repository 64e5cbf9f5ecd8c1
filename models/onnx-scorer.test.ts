import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_INDEX, FEATURE_SPEC, featureSpecHash, type FeatureName } from '../schemas/feature-spec.js';
import { ModelLoadError, ModelSpecMismatchError } from './errors.js';
import { readOnnxMetadataProps } from './onnx-metadata.js';
import { loadOnnxScorer, type OnnxScorer } from './onnx-scorer.js';

const MODEL = fileURLToPath(new URL('./artifacts/baseline-logistic.onnx', import.meta.url));
const CARD = fileURLToPath(new URL('./artifacts/baseline-logistic.card.json', import.meta.url));

interface Card {
  model_version: string;
  feature_spec: { version: string; hash: string; n_features: number };
  features_used: FeatureName[];
  transform: { medians: Record<string, number>; mid_clip: [number, number]; design: string[] };
  coefficients: { intercept: number; weights: Record<string, number> };
}
const card = JSON.parse(readFileSync(CARD, 'utf8')) as Card;
const W = FEATURE_SPEC.names.length;

/** The card's model written out independently of the graph: impute, logit(clip(mid)), linear, sigmoid. */
function fromCard(row: ArrayLike<number>): number {
  const value = (name: FeatureName): number => {
    const v = row[FEATURE_INDEX[name]]!;
    return Number.isNaN(v) ? card.transform.medians[name]! : v;
  };
  let z = card.coefficients.intercept;
  for (const [term, w] of Object.entries(card.coefficients.weights)) {
    if (term === 'logit_mid') {
      const [lo, hi] = card.transform.mid_clip;
      const m = Math.min(hi, Math.max(lo, value('mid')));
      z += w * Math.log(m / (1 - m));
    } else z += w * value(term as FeatureName);
  }
  return 1 / (1 + Math.exp(-z));
}

/** Deterministic rows (LCG): plausible values in the used columns, noise in every other column. */
function makeRows(n: number, seed = 12345): Float32Array {
  let s = seed >>> 0;
  const rnd = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const rows = new Float32Array(n * W);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < W; j++) rows[r * W + j] = rnd() * 100 - 50;
    const at = (name: FeatureName, v: number): void => {
      rows[r * W + FEATURE_INDEX[name]] = v;
    };
    at('mid', 0.02 + 0.96 * rnd());
    at('imbalance_top1', rnd() * 2 - 1);
    at('imbalance_top5', rnd() * 2 - 1);
    at('spread', 0.01 + 0.2 * rnd());
    at('momentum_1h', (rnd() - 0.5) * 0.2);
  }
  return rows;
}

describe('loadOnnxScorer over the committed baseline artifact', () => {
  let scorer: OnnxScorer;
  beforeAll(async () => {
    scorer = await loadOnnxScorer(MODEL, FEATURE_SPEC);
  });
  afterAll(async () => {
    await scorer.release();
  });

  it('reads the version and spec the artifact records, and the graph names from the session', () => {
    expect(scorer.modelVersion).toBe(card.model_version);
    expect(scorer.spec).toBe(FEATURE_SPEC);
    expect(scorer.inputName).toBe('features');
    expect(scorer.outputName).toBe('probability');
    expect(card.feature_spec.hash).toBe(FEATURE_SPEC.hash);
    const props = readOnnxMetadataProps(readFileSync(MODEL));
    expect(props.get('feature_spec_hash')).toBe(FEATURE_SPEC.hash);
    expect(props.get('feature_spec_version')).toBe(FEATURE_SPEC.version);
    expect(props.get('model_version')).toBe(card.model_version);
  });

  it('scores a batch as the card formula does, within 1e-5', async () => {
    const n = 200;
    const rows = makeRows(n);
    const p = await scorer.score(rows, n);
    expect(p).toHaveLength(n);
    for (let r = 0; r < n; r++) {
      expect(Math.abs(p[r]! - fromCard(rows.subarray(r * W, (r + 1) * W)))).toBeLessThan(1e-5);
    }
  });

  it('ignores the columns the model does not use', async () => {
    const rows = makeRows(20);
    const other = Float32Array.from(rows);
    const used = new Set(card.features_used.map((f) => FEATURE_INDEX[f]));
    for (let i = 0; i < other.length; i++) if (!used.has(i % W)) other[i] = Number.NaN;
    expect(await scorer.score(other, 20)).toEqual(await scorer.score(rows, 20));
  });

  it('replaces NaN inputs by the train medians and clips the mid', async () => {
    const rows = makeRows(5, 99);
    const set = (r: number, name: FeatureName, v: number): void => {
      rows[r * W + FEATURE_INDEX[name]] = v;
    };
    for (const f of card.features_used) set(0, f, Number.NaN); // every used input missing
    set(1, 'mid', Number.NaN);
    set(2, 'imbalance_top1', Number.NaN);
    set(2, 'momentum_1h', Number.NaN);
    set(3, 'mid', 0); // clipped to 1e-4, not -Infinity
    set(4, 'mid', 1);
    const p = await scorer.score(rows, 5);
    for (let r = 0; r < 5; r++) {
      expect(Number.isFinite(p[r])).toBe(true);
      expect(Math.abs(p[r]! - fromCard(rows.subarray(r * W, (r + 1) * W)))).toBeLessThan(1e-5);
    }
    // All inputs at their medians: the card's own numbers, computed without the graph.
    const medians = card.transform.medians;
    const m = medians['mid']!;
    let z = card.coefficients.intercept + card.coefficients.weights['logit_mid']! * Math.log(m / (1 - m));
    for (const f of card.features_used) if (f !== 'mid') z += card.coefficients.weights[f]! * medians[f]!;
    expect(Math.abs(p[0]! - 1 / (1 + Math.exp(-z)))).toBeLessThan(1e-5);
  });

  it('gives each row the same probability alone as in a batch', async () => {
    const n = 64;
    const rows = makeRows(n, 7);
    const batch = await scorer.score(rows, n);
    for (let r = 0; r < n; r++) {
      const one = await scorer.score(rows.slice(r * W, (r + 1) * W), 1);
      // Not bit-identical: ORT's batched MatMul/Sigmoid kernels round differently (seen: 1 float32 ulp).
      expect(Math.abs(one[0]! - batch[r]!)).toBeLessThan(1e-6);
    }
    expect(await scorer.score(new Float32Array(0), 0)).toHaveLength(0);
  });

  it('rejects a buffer that is not nRows × features', async () => {
    await expect(scorer.score(new Float32Array(W + 1), 1)).rejects.toThrow(RangeError);
  });
});

describe('loadOnnxScorer refuses a model trained on another spec', () => {
  it('throws ModelSpecMismatchError when the spec hash differs', async () => {
    const names = [...FEATURE_SPEC.names, 'extra_feature'];
    const other = { version: 'f2', names, hash: featureSpecHash('f2', names) };
    const err = await loadOnnxScorer(MODEL, other).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelSpecMismatchError);
    expect(err).toMatchObject({ code: 'MODEL_SPEC_MISMATCH', retriable: false });
    expect(String(err)).toMatch(/feature spec f1 .* runs f2/);
  });

  it('throws ModelSpecMismatchError when the model input width differs from the spec', async () => {
    // Same hash, fewer names: only the input-shape check can catch it.
    const short = { ...FEATURE_SPEC, names: FEATURE_SPEC.names.slice(0, -1) };
    await expect(loadOnnxScorer(MODEL, short)).rejects.toThrow(ModelSpecMismatchError);
  });
});

/** The model without its metadata_props (top-level field 14), re-serialised by copying the other fields. */
function stripMetadataProps(model: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let pos = 0;
  const varint = (): number => {
    let v = 0;
    for (let scale = 1; ; scale *= 128) {
      const b = model[pos++]!;
      v += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return v;
    }
  };
  while (pos < model.length) {
    const start = pos;
    const tag = varint();
    if (tag % 8 === 2) {
      const len = varint();
      pos += len;
    } else if (tag % 8 === 0) varint();
    else throw new Error(`unexpected wire type in ModelProto: ${tag % 8}`);
    if (Math.floor(tag / 8) !== 14) parts.push(model.subarray(start, pos));
  }
  return Buffer.concat(parts);
}

describe('loadOnnxScorer without metadata_props in the model', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'polyflow-scorer-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('falls back to the sidecar <model>.card.json and still checks its spec', async () => {
    const bare = stripMetadataProps(readFileSync(MODEL));
    expect(readOnnxMetadataProps(bare).size).toBe(0);
    const path = join(dir, 'bare.onnx');
    await writeFile(path, bare);

    await expect(loadOnnxScorer(path, FEATURE_SPEC)).rejects.toThrow(ModelLoadError);

    await copyFile(CARD, join(dir, 'bare.card.json'));
    const scorer = await loadOnnxScorer(path, FEATURE_SPEC);
    expect(scorer.modelVersion).toBe(card.model_version);
    const rows = makeRows(3);
    const p = await scorer.score(rows, 3);
    expect(Math.abs(p[0]! - fromCard(rows.subarray(0, W)))).toBeLessThan(1e-5);
    await scorer.release();

    await writeFile(join(dir, 'bare.card.json'), JSON.stringify({ ...card, feature_spec: { ...card.feature_spec, hash: '0'.repeat(64) } }));
    await expect(loadOnnxScorer(path, FEATURE_SPEC)).rejects.toThrow(ModelSpecMismatchError);
  });

  it('refuses a file that is not a model with ModelLoadError', async () => {
    await expect(loadOnnxScorer(join(dir, 'missing.onnx'), FEATURE_SPEC)).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED' });
  });
});
