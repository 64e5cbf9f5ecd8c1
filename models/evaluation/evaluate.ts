// `polyflow evaluate`: a model and the market price as forecasters on the same rows, then the
// trading rules backtested on them. Writes predictions.csv, report.json and two SVG plots.
import { stat, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FEATURE_SPEC } from '../../schemas/feature-spec.js';
import { buildDataset } from '../dataset/build-dataset.js';
import { readDataset, type DatasetRow } from '../dataset/dataset-file.js';
import { loadScorer } from '../load-scorer.js';
import { backtest, type BacktestOptions, type BacktestResult } from './backtest.js';
import { brier, calibrationTable, ece, logLoss, pairedBootstrapBrierDiff, type CalibrationBin } from './forecast-metrics.js';
import { calibrationSvg, equitySvg } from './svg-plots.js';

export interface PredictionRow {
  readonly source: string;
  readonly market: string;
  readonly event: string;
  readonly category: string;
  readonly horizonMin: number;
  readonly ts: number;
  readonly resolutionTs: number;
  readonly label: 0 | 1;
  readonly pMarket: number;
  readonly pModel: number;
  readonly confidence: number;
  readonly bestBid: number;
  readonly bestAsk: number;
}

export interface EvaluateOptions {
  /** A source folder (a dataset is built from it) or a dataset CSV written by `polyflow dataset`. */
  readonly data: string;
  /** Ensemble manifest (.json) or single ONNX model. */
  readonly model: string;
  readonly out: string;
  readonly split: 'holdout' | 'all';
  readonly seed: number;
  readonly bootstrap: number;
  readonly backtest: BacktestOptions;
}

export interface GroupScores {
  readonly rows: number;
  readonly markets: number;
  readonly brier_model: number;
  readonly brier_market: number;
  readonly logloss_model: number;
  readonly logloss_market: number;
}

export interface EvaluationReport {
  readonly model_version: string;
  readonly split: string;
  readonly sources: readonly string[];
  readonly n_markets: number;
  readonly n_events: number;
  readonly n_rows: number;
  readonly brier_model: number;
  readonly brier_market: number;
  readonly brier_diff: number;
  readonly brier_diff_ci: readonly [number, number];
  readonly bootstrap: { readonly iterations: number; readonly seed: number; readonly resampled: 'events'; readonly groups: number };
  readonly logloss_model: number;
  readonly logloss_market: number;
  readonly ece_model: number;
  readonly ece_market: number;
  readonly calibration: { readonly model: readonly CalibrationBin[]; readonly market: readonly CalibrationBin[] };
  readonly by_horizon: Readonly<Record<string, GroupScores>>;
  readonly by_category: Readonly<Record<string, GroupScores>>;
  readonly by_source: Readonly<Record<string, GroupScores>>;
  /** Per category: paired bootstrap of brier_model - brier_market over its events. */
  readonly edge_by_category: Readonly<Record<string, { readonly events: number; readonly diff: number; readonly ci: readonly [number, number] }>>;
  /** Categories where the model beat the market (CI entirely below 0, >= MIN_EDGE_EVENTS events): the only ones to trade. */
  readonly tradeable_categories: readonly string[];
  readonly pnl: number;
  readonly sharpe: number;
  readonly backtest: Omit<BacktestResult, 'trades' | 'equity'> & {
    readonly trades: number;
    readonly min_edge: number;
    readonly half_spread_synthetic: number;
    readonly stake_usd: number;
    readonly categories: readonly string[] | 'all';
    readonly by_category: Readonly<Record<string, { trades: number; pnl: number }>>;
  };
  readonly files: Readonly<Record<string, string>>;
}

/** Fewest events in a category before its Brier difference can open it for trading. */
export const MIN_EDGE_EVENTS = 20;

function scoresOf(rows: readonly PredictionRow[]): GroupScores {
  const y = rows.map((r) => r.label);
  return {
    rows: rows.length,
    markets: new Set(rows.map((r) => r.market)).size,
    brier_model: brier(rows.map((r) => r.pModel), y),
    brier_market: brier(rows.map((r) => r.pMarket), y),
    logloss_model: logLoss(rows.map((r) => r.pModel), y),
    logloss_market: logLoss(rows.map((r) => r.pMarket), y),
  };
}

