import { ConfigError } from './errors.js';
import { ConfigSchema, loadConfig, type Config } from './config.js';

/**
 * Settings: config values changed at run time (`polyflow settings set risk.kellyFraction 0.1`),
 * kept in the state store and applied over the file and env config of the next run. A key is a
 * config path; `state.*` cannot be a setting (the store's own location lives outside the store).
 */
export function checkSettingKey(key: string): string[] {
  const path = key.split('.');
  if (path[0] === 'state') throw new ConfigError(`${key}: the state section cannot be a setting (it says where settings live)`);
  let node: unknown = ConfigSchema.parse({});
  for (const part of path) {
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !Object.hasOwn(node, part)) {
      throw new ConfigError(`${key}: not a config key (see \`polyflow config\`)`);
    }
    node = (node as Record<string, unknown>)[part];
  }
  return path;
}

/** Nested overrides from settings rows: `{ risk: { kellyFraction: 0.1 } }`. */
export function settingsOverrides(settings: ReadonlyArray<{ readonly key: string; readonly value: unknown }>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of settings) {
    const path = key.split('.');
    let node = out;
    for (const part of path.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[path[path.length - 1] ?? key] = value;
  }
  return out;
}

/**
 * The config a run gets with `settings` plus `key` = `value` applied: throws ConfigError naming the
 * problem when the value does not fit the schema (so an invalid setting is never stored).
 */
export function configWithSetting(
  opts: { file?: string | undefined; env?: NodeJS.ProcessEnv },
  settings: ReadonlyArray<{ readonly key: string; readonly value: unknown }>,
  key: string,
  value: unknown,
): Config {
  checkSettingKey(key);
  const others = settings.filter((s) => s.key !== key);
  return loadConfig({ ...opts, overrides: settingsOverrides([...others, { key, value }]) });
}
