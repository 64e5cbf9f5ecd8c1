import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envOverrides, loadConfig, redactConfig, REPLAY_DEFAULTS } from './config.js';
import { ConfigError } from './errors.js';

describe('loadConfig', () => {
  it('has embedded defaults that validate', () => {
    const c = loadConfig({ env: {} });
    expect(c.log.level).toBe('info');
    expect(c.signal.strongEdge).toBe(0.15);
    expect(c.signal.mediumEdge).toBe(0.1);
    expect(c.fees.takerFeeRates['crypto']).toBe(0.072);
    expect(Object.isFrozen(c.risk)).toBe(true);
  });

  it('layers file, then env, then explicit overrides', () => {
    const dir = mkdtempSync(join(tmpdir(), 'polyflow-config-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ risk: { kellyFraction: 0.5, maxDrawdown: 0.3 }, signal: { cooldownMs: 5 } }));
    const c = loadConfig({ file, env: { POLYFLOW_RISK_KELLY_FRACTION: '0.1' }, overrides: { signal: { cooldownMs: 7 } } });
    expect(c.risk.kellyFraction).toBe(0.1);
    expect(c.risk.maxDrawdown).toBe(0.3);
    expect(c.signal.cooldownMs).toBe(7);
    expect(c.risk.bankrollUsd).toBe(10_000);
  });

  it('commits Kafka offsets every 100 ms by default, after every batch at 0, and refuses a negative interval', () => {
    expect(loadConfig({ env: {} }).kafka.commitIntervalMs).toBe(100);
    expect(loadConfig({ env: { POLYFLOW_KAFKA_COMMIT_INTERVAL_MS: '0' } }).kafka.commitIntervalMs).toBe(0);
    expect(() => loadConfig({ env: { POLYFLOW_KAFKA_COMMIT_INTERVAL_MS: '-1' } })).toThrow(/kafka\.commitIntervalMs/);
  });

  it('maps camelCase fields to POLYFLOW_SECTION_FIELD names', () => {
    expect(envOverrides({ POLYFLOW_BROKER_LATENCY_MS: '250', POLYFLOW_RISK_TRADE_STRENGTHS: '["STRONG"]', OTHER: 'x' })).toEqual({
      broker: { latencyMs: 250 },
      risk: { tradeStrengths: ['STRONG'] },
    });
  });

  it('names every invalid path', () => {
    const err = (() => {
      try {
        loadConfig({ env: { POLYFLOW_RISK_KELLY_FRACTION: '2' }, overrides: { book: { depthTicks: -1 } } });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('risk.kellyFraction');
    expect((err as Error).message).toContain('book.depthTicks');
  });

  it('refuses thresholds out of order and env values that are not JSON', () => {
    expect(() => loadConfig({ env: {}, overrides: { signal: { mediumEdge: 0.2, strongEdge: 0.15 } } })).toThrow(/minEdge <= mediumEdge <= strongEdge/);
    expect(() => loadConfig({ env: { POLYFLOW_RISK_KELLY_FRACTION: 'abc' } })).toThrow(/POLYFLOW_RISK_KELLY_FRACTION: not a JSON value/);
  });
});

describe('typos and partial tables', () => {
  it('refuses a config key or env variable that names no setting, instead of ignoring it', () => {
    expect(() => loadConfig({ env: {}, overrides: { risk: { killswitch: true } } })).toThrow(/risk\.killswitch: no such setting/);
    expect(() => loadConfig({ env: {}, overrides: { rsik: { killSwitch: true } } })).toThrow(/rsik: no such setting/);
    expect(() => loadConfig({ env: { POLYFLOW_RISK_KILLSWITCH: 'true' } })).toThrow(/POLYFLOW_RISK_KILLSWITCH: no such setting/);
    // Variables of no section are not config: left alone.
    expect(loadConfig({ env: { POLYFLOW_TEST_POSTGRES_URL: 'x', POLYFLOW_CONFIG: '' } }).risk.killSwitch).toBe(false);
  });

  it('chooses the bus from POLYFLOW_BUS_KIND (memory by default) and refuses other kinds and misspelt names', () => {
    expect(loadConfig({ env: {} }).bus.kind).toBe('memory');
    expect(loadConfig({ env: { POLYFLOW_BUS_KIND: 'kafka' } }).bus.kind).toBe('kafka');
    expect(() => loadConfig({ env: { POLYFLOW_BUS_KIND: 'redis' } })).toThrow(/bus\.kind/);
    expect(() => loadConfig({ env: { POLYFLOW_BUS_TYPE: 'kafka' } })).toThrow(/POLYFLOW_BUS_TYPE: no such setting.*POLYFLOW_BUS_KIND/);
  });

  it('merges a partial fee table over the default rates', () => {
    const c = loadConfig({ env: {}, overrides: { fees: { takerFeeRates: { crypto: 0.1 } } } });
    expect(c.fees.takerFeeRates).toMatchObject({ crypto: 0.1, politics: 0.04, sports: 0.03, geopolitics: 0 });
  });
});

describe('redactConfig', () => {
  it('masks secret-looking keys at any depth and keeps the rest', () => {
    expect(redactConfig({ api: { token: 's3cret', port: 1 }, alerts: [{ webhookUrl: 'https://x' }], newsApiKey: 'k' })).toEqual({
      api: { token: '[redacted]', port: 1 },
      alerts: [{ webhookUrl: '[redacted]' }],
      newsApiKey: '[redacted]',
    });
  });
});

describe('REPLAY_DEFAULTS (the embedded stores of `polyflow replay`)', () => {
  const replay = (opts: { file?: string; env?: NodeJS.ProcessEnv; overrides?: Record<string, unknown> }) => loadConfig({ env: {}, ...opts, defaults: REPLAY_DEFAULTS });

  it('turn on PGlite state and chDB analytics over the schema, which keeps them off for other commands', () => {
    expect(loadConfig({ env: {} })).toMatchObject({ state: { kind: 'off' }, analytics: { mode: 'files' } });
    expect(replay({})).toMatchObject({ state: { kind: 'pglite' }, analytics: { mode: 'clickhouse', url: '', chdbPath: '' } });
  });

  it('lose to the file, env and flags', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'polyflow-config-')), 'c.json');
    writeFileSync(file, JSON.stringify({ state: { kind: 'postgres' } }));
    expect(replay({ file }).state.kind).toBe('postgres');
    expect(replay({ env: { POLYFLOW_STATE_KIND: 'off', POLYFLOW_ANALYTICS_MODE: 'files' } })).toMatchObject({ state: { kind: 'off' }, analytics: { mode: 'files' } });
    expect(replay({ overrides: { state: { kind: 'off' }, analytics: { mode: 'off' } } })).toMatchObject({ state: { kind: 'off' }, analytics: { mode: 'off' } });
    expect(replay({ env: { CLICKHOUSE_URL: 'http://ch:8123' } }).analytics).toMatchObject({ mode: 'clickhouse', url: 'http://ch:8123' });
  });
});
