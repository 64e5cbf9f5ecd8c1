import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fitBaseline } from '../../models/baseline/fit-baseline.js';

/** `polyflow fit-baseline`: rebuilds the point-in-time dataset and refits the shipped baseline model. */
export async function fitBaselineCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string', default: '../shared/data/polymarket' },
      work: { type: 'string', default: 'out/fit-baseline' },
      out: { type: 'string' },
      python: { type: 'string' },
    },
  });
  const result = await fitBaseline({
    dataRoot: resolve(values.data),
    workDir: resolve(values.work),
    ...(values.out === undefined ? {} : { outDir: resolve(values.out) }),
    ...(values.python === undefined ? {} : { python: values.python }),
  });
  const v = result.metrics.validation;
  process.stdout.write(
    [
      `model ${result.modelVersion} -> ${result.modelFile} (sha256 ${result.sha256.slice(0, 16)}…)`,
      `rows: ${result.metrics.train.rows} train / ${v.rows} validation (time split by game)`,
      `validation Brier  model ${v.model.brier.toFixed(5)} | market ${v.market.brier.toFixed(5)}`,
      `validation log loss  model ${v.model.log_loss.toFixed(5)} | market ${v.market.log_loss.toFixed(5)}`,
      '',
    ].join('\n'),
  );
  return 0;
}
