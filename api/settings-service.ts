import { redactConfig, type Config } from '../runtime/config.js';
import { ConfigError } from '../runtime/errors.js';
import type { LiveSettings } from '../runtime/live-settings.js';
import { checkSettingKey, settingsOverrides } from '../runtime/settings.js';
import type { SettingRow, StateStore } from '../runtime/state-store.js';

/** Config sections the running operators read live (trade and watch); others apply at the next start. */
export const LIVE_SECTIONS = ['signal', 'risk', 'fees', 'watch'] as const;
/** Sections that cannot be settings over the API: where settings live, and the API's own security. */
const FORBIDDEN_SECTIONS = new Set(['state', 'api']);
const SECRET_KEY = /token|secret|password|apikey|api_key|webhook/i;

export interface SettingChange {
  readonly key: string;
  readonly value: unknown;
  /** `live`: the running operators use it from their next input; `restart`: the next run does. */
  readonly applied: 'live' | 'restart';
  readonly version: number;
}

/**
 * Settings over HTTP: validated against the config schema (runtime/settings.ts), stored in the
 * state store (Postgres or PGlite) and applied to the running process's LiveSettings, so the
 * trade and watch operators pick them up without a restart. `load` rebuilds the config from its
 * base (defaults, file, env) plus the given setting overrides, validating it.
 */
export class SettingsService {
  constructor(
    private readonly store: StateStore | undefined,
    private readonly live: LiveSettings,
    private readonly load: (overrides: Record<string, unknown>) => Config,
    /** False when no operators run in this process (`polyflow api` over a finished run): every change applies at the next run. */
    private readonly operatorsRunning = true,
  ) {}

  get version(): number {
    return this.live.version;
  }

  get config(): Config {
    return this.live.config;
  }

  /** Applies what the store holds (at start). */
  async init(): Promise<void> {
    if (this.store === undefined) return;
    const rows = await this.store.listSettings();
    if (rows.length > 0) this.live.apply(this.load(settingsOverrides(rows)));
  }

  async list(): Promise<SettingRow[]> {
    const rows = this.store === undefined ? [] : await this.store.listSettings();
    return rows.map((r) => ({ ...r, value: SECRET_KEY.test(r.key) ? '[redacted]' : r.value }));
  }

  /** The effective value of a key (stored or from the config), redacted when secret. */
  effective(key: string): { value: unknown; stored: boolean } {
    const path = checkSettingKey(key);
    let node: unknown = redactConfig(this.live.config);
    for (const part of path) node = (node as Record<string, unknown>)[part];
    return { value: node, stored: false };
  }

  async set(key: string, value: unknown): Promise<SettingChange> {
    const store = this.requireStore();
    this.checkWritable(key);
    const others = (await store.listSettings()).filter((r) => r.key !== key);
    const config = this.load(settingsOverrides([...others, { key, value }])); // throws ConfigError: never stored
    await store.setSetting(key, value);
    this.live.apply(config);
    return { key, value, applied: this.operatorsRunning ? appliedWhen(key) : 'restart', version: this.live.version };
  }

  async unset(key: string): Promise<SettingChange | undefined> {
    const store = this.requireStore();
    this.checkWritable(key);
    const others = (await store.listSettings()).filter((r) => r.key !== key);
    const config = this.load(settingsOverrides(others));
    if (!(await store.deleteSetting(key))) return undefined;
    this.live.apply(config);
    return { key, value: undefined, applied: this.operatorsRunning ? appliedWhen(key) : 'restart', version: this.live.version };
  }

  private requireStore(): StateStore {
    if (this.store === undefined) throw new ConfigError('settings cannot be changed: this process has no state store (state.kind off)');
    return this.store;
  }

  private checkWritable(key: string): void {
    const path = checkSettingKey(key);
    if (FORBIDDEN_SECTIONS.has(path[0]!)) throw new ConfigError(`${key}: the ${path[0]} section cannot be changed over the API`);
    if (path.some((p) => SECRET_KEY.test(p))) throw new ConfigError(`${key}: secrets cannot be settings`);
  }
}

/** Keys in a live section that still only seed a fresh state (the bankroll starts the equity). */
const START_ONLY = new Set(['risk.bankrollUsd', 'watch.maxWallets']);
const appliedWhen = (key: string): 'live' | 'restart' =>
  (LIVE_SECTIONS as readonly string[]).includes(key.split('.')[0]!) && !START_ONLY.has(key) ? 'live' : 'restart';
