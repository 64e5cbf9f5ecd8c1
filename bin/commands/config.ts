import { parseArgs } from 'node:util';
import { loadConfig, redactConfig } from '../../runtime/config.js';

export async function configCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' } } });
  const config = loadConfig({ file: values.config });
  process.stdout.write(`${JSON.stringify(redactConfig(config), null, 2)}\n`);
  return 0;
}
