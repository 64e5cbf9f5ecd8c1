import { parseArgs } from 'node:util';
import { loadConfig } from '../../runtime/config.js';
import { ConfigError, InputError } from '../../runtime/errors.js';
import { checkSettingKey, configWithSetting } from '../../runtime/settings.js';
import { openStateStore, stateStoreOptions } from '../../sinks/postgres/open-state-store.js';

const USAGE = 'settings list | get <key> | set <key> <json> | unset <key>  [--config <file>] [--state pglite|postgres] [--state-url <url>] [--state-dir <dir>]';

/**
 * `polyflow settings`: config values kept in the state store and applied over file and env config
 * by the next run. `set` validates the value against the config schema before storing it.
 * Where: `state.kind`/`--state` (postgres at `state.url`, else PGlite in `state.dir`/`--state-dir`;
 * a replay's embedded store is `<out>/pglite`).
 */
export async function settingsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { config: { type: 'string' }, state: { type: 'string' }, 'state-url': { type: 'string' }, 'state-dir': { type: 'string' } },
  });
  const [action, key, raw] = positionals;
  const state: Record<string, unknown> = {};
  if (values.state !== undefined) state['kind'] = values.state;
  if (values['state-url'] !== undefined) state['url'] = values['state-url'];
  if (values['state-dir'] !== undefined) state['dir'] = values['state-dir'];
  const base = loadConfig({ file: values.config, overrides: { state } });
  // Settings need a store: with state off, the embedded one in state.dir.
  const store = await openStateStore(stateStoreOptions(base.state.kind === 'off' ? { ...base.state, kind: 'pglite' } : base.state));
  const print = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);
  try {
    switch (action) {
      case 'list':
        for (const row of await store.listSettings()) process.stdout.write(`${row.key}\t${JSON.stringify(row.value)}\t${row.updatedAt}\n`);
        return 0;
      case 'get': {
        if (key === undefined) throw new InputError(`usage: polyflow ${USAGE}`);
        checkSettingKey(key);
        const value = await store.getSetting(key);
        if (value === undefined) {
          // Not set: what the config gives, so `get` always answers with the effective value.
          let node: unknown = loadConfig({ file: values.config });
          for (const part of key.split('.')) node = (node as Record<string, unknown>)[part];
          print(node);
          return 0;
        }
        print(value);
        return 0;
      }
      case 'set': {
        if (key === undefined || raw === undefined) throw new InputError(`usage: polyflow ${USAGE}`);
        let value: unknown;
        try {
          value = JSON.parse(raw);
        } catch {
          throw new ConfigError(`${key}: value is not JSON: ${raw} (strings need quotes: '"text"')`);
        }
        configWithSetting({ file: values.config }, await store.listSettings(), key, value);
        await store.setSetting(key, value);
        print(value);
        return 0;
      }
      case 'unset': {
        if (key === undefined) throw new InputError(`usage: polyflow ${USAGE}`);
        checkSettingKey(key);
        return (await store.deleteSetting(key)) ? 0 : 1;
      }
      default:
        throw new InputError(`usage: polyflow ${USAGE}`);
    }
  } finally {
    await store.close();
  }
}
