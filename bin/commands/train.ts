import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { trainEnsemble } from '../../models/ensemble/train.js';
import { openRegistryStore, recordModel, stateOverrides } from '../../models/registry-store.js';
import { loadConfig } from '../../runtime/config.js';

const USAGE =
  'usage: polyflow train --data <dataset.csv> [--data <dataset.csv> ...] --out <dir> [--model-version V] [--quick] [--registry <file>] [--config <file>] [--state pglite|postgres] [--state-url <url>] [--state-dir <dir>]\n';

/**
 * `polyflow train --data <dataset.csv...> --out <dir> [--model-version V] [--python P] [--quick]
 * [--registry <file>] [--state ...]`: trains, then records the card's registry row in
 * `<out>/../registry.jsonl` (or --registry) and in the state store's `models` table (the configured
 * store; PGlite in state.dir when state is off).
 */
export async function trainCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string', multiple: true },
      out: { type: 'string' },
      'model-version': { type: 'string' },
      python: { type: 'string' },
      quick: { type: 'boolean', default: false },
      registry: { type: 'string' },
      config: { type: 'string' },
      state: { type: 'string' },
      'state-url': { type: 'string' },
      'state-dir': { type: 'string' },
    },
  });
  if (values.data === undefined || values.data.length === 0 || values.out === undefined) {
    process.stderr.write(USAGE);
    return 2;
  }
  const config = loadConfig({ file: values.config, overrides: { state: stateOverrides(values) } });
  const outDir = resolve(values.out);
  const result = await trainEnsemble({
    datasets: values.data.map((d) => resolve(d)),
    outDir,
    quick: values.quick,
    ...(values['model-version'] === undefined ? {} : { modelVersion: values['model-version'] }),
    ...(values.python === undefined ? {} : { python: values.python }),
  });
  process.stderr.write(result.log);
  const registryFile = resolve(values.registry ?? join(outDir, '..', 'registry.jsonl'));
  const store = await openRegistryStore(config.state);
  try {
    await recordModel({ manifestFile: result.manifestFile, cardFile: result.cardFile, registryFile, store });
  } finally {
    await store.close();
  }
  process.stdout.write(`ensemble ${result.modelVersion} -> ${result.manifestFile}\ncard: ${result.cardFile}\nregistry: ${registryFile} + ${store.kind} models table\n`);
  return 0;
}
