// Needs: ../shared/data/polymarket/yxf9tv-mlb-orderbooks (real data, read by path). No services.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildBaselineDataset,
  buildBaselineRows,
  DATASET_HEADER,
  marketFeatureSeries,
  MLB_SOURCE,
  type DatasetRow,
  type DatasetSummary,
  type MlbMarket,
} from '../../models/baseline/build-dataset.js';
import { loadOnnxScorer, type OnnxScorer } from '../../models/onnx-scorer.js';
import { FEATURE_SPEC } from '../../schemas/feature-spec.js';

const DATA_ROOT = resolve(process.cwd(), '../shared/data/polymarket');
const ARTIFACTS = resolve(process.cwd(), 'models/artifacts');
const W = FEATURE_SPEC.names.length;

interface SplitScores {
  rows: number;
  rows_with_mid: number;
  model: { brier: number; log_loss: number };
  market: { brier: number; log_loss: number };
}
interface Card {
  model_version: string;
  feature_spec: { hash: string };
  training_data: { cutoff_ms: number; splits: Record<'train' | 'validation', { rows: number; markets: number; games: number }> };
  metrics: Record<'train' | 'validation', SplitScores>;
  artifact: { file: string; validation_sample: string };
}
interface Sample {
  rows: { market: string; ts: number; horizon_min: number; features: (number | null)[]; p_sklearn: number }[];
}

const card = JSON.parse(readFileSync(join(ARTIFACTS, 'baseline-logistic.card.json'), 'utf8')) as Card;

const sameValue = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

