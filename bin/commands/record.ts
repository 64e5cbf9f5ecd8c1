import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../runtime/config.js';
import { InputError } from '../../runtime/errors.js';
import { durationOption, runLiveSession } from './live.js';

/**
 * `polyflow record --out <dir> [--duration <s>]`: records the live market channel (every frame with
 * its receive time), Gamma market records and resolutions as a recording `polyflow replay` reads.
 */
export async function recordCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' }, config: { type: 'string' }, duration: { type: 'string' } } });
  if (values.out === undefined) throw new InputError('record: --out <dir> is required');
  const config = loadConfig({ file: values.config });
  const durationMs = durationOption(values.duration, 'record');
  return runLiveSession({
    config,
    label: 'record',
    graph: false,
    topics: [],
    recordDir: resolve(values.out),
    ...(durationMs === undefined ? {} : { durationMs }),
  });
}
