import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../schemas/run-summary.js';
import { createTestDatabase } from '../helpers/postgres-test-db.js';
import { tradingEnv } from '../helpers/trading-model.js';

/*
 * `polyflow settings`: each command is a new process, so a value read back has survived a
 * restart. A value the config schema rejects is not stored; a replay on the same store runs with
 * the stored settings.
 */
const CLI = 'dist/bin/polyflow.js';
const env = tradingEnv({ POLYFLOW_LOG_LEVEL: 'warn', POLYFLOW_ANALYTICS_MODE: 'files' });
const polyflow = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env });

describe('polyflow settings', () => {
  let db: { url: string; drop: () => Promise<void> };
  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm run build)`);
    db = await createTestDatabase('polyflow_settings');
  });
  afterAll(async () => {
    await db?.drop();
  });

  for (const kind of ['postgres', 'pglite'] as const) {
    it(`${kind}: set in one process, read in the next; invalid values and unknown keys are refused`, () => {
      const where = kind === 'postgres' ? ['--state', 'postgres', '--state-url', db.url] : ['--state', 'pglite', '--state-dir', mkdtempSync(join(tmpdir(), 'polyflow-settings-'))];
      expect(polyflow('settings', ...where, 'set', 'risk.kellyFraction', '0.1').status).toBe(0);
      expect(polyflow('settings', ...where, 'set', 'risk.tradeStrengths', '["STRONG"]').status).toBe(0);
      if (kind === 'pglite') {
        // Each command starts PGlite (~2.5 s): the rest is the same statements as on the server.
        expect(polyflow('settings', ...where, 'get', 'risk.kellyFraction').stdout.trim()).toBe('0.1');
        return;
      }
      const tooBig = polyflow('settings', ...where, 'set', 'risk.kellyFraction', '1.5');
      expect(tooBig.status).toBe(1);
      expect(tooBig.stderr).toContain('risk.kellyFraction');
      expect(polyflow('settings', ...where, 'set', 'risk.noSuchKnob', '1').status).toBe(1);
      expect(polyflow('settings', ...where, 'set', 'state.url', '"x"').status).toBe(1);
      expect(polyflow('settings', ...where, 'get', 'risk.kellyFraction').stdout.trim()).toBe('0.1');
      // Not set: the config's value.
      expect(polyflow('settings', ...where, 'get', 'risk.maxStakeUsd').stdout.trim()).toBe('500');
      const list = polyflow('settings', ...where, 'list').stdout.trim().split('\n').map((l) => l.split('\t').slice(0, 2));
      expect(list).toEqual([
        ['risk.kellyFraction', '0.1'],
        ['risk.tradeStrengths', '["STRONG"]'],
      ]);
      expect(polyflow('settings', ...where, 'unset', 'risk.tradeStrengths').status).toBe(0);
      expect(polyflow('settings', ...where, 'list').stdout.trim().split('\n')).toHaveLength(1);
    }, 60_000);
  }

  it('a replay on the store runs with its settings (kill switch on: no orders)', () => {
    expect(polyflow('settings', '--state-url', db.url, '--state', 'postgres', 'set', 'risk.killSwitch', 'true').status).toBe(0);
    const out = mkdtempSync(join(tmpdir(), 'polyflow-settings-replay-'));
    execFileSync(process.execPath, [CLI, 'replay', 'data/sample', '--out', out, '--no-progress', '--state', 'postgres', '--state-url', db.url], { stdio: 'pipe', env });
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
    expect(summary.orders).toBe(0);
    expect(summary.signals.STRONG + summary.signals.MEDIUM).toBeGreaterThan(0);
  }, 60_000);
});