describe(`baseline model over ${DATA_ROOT}/${MLB_SOURCE}`, () => {
  let dir: string;
  let summary: DatasetSummary;
  let markets: MlbMarket[];
  let rows: DatasetRow[];
  let scorer: OnnxScorer;

  beforeAll(async () => {
    if (!existsSync(join(DATA_ROOT, MLB_SOURCE, 'books_top5.jsonl'))) {
      throw new Error(`shared data missing: ${join(DATA_ROOT, MLB_SOURCE)} (run from the repo root beside ../shared)`);
    }
    dir = await mkdtemp(join(tmpdir(), 'polyflow-baseline-'));
    summary = await buildBaselineDataset(DATA_ROOT, join(dir, 'dataset.csv'));
    ({ markets, rows } = await buildBaselineRows(DATA_ROOT));
    scorer = await loadOnnxScorer(join(ARTIFACTS, card.artifact.file), FEATURE_SPEC);
  }, 120_000); // two replays of ~218k snapshots: past vitest's 10 s default hook timeout under load
  afterAll(async () => {
    await scorer?.release();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('rebuilds the dataset the card was trained on: same split cutoff and row counts', () => {
    expect(summary.cutoffMs).toBe(card.training_data.cutoff_ms);
    for (const s of ['train', 'validation'] as const) {
      expect(summary.splits[s].rows).toBe(card.training_data.splits[s].rows);
      expect(summary.splits[s].markets).toBe(card.training_data.splits[s].markets);
      expect(summary.splits[s].games).toBe(card.training_data.splits[s].games);
    }
    expect(rows).toHaveLength(summary.rows);
  });

  it('writes the CSV with every value intact (float64 text round trip, NaN as nan)', async () => {
    const lines = (await readFile(summary.outFile, 'utf8')).trimEnd().split('\n');
    expect(lines[0]).toBe(DATASET_HEADER.join(','));
    expect(lines).toHaveLength(rows.length + 1);
    const first = DATASET_HEADER.length - W;
    for (let i = 0; i < rows.length; i += 97) {
      const cells = lines[i + 1]!.split(',');
      expect(cells[0]).toBe(rows[i]!.market);
      expect(sameValue(cells.slice(first).map(Number), rows[i]!.values)).toBe(true);
    }
  });

  it('keeps every game on one side of the split, validation strictly later', () => {
    const sideOf = new Map<string, string>();
    for (const r of rows) {
      expect(sideOf.get(r.game) ?? r.split).toBe(r.split);
      sideOf.set(r.game, r.split);
    }
    const lastTrain = Math.max(...rows.filter((r) => r.split === 'train').map((r) => r.firstPitchTs));
    const firstVal = Math.min(...rows.filter((r) => r.split === 'validation').map((r) => r.firstPitchTs));
    expect(lastTrain).toBeLessThan(card.training_data.cutoff_ms);
    expect(firstVal).toBeGreaterThanOrEqual(lastTrain);
  });

  it('uses no data after a row ts: the vector from the snapshots up to ts alone is identical', () => {
    const byMarket = new Map(markets.map((m) => [m.meta.market as string, m]));
    for (const r of rows) {
      expect(r.ts).toBeLessThanOrEqual(r.horizonTs);
      expect(r.horizonTs).toBeLessThan(r.firstPitchTs);
      const m = byMarket.get(r.market)!;
      const truncated = marketFeatureSeries(m.meta, m.updates.filter((u) => u.ts <= r.ts));
      const last = truncated[truncated.length - 1];
      expect(last?.ts).toBe(r.ts);
      if (!sameValue(last!.values, r.values)) {
        expect.fail(`${r.market} @${r.ts}: ${JSON.stringify(last!.values)} != ${JSON.stringify(r.values)}`);
      }
      expect(r.values[FEATURE_SPEC.names.indexOf('time_to_resolution_h')]).toBeCloseTo((r.firstPitchTs - r.ts) / 3_600_000, 12);
    }
  });

  it('scores the validation sample in ONNX Runtime as sklearn did, within 1e-5', async () => {
    const sample = JSON.parse(readFileSync(join(ARTIFACTS, card.artifact.validation_sample), 'utf8')) as Sample;
    expect(sample.rows.length).toBeGreaterThan(20);
    const input = new Float32Array(sample.rows.length * W);
    sample.rows.forEach((s, i) => input.set(s.features.map((v) => v ?? Number.NaN), i * W));
    const p = await scorer.score(input, sample.rows.length);
    sample.rows.forEach((s, i) => expect(Math.abs(p[i]! - s.p_sklearn)).toBeLessThan(1e-5));

    // The sample rows are rows of the rebuilt dataset, value for value (as float32).
    const key = new Map(rows.map((r) => [`${r.market}@${r.ts}`, r]));
    for (const [i, s] of sample.rows.entries()) {
      const r = key.get(`${s.market}@${s.ts}`);
      expect(r?.split).toBe('validation');
      expect(sameValue(Array.from(Float32Array.from(r!.values)), Array.from(input.subarray(i * W, (i + 1) * W)))).toBe(true);
    }
  });

  it("reproduces the card's validation Brier and log loss for model and market", async () => {
    const val = rows.filter((r) => r.split === 'validation' && !Number.isNaN(r.pMarket));
    const input = new Float32Array(val.length * W);
    val.forEach((r, i) => input.set(r.values, i * W));
    const p = await scorer.score(input, val.length);
    let bModel = 0;
    let bMarket = 0;
    let lModel = 0;
    let lMarket = 0;
    val.forEach((r, i) => {
      const m = Math.min(1 - 1e-4, Math.max(1e-4, r.pMarket));
      const q = p[i]!;
      bModel += (q - r.label) ** 2;
      bMarket += (m - r.label) ** 2;
      lModel -= r.label === 1 ? Math.log(q) : Math.log(1 - q);
      lMarket -= r.label === 1 ? Math.log(m) : Math.log(1 - m);
    });
    const n = val.length;
    const c = card.metrics.validation;
    expect(n).toBe(c.rows_with_mid);
    expect(Math.abs(bMarket / n - c.market.brier)).toBeLessThan(1e-9);
    expect(Math.abs(lMarket / n - c.market.log_loss)).toBeLessThan(1e-9);
    expect(Math.abs(bModel / n - c.model.brier)).toBeLessThan(1e-6);
    expect(Math.abs(lModel / n - c.model.log_loss)).toBeLessThan(1e-5);
  });
});