function groupBy(rows: readonly PredictionRow[], key: (r: PredictionRow) => string): Record<string, GroupScores> {
  const m = new Map<string, PredictionRow[]>();
  for (const r of rows) m.set(key(r), [...(m.get(key(r)) ?? []), r]);
  return Object.fromEntries([...m.entries()].sort().map(([k, v]) => [k, scoresOf(v)]));
}

/** Every figure of the report from the prediction rows alone (what predictions.csv holds). */
export function reportFromPredictions(
  preds: readonly PredictionRow[],
  meta: { modelVersion: string; split: string },
  opts: Pick<EvaluateOptions, 'seed' | 'bootstrap' | 'backtest'>,
  files: Record<string, string> = {},
): { report: EvaluationReport; bt: BacktestResult } {
  const all = scoresOf(preds);
  const y = preds.map((r) => r.label);
  const calModel = calibrationTable(preds.map((r) => r.pModel), y);
  const calMarket = calibrationTable(preds.map((r) => r.pMarket), y);
  const ci = pairedBootstrapBrierDiff(
    preds.map((r) => ({ group: `${r.source}/${r.event}`, pModel: r.pModel, pMarket: r.pMarket, y: r.label })),
    { iterations: opts.bootstrap, seed: opts.seed },
  );
  const edge: Record<string, { events: number; diff: number; ci: [number, number] }> = {};
  for (const cat of [...new Set(preds.map((r) => r.category))].sort()) {
    const c = pairedBootstrapBrierDiff(
      preds.filter((r) => r.category === cat).map((r) => ({ group: `${r.source}/${r.event}`, pModel: r.pModel, pMarket: r.pMarket, y: r.label })),
      { iterations: opts.bootstrap, seed: opts.seed },
    );
    edge[cat] = { events: c.groups, diff: c.diff, ci: [c.low, c.high] };
  }
  const tradeable = Object.entries(edge).filter(([, e]) => e.events >= MIN_EDGE_EVENTS && e.ci[1] < 0).map(([k]) => k);
  const bt = backtest(preds, opts.backtest);
  const btByCat: Record<string, { trades: number; pnl: number }> = {};
  for (const t of bt.trades) {
    const c = (btByCat[t.category] ??= { trades: 0, pnl: 0 });
    c.trades++;
    c.pnl += t.pnl;
  }
  const report: EvaluationReport = {
    model_version: meta.modelVersion,
    split: meta.split,
    sources: [...new Set(preds.map((r) => r.source))].sort(),
    n_markets: all.markets,
    n_events: new Set(preds.map((r) => `${r.source}/${r.event}`)).size,
    n_rows: all.rows,
    brier_model: all.brier_model,
    brier_market: all.brier_market,
    brier_diff: ci.diff,
    brier_diff_ci: [ci.low, ci.high],
    bootstrap: { iterations: ci.iterations, seed: opts.seed, resampled: 'events', groups: ci.groups },
    logloss_model: all.logloss_model,
    logloss_market: all.logloss_market,
    ece_model: ece(calModel),
    ece_market: ece(calMarket),
    calibration: { model: calModel, market: calMarket },
    by_horizon: groupBy(preds, (r) => String(r.horizonMin)),
    by_category: groupBy(preds, (r) => r.category),
    by_source: groupBy(preds, (r) => r.source),
    edge_by_category: edge,
    tradeable_categories: tradeable,
    pnl: bt.pnl,
    sharpe: bt.sharpe,
    backtest: {
      trades: bt.trades.length,
      pnl: bt.pnl,
      staked: bt.staked,
      hitRate: bt.hitRate,
      sharpe: bt.sharpe,
      maxDrawdown: bt.maxDrawdown,
      min_edge: opts.backtest.minEdge,
      half_spread_synthetic: opts.backtest.halfSpread,
      stake_usd: opts.backtest.stakeUsd,
      categories: opts.backtest.categories === undefined ? 'all' : [...opts.backtest.categories].sort(),
      by_category: btByCat,
    },
    files,
  };
  return { report, bt };
}

const PRED_HEADER = 'source,market,event,category,horizon_min,ts,resolution_ts,label,p_market,p_model,confidence,best_bid,best_ask';
const num = (v: number): string => (Number.isNaN(v) ? 'nan' : String(v));

