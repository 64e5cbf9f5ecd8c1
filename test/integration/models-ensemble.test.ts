// Needs: ../shared/data/polymarket (emre + yxf9tv sources, by path) and /usr/bin/python3 with
// python3-xgboost, python3-sklearn, python3-onnx, python3-scipy (Debian packages). No services.
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDataset } from '../../models/dataset/build-dataset.js';
import type { DatasetRow } from '../../models/dataset/dataset-file.js';
import { trainEnsemble } from '../../models/ensemble/train.js';
import { loadEnsembleScorer } from '../../models/ensemble-scorer.js';
import { ModelLoadError, ModelSpecMismatchError } from '../../models/errors.js';
import { evaluate, predictionsFromCsv, type EvaluationReport } from '../../models/evaluation/evaluate.js';
import { FEATURE_SPEC } from '../../schemas/feature-spec.js';
import { assetId, eventId, marketId } from '../../schemas/ids.js';
import type { FeatureVector } from '../../schemas/feature-vector.js';
import type { PriceMicros, SizeMicros } from '../../schemas/units.js';

const ROOT = resolve(process.cwd(), '../shared/data/polymarket');
const W = FEATURE_SPEC.names.length;
const TOL = 1e-5;

interface NativeSample {
  rows: { features: (number | null)[]; text_buckets: number[]; members: Record<string, number>; ensemble: number }[];
}

async function expectNativeEquality(manifest: string): Promise<void> {
  const dir = resolve(manifest, '..');
  const sample = JSON.parse(readFileSync(join(dir, 'native-sample.json'), 'utf8')) as NativeSample;
  const scorer = await loadEnsembleScorer(manifest, FEATURE_SPEC);
  try {
    const n = sample.rows.length;
    expect(n).toBeGreaterThan(10);
    const x = new Float32Array(n * W);
    sample.rows.forEach((r, i) => r.features.forEach((v, j) => (x[i * W + j] = v === null ? NaN : v)));
    const out = await scorer.scoreDetailed(x, n, sample.rows.map((r) => r.text_buckets));
    for (const name of ['xgboost', 'histgb', 'mlp', 'text']) {
      const got = out.members.get(name)!;
      sample.rows.forEach((r, i) => expect(Math.abs(got[i]! - r.members[name]!)).toBeLessThan(TOL));
    }
    sample.rows.forEach((r, i) => expect(Math.abs(out.probability[i]! - r.ensemble)).toBeLessThan(TOL));
  } finally {
    await scorer.release();
  }
}

const brier = (p: readonly number[], y: readonly number[]): number => p.reduce((s, v, i) => s + (v - y[i]!) ** 2, 0) / p.length;

