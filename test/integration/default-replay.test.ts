import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../schemas/run-summary.js';
import { openStateStore } from '../../sinks/postgres/open-state-store.js';
import { attemptReplay } from '../helpers/killed-replay.js';
import { expectStoreHoldsOutputs, runOutputs as outputs } from '../helpers/state-expectations.js';
import { tradingEnv } from '../helpers/trading-model.js';

/*
 * The one-command run's stores: `polyflow replay data/sample --out <dir>` with no store flag or
 * variable keeps its state in PGlite under <dir>/pglite and its analytics in chDB under <dir>/chdb,
 * and `polyflow report --out <dir> --json` then gives summary.json's figures. Then the re-run policy:
 * a finished run is replaced by the next one (even of another config: its rows go too), an
 * unfinished one resumes with the same config and is refused with another. The baseline model is
 * pinned so that the run trades (tradingEnv); nothing else of the config is set.
 */
const CLI = 'dist/bin/polyflow.js';
const SAMPLE = 'data/sample';
const exec = promisify(execFile);
/** Fewer tradable strengths: half the orders on the sample, so a stale row of the run before would show. */
const STRONG_ONLY = { POLYFLOW_RISK_TRADE_STRENGTHS: '["STRONG"]' };

const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const e = tradingEnv({ POLYFLOW_LOG_LEVEL: 'info', ...extra });
  for (const name of ['POLYFLOW_STATE_KIND', 'POLYFLOW_ANALYTICS_MODE', 'CLICKHOUSE_URL', 'POLYFLOW_CONFIG']) delete e[name];
  return e;
};
const replay = async (out: string, extra: Record<string, string> = {}, ...flags: string[]): Promise<{ stdout: string; stderr: string }> =>
  exec(process.execPath, [CLI, 'replay', SAMPLE, '--out', out, '--no-progress', ...flags], { env: env(extra), maxBuffer: 64 << 20 });
const summary = (out: string): RunSummary & Record<string, unknown> => JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary & Record<string, unknown>;

/** `polyflow report --out <dir> --json` (its own process, as a user runs it) equals summary.json where their keys overlap. */
async function expectReportMatchesSummary(out: string): Promise<Record<string, unknown>> {
  const { stdout } = await exec(process.execPath, [CLI, 'report', '--out', out, '--json'], { env: env() });
  const report = JSON.parse(stdout) as Record<string, unknown>;
  const s = summary(out);
  const shared = Object.keys(report).filter((k) => k in s);
  expect(shared).toEqual(expect.arrayContaining(['orders', 'fills', 'predictions', 'signals', 'pnl', 'equity', 'max_drawdown', 'brier_model', 'brier_market']));
  for (const key of shared) {
    const want = s[key];
    const got = report[key];
    if (typeof want === 'number' && typeof got === 'number') expect(Math.abs(got - want), key).toBeLessThanOrEqual(1e-9);
    else expect(got, key).toEqual(want);
  }
  return report;
}

/** The rows in `<out>/pglite` are the run's JSONL outputs (orders, fills, portfolio, positions), no more. */
async function expectStateMatchesOutputs(out: string): Promise<void> {
  const store = await openStateStore({ kind: 'pglite', dir: join(out, 'pglite') });
  try {
    await expectStoreHoldsOutputs(store, out);
    expect((await store.loadCheckpoint(`replay:${out}`))?.complete).toBe(true);
  } finally {
    await store.close();
  }
}

describe('the default replay writes its embedded stores under --out', () => {
  const root = mkdtempSync(join(tmpdir(), 'polyflow-default-replay-'));
  const first = join(root, 'sample');
  let reference: Record<string, string>;

  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm run build)`);
  });

  it('PGlite in <out>/pglite and chDB in <out>/chdb hold the run; `polyflow report --out --json` equals summary.json', async () => {
    const { stdout } = await replay(first);
    expect(stdout).toMatch(/output: .*\(state pglite, analytics chDB\)/);
    expect(existsSync(join(first, 'pglite', 'PG_VERSION'))).toBe(true);
    expect(JSON.parse(readFileSync(join(first, 'clickhouse.json'), 'utf8'))).toEqual({ mode: 'embedded', location: join(first, 'chdb'), run: 'sample' });
    expect(summary(first).fills).toBeGreaterThan(0);
    await expectStateMatchesOutputs(first);
    const report = await expectReportMatchesSummary(first);
    expect(report['fills']).toBe(summary(first).fills);
    reference = outputs(first);
  }, 240_000);

  it('a killed run resumes with the same config (and only then): outputs, rows and report as uninterrupted', async () => {
    const out = join(root, 'killed');
    const args = ['replay', SAMPLE, '--out', out, '--no-progress', '--checkpoint-every', '3000'];
    const killed = await attemptReplay(CLI, args, env(), 1, 0);
    expect(killed.killed).toBe(true);
    // Unfinished, and another config: refused, the checkpoint kept.
    const refused = await replay(out, STRONG_ONLY, '--checkpoint-every', '3000').catch((e: { code: number; stderr: string }) => e);
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringMatching(/unfinished run of another input or config.*--fresh/) });
    const resumed = await replay(out, {}, '--checkpoint-every', '3000');
    expect(resumed.stderr).toMatch(/resuming from checkpoint/);
    expect(resumed.stdout).toMatch(/resumed after event [\d,]+: [\d,]+ events in/);
    expect(outputs(out)).toEqual(reference);
    await expectStateMatchesOutputs(out);
    await expectReportMatchesSummary(out);
  }, 300_000);

  it('after a finished run, the next one into the same --out starts over, of another config too, and replaces its rows', async () => {
    const before = summary(first);
    const { stderr } = await replay(first, STRONG_ONLY);
    expect(stderr).toMatch(/the last run in this folder finished: replaying from the first record/);
    const after = summary(first);
    expect(after.orders).toBeGreaterThan(0);
    expect(after.orders).toBeLessThan(before.orders);
    await expectStateMatchesOutputs(first);
    const report = await expectReportMatchesSummary(first);
    expect(report['orders']).toBe(after.orders);
  }, 240_000);
});