export function predictionsToCsv(preds: readonly PredictionRow[]): string {
  const lines = preds.map((r) =>
    [r.source, r.market, r.event, r.category, r.horizonMin, r.ts, r.resolutionTs, r.label, num(r.pMarket), num(r.pModel), num(r.confidence), num(r.bestBid), num(r.bestAsk)].join(','),
  );
  return [PRED_HEADER, ...lines].join('\n') + '\n';
}

export function predictionsFromCsv(text: string): PredictionRow[] {
  const p = (s: string): number => (s === 'nan' ? NaN : Number(s));
  return text
    .split('\n')
    .slice(1)
    .filter((l) => l !== '')
    .map((l) => {
      const c = l.split(',');
      const at = (i: number): string => c[i] ?? '';
      return {
        source: at(0), market: at(1), event: at(2), category: at(3), horizonMin: Number(at(4)), ts: Number(at(5)),
        resolutionTs: Number(at(6)), label: at(7) === '1' ? 1 : 0, pMarket: p(at(8)), pModel: p(at(9)), confidence: p(at(10)),
        bestBid: p(at(11)), bestAsk: p(at(12)),
      };
    });
}

async function datasetRows(data: string, out: string): Promise<DatasetRow[]> {
  if ((await stat(data)).isDirectory()) return (await buildDataset(data, join(out, 'dataset.csv'))).rows;
  return (await readDataset(data)).rows;
}

const BATCH = 2048;

export async function evaluate(opts: EvaluateOptions): Promise<{ report: EvaluationReport; predictions: PredictionRow[] }> {
  await mkdir(opts.out, { recursive: true });
  const rows = (await datasetRows(opts.data, opts.out)).filter((r) => opts.split === 'all' || r.split === 'holdout');
  const scorer = await loadScorer(opts.model, FEATURE_SPEC);
  const W = FEATURE_SPEC.names.length;
  const preds: PredictionRow[] = [];
  try {
    for (let i = 0; i < rows.length; i += BATCH) {
      const batch = rows.slice(i, i + BATCH);
      const x = new Float32Array(batch.length * W);
      batch.forEach((r, k) => x.set(r.values, k * W));
      let p: Float32Array;
      let conf: Float32Array;
      if ('scoreDetailed' in scorer) {
        const s = await scorer.scoreDetailed(x, batch.length, batch.map((r) => r.textBuckets));
        p = s.probability;
        conf = s.confidence;
      } else {
        p = await scorer.score(x, batch.length);
        conf = new Float32Array(batch.length).fill(1);
      }
      batch.forEach((r, k) =>
        preds.push({
          source: r.source, market: r.market, event: r.event, category: r.category, horizonMin: r.horizonMin, ts: r.ts,
          resolutionTs: r.resolutionTs, label: r.label, pMarket: r.pMarket, pModel: p[k]!, confidence: conf[k]!,
          bestBid: r.bestBid, bestAsk: r.bestAsk,
        }),
      );
    }
  } finally {
    await scorer.release();
  }
  const files = { predictions: 'predictions.csv', report: 'report.json', calibration_svg: 'calibration.svg', equity_svg: 'equity.svg' };
  const { report, bt } = reportFromPredictions(preds, { modelVersion: scorer.modelVersion, split: opts.split }, opts, files);
  await writeFile(join(opts.out, files.predictions), predictionsToCsv(preds));
  await writeFile(join(opts.out, files.report), JSON.stringify(report, null, 2) + '\n');
  await writeFile(
    join(opts.out, files.calibration_svg),
    calibrationSvg(`Calibration (${report.n_rows} rows, ${opts.split})`, [
      { name: `model ${scorer.modelVersion} (ECE ${report.ece_model.toFixed(3)})`, color: '#d62728', bins: report.calibration.model },
      { name: `market price (ECE ${report.ece_market.toFixed(3)})`, color: '#1f77b4', bins: report.calibration.market },
    ]),
  );
  await writeFile(join(opts.out, files.equity_svg), equitySvg(`Backtest equity (${bt.trades.length} trades, after fees)`, bt.equity));
  return { report, predictions: preds };
}
