import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildDataset } from '../../models/dataset/build-dataset.js';

/** `polyflow dataset --data <source dir> --out <file.csv> [--max-markets N]`: point-in-time rows from a resolved-market source. */
export async function datasetCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { data: { type: 'string' }, out: { type: 'string' }, 'max-markets': { type: 'string' } },
  });
  if (values.data === undefined || values.out === undefined) {
    process.stderr.write('usage: polyflow dataset --data <source dir> --out <file.csv> [--max-markets N]\n');
    return 2;
  }
  const max = values['max-markets'];
  const { meta } = await buildDataset(resolve(values.data), resolve(values.out), max === undefined ? {} : { maxMarkets: Number(max) });
  process.stdout.write(
    [
      `${meta.source} (${meta.layout}${meta.synthetic_depth ? ', synthetic depth' : ''}): ${meta.markets_with_rows}/${meta.markets_read} markets with rows`,
      `rows: ${meta.rows.train} train / ${meta.rows.holdout} holdout; events ${meta.events.train} / ${meta.events.holdout}; holdout from ${meta.holdout_cutoff_iso}`,
      `-> ${resolve(values.out)} (+ .meta.json)`,
      '',
    ].join('\n'),
  );
  return 0;
}
