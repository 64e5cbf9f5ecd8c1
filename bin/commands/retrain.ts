import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { takerFeeRate } from '../../operators/taker-fee.js';
import { loadConfig, type Config } from '../../runtime/config.js';
import { retrain } from '../../models/retrain.js';
import { openRegistryStore, stateOverrides, type ModelRegistryStore } from '../../models/registry-store.js';

const DEFAULT_SOURCES = ['emre-agentic-research-platform', 'ochaff-fated-btc-daily-bands', 'yxf9tv-mlb-orderbooks'].map((s) => `../shared/data/polymarket/${s}`);

/**
 * `polyflow retrain [--data <source dir> ...] [--out <dir>] [--work <dir>] [--registry <file>]
 * [--every <hours>] [--quick] [--state pglite|postgres] [--state-url <url>] [--state-dir <dir>]`:
 * dataset -> train -> evaluate -> edge gate + registry row (registry.jsonl and the state store's
 * `models` table; PGlite in state.dir when state is off); with --every, again after each interval
 * until stopped.
 */
export async function retrainCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string', multiple: true },
      out: { type: 'string', default: 'models/artifacts/ensemble' },
      work: { type: 'string', default: 'out/retrain' },
      registry: { type: 'string', default: 'models/artifacts/registry.jsonl' },
      every: { type: 'string' },
      'model-version': { type: 'string' },
      quick: { type: 'boolean', default: false },
      python: { type: 'string' },
      config: { type: 'string' },
      state: { type: 'string' },
      'state-url': { type: 'string' },
      'state-dir': { type: 'string' },
    },
  });
  const config = loadConfig({ file: values.config, overrides: { state: stateOverrides(values) } });
  const store = await openRegistryStore(config.state);
  try {
    return await retrainLoop(values, config, store);
  } finally {
    await store.close();
  }
}

interface RetrainFlags {
  readonly data?: string[] | undefined;
  readonly out: string;
  readonly work: string;
  readonly registry: string;
  readonly every?: string | undefined;
  readonly 'model-version'?: string | undefined;
  readonly quick: boolean;
  readonly python?: string | undefined;
}

async function retrainLoop(values: RetrainFlags, config: Config, store: ModelRegistryStore): Promise<number> {
  const everyMs = values.every === undefined ? 0 : Number(values.every) * 3_600_000;
  for (;;) {
    const version = values['model-version'] ?? `ensemble-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, 'Z')}`;
    const r = await retrain({
      sources: (values.data ?? DEFAULT_SOURCES).map((d) => resolve(d)),
      workDir: resolve(values.work),
      outDir: resolve(values.out),
      registryFile: resolve(values.registry),
      store,
      modelVersion: version,
      quick: values.quick,
      ...(values.python === undefined ? {} : { python: values.python }),
      backtest: {
        minEdge: config.signal.minEdge,
        minConfidence: config.signal.minConfidence,
        halfSpread: 0.005,
        stakeUsd: 100,
        feeRate: (c) => takerFeeRate(config.fees, c),
      },
    });
    const lines = Object.entries(r.reports).map(
      ([k, e]) => `  ${k}: Brier model ${e.brier_model.toFixed(5)} | market ${e.brier_market.toFixed(5)} | diff CI [${e.brier_diff_ci[0].toFixed(5)}, ${e.brier_diff_ci[1].toFixed(5)}] | PnL ${e.pnl.toFixed(2)}`,
    );
    process.stdout.write(`${r.modelVersion} -> ${r.manifestFile}\n${lines.join('\n')}\n  trades only in: ${r.tradeableCategories.join(', ') || '(none: no category beat the market)'}\n`);
    if (everyMs <= 0) return 0;
    await sleep(everyMs);
  }
}