describe('ensemble: train -> export -> load -> score -> evaluate on a fixed slice', () => {
  let dir: string;
  let manifest: string;
  let rows: DatasetRow[];
  let report: EvaluationReport;

  beforeAll(async () => {
    for (const s of ['emre-agentic-research-platform', 'yxf9tv-mlb-orderbooks']) {
      if (!existsSync(join(ROOT, s))) throw new Error(`shared data missing: ${join(ROOT, s)}`);
    }
    dir = await mkdtemp(join(tmpdir(), 'polyflow-ensemble-'));
    const a = await buildDataset(join(ROOT, 'emre-agentic-research-platform'), join(dir, 'emre.csv'), { maxMarkets: 200 });
    const b = await buildDataset(join(ROOT, 'yxf9tv-mlb-orderbooks'), join(dir, 'mlb.csv'), { maxMarkets: 400 });
    rows = [...a.rows, ...b.rows];
    const t = await trainEnsemble({ datasets: [join(dir, 'emre.csv'), join(dir, 'mlb.csv')], outDir: join(dir, 'model'), modelVersion: 'slice-test', quick: true });
    manifest = t.manifestFile;
    report = (
      await evaluate({
        data: join(dir, 'mlb.csv'), model: manifest, out: join(dir, 'eval'), split: 'holdout', seed: 3, bootstrap: 300,
        backtest: { minEdge: 0.02, minConfidence: 0, halfSpread: 0.005, stakeUsd: 100, feeRate: () => 0.03 },
      })
    ).report;
  }, 240_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('every ONNX member and the stack equal the native models within 1e-5 on held-out rows', async () => {
    await expectNativeEquality(manifest);
  });

  it('holdout scores recomputed here match the card and sit in a sane range', async () => {
    const card = JSON.parse(await readFile(join(dir, 'model', 'card.json'), 'utf8')) as {
      metrics: { holdout: { rows: number; ensemble: { brier: number }; market: { brier: number } } };
    };
    const hold = rows.filter((r) => r.split === 'holdout');
    const scorer = await loadEnsembleScorer(manifest, FEATURE_SPEC);
    const x = new Float32Array(hold.length * W);
    hold.forEach((r, i) => x.set(r.values, i * W));
    const out = await scorer.scoreDetailed(x, hold.length, hold.map((r) => r.textBuckets));
    await scorer.release();
    const y = hold.map((r) => r.label);
    const bModel = brier(Array.from(out.probability), y);
    const bMarket = brier(hold.map((r) => r.pMarket), y);
    const base = y.reduce((s: number, v) => s + v, 0) / y.length;
    const bBase = brier(hold.map(() => base), y); // in-sample base rate: a generous yardstick
    expect(card.metrics.holdout.rows).toBe(hold.length);
    expect(Math.abs(bModel - card.metrics.holdout.ensemble.brier)).toBeLessThan(1e-5);
    expect(Math.abs(bMarket - card.metrics.holdout.market.brier)).toBeLessThan(1e-9);
    // The stack leans on the market price: within 0.02 of it and better than the base rate.
    expect(Math.abs(bModel - bMarket)).toBeLessThan(0.02);
    expect(bModel).toBeLessThan(bBase);
    for (const c of out.confidence) expect(c >= 0 && c <= 1).toBe(true);
  });

  it('evaluation figures recomputed from the written predictions', async () => {
    const preds = predictionsFromCsv(await readFile(join(dir, 'eval', 'predictions.csv'), 'utf8'));
    const y = preds.map((p) => p.label);
    expect(report.n_rows).toBe(preds.length);
    expect(report.n_markets).toBe(new Set(preds.map((p) => p.market)).size);
    expect(report.brier_model).toBeCloseTo(brier(preds.map((p) => p.pModel), y), 12);
    expect(report.brier_market).toBeCloseTo(brier(preds.map((p) => p.pMarket), y), 12);
    const ll = -preds.reduce((s, p) => s + Math.log(p.label === 1 ? p.pModel : 1 - p.pModel), 0) / preds.length;
    expect(report.logloss_model).toBeCloseTo(ll, 9);
    // ECE with ten equal bins, written out again here.
    const bins = Array.from({ length: 10 }, () => ({ n: 0, p: 0, y: 0 }));
    for (const p of preds) {
      const b = bins[Math.min(9, Math.floor(p.pModel * 10))]!;
      b.n++;
      b.p += p.pModel;
      b.y += p.label;
    }
    const ece = bins.reduce((s, b) => (b.n ? s + Math.abs(b.p / b.n - b.y / b.n) * b.n : s), 0) / preds.length;
    expect(report.ece_model).toBeCloseTo(ece, 12);
    expect(report.brier_diff).toBeCloseTo(report.brier_model - report.brier_market, 12);
    expect(report.brier_diff_ci[0]).toBeLessThanOrEqual(report.brier_diff);
    expect(report.brier_diff_ci[1]).toBeGreaterThanOrEqual(report.brier_diff);
    expect(existsSync(join(dir, 'eval', 'calibration.svg'))).toBe(true);
    expect(readFileSync(join(dir, 'eval', 'equity.svg'), 'utf8')).toMatch(/^<svg /);
  });

  it('refuses another feature spec and a tampered artifact; defers to the market outside the edge gate', async () => {
    const copy = join(dir, 'copy');
    await cp(join(dir, 'model'), copy, { recursive: true });
    const m = JSON.parse(await readFile(join(copy, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(copy, 'manifest.json'), JSON.stringify({ ...m, feature_spec: { version: 'f0', hash: 'x' } }));
    await expect(loadEnsembleScorer(join(copy, 'manifest.json'), FEATURE_SPEC)).rejects.toBeInstanceOf(ModelSpecMismatchError);
    await writeFile(join(copy, 'manifest.json'), JSON.stringify(m));
    await writeFile(join(copy, 'stack.onnx'), 'not a model');
    await expect(loadEnsembleScorer(join(copy, 'manifest.json'), FEATURE_SPEC)).rejects.toBeInstanceOf(ModelLoadError);

    const scorer = await loadEnsembleScorer(manifest, FEATURE_SPEC);
    const r = rows.find((x) => x.split === 'holdout')!;
    const v: FeatureVector = {
      id: 'v', assetId: assetId(r.asset), market: marketId(r.market), ts: r.ts, recvTs: r.ts, specVersion: 'f1', values: r.values,
      bestBid: -1 as PriceMicros, bestAsk: -1 as PriceMicros, bidDepth: 0 as SizeMicros, askDepth: 0 as SizeMicros,
    };
    scorer.observeMeta({
      market: marketId(r.market), eventId: eventId(r.event), question: 'q', slug: '', category: r.category, outcomes: [], assetIds: [],
      tickSize: 100 as PriceMicros, negRisk: false, startTs: 0, endTs: 0, ts: 0,
    });
    const s = await scorer.scoreVectors([v]);
    await scorer.release();
    // No evaluation opened any category in this manifest: the market's own mid comes back.
    expect(s.probability[0]).toBeCloseTo(r.values[0]!, 6);
  });
});

describe('shipped ensemble (models/artifacts/ensemble)', () => {
  const shipped = resolve(process.cwd(), 'models/artifacts/ensemble/manifest.json');
  it.runIf(existsSync(shipped))('equals its native predictions within 1e-5', async () => {
    await expectNativeEquality(shipped);
  });
});
