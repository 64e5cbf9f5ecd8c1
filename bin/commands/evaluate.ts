import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../runtime/config.js';
import { fromPackageRoot } from '../../runtime/package-root.js';
import { takerFeeRate } from '../../operators/taker-fee.js';
import { evaluate } from '../../models/evaluation/evaluate.js';

/**
 * `polyflow evaluate --data <source dir | dataset.csv> [--model <manifest.json|model.onnx>] [--out <dir>]
 * [--split holdout|all] [--categories a,b] [--half-spread 0.005] [--stake 100] [--seed 1] [--json]`.
 */
export async function evaluateCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      model: { type: 'string' },
      out: { type: 'string' },
      split: { type: 'string', default: 'holdout' },
      categories: { type: 'string' },
      'half-spread': { type: 'string', default: '0.005' },
      stake: { type: 'string', default: '100' },
      seed: { type: 'string', default: '1' },
      bootstrap: { type: 'string', default: '2000' },
      config: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (values.data === undefined || (values.split !== 'holdout' && values.split !== 'all')) {
    process.stderr.write('usage: polyflow evaluate --data <source dir | dataset.csv> [--model <manifest.json|model.onnx>] [--split holdout|all] [--json]\n');
    return 2;
  }
  const config = loadConfig({ file: values.config });
  const model = values.model === undefined ? fromPackageRoot(config.scoring.modelPath) : resolve(values.model);
  const out = resolve(values.out ?? `out/evaluate/${basename(values.data).replace(/\.csv$/, '')}`);
  const { report } = await evaluate({
    data: resolve(values.data),
    model,
    out,
    split: values.split,
    seed: Number(values.seed),
    bootstrap: Number(values.bootstrap),
    backtest: {
      minEdge: config.signal.minEdge,
      minConfidence: config.signal.minConfidence,
      halfSpread: Number(values['half-spread']),
      stakeUsd: Number(values.stake),
      feeRate: (category) => takerFeeRate(config.fees, category),
      ...(values.categories === undefined ? {} : { categories: new Set(values.categories.split(',')) }),
    },
  });
  if (values.json) {
    const { calibration: _c, ...brief } = report;
    process.stdout.write(`${JSON.stringify({ ...brief, out })}\n`);
    return 0;
  }
  const f = (v: number): string => v.toFixed(5);
  process.stdout.write(
    [
      `model ${report.model_version} on ${report.split}: ${report.n_rows} rows, ${report.n_markets} markets, ${report.n_events} events`,
      `Brier     model ${f(report.brier_model)} | market ${f(report.brier_market)} | diff ${f(report.brier_diff)} 95% CI [${f(report.brier_diff_ci[0])}, ${f(report.brier_diff_ci[1])}]`,
      `log loss  model ${f(report.logloss_model)} | market ${f(report.logloss_market)}`,
      `ECE       model ${f(report.ece_model)} | market ${f(report.ece_market)}`,
      `backtest  ${report.backtest.trades} trades, PnL ${report.pnl.toFixed(2)} USD on ${report.backtest.staked.toFixed(0)} staked, hit ${(report.backtest.hitRate * 100).toFixed(1)}%, Sharpe ${report.sharpe.toFixed(2)}, max DD ${report.backtest.maxDrawdown.toFixed(2)}`,
      `-> ${out} (report.json, predictions.csv, calibration.svg, equity.svg)`,
      '',
    ].join('\n'),
  );
  return 0;
}
