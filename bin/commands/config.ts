import { parseArgs } from 'node:util';
import { loadConfig, redactConfig, REPLAY_DEFAULTS } from '../../runtime/config.js';

/** `polyflow config [--replay]`: the effective config; `--replay`: as a replay sees it (its embedded stores by default). */
export async function configCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' }, replay: { type: 'boolean' } } });
  const config = loadConfig({ file: values.config, ...(values.replay === true ? { defaults: REPLAY_DEFAULTS } : {}) });
  process.stdout.write(`${JSON.stringify(redactConfig(config), null, 2)}\n`);
  return 0;
}
