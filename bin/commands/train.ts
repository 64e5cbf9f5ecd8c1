import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { trainEnsemble } from '../../models/ensemble/train.js';

/** `polyflow train --data <dataset.csv...> --out <dir> [--model-version V] [--python P] [--quick]`. */
export async function trainCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string', multiple: true },
      out: { type: 'string' },
      'model-version': { type: 'string' },
      python: { type: 'string' },
      quick: { type: 'boolean', default: false },
    },
  });
  if (values.data === undefined || values.data.length === 0 || values.out === undefined) {
    process.stderr.write('usage: polyflow train --data <dataset.csv> [--data <dataset.csv> ...] --out <dir> [--model-version V] [--quick]\n');
    return 2;
  }
  const result = await trainEnsemble({
    datasets: values.data.map((d) => resolve(d)),
    outDir: resolve(values.out),
    quick: values.quick,
    ...(values['model-version'] === undefined ? {} : { modelVersion: values['model-version'] }),
    ...(values.python === undefined ? {} : { python: values.python }),
  });
  process.stderr.write(result.log);
  process.stdout.write(`ensemble ${result.modelVersion} -> ${result.manifestFile}\ncard: ${result.cardFile}\n`);
  return 0;
}
