import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStateStore } from '../../sinks/postgres/open-state-store.js';
import { attemptReplay, type Attempt } from '../helpers/killed-replay.js';
import { createTestDatabase } from '../helpers/postgres-test-db.js';
import { runOutputs as outputs, storedRows } from '../helpers/state-expectations.js';
import { tradingEnv } from '../helpers/trading-model.js';

/*
 * kill -9 at random points (seeded): the built CLI replays a simulated recording with
 * checkpoints to the state store, is SIGKILLed after its k-th checkpoint plus a random delay (or
 * at a random time after start, often before any checkpoint), and started again with the same
 * --out until it finishes. The outputs (every JSONL file, summary.json) and the rows (orders,
 * fills, positions, portfolio snapshots: cash) must equal those of an uninterrupted run.
 */
const CLI = 'dist/bin/polyflow.js';
const EVENTS = 5_000;
const CHECKPOINT_EVERY = 100;
/** The state store is under test here, not chDB (a replay's default): kept out of every run. */
const NO_ANALYTICS = { POLYFLOW_ANALYTICS_MODE: 'files' };

/** mulberry32: a small seeded PRNG, so a failing sequence of kills can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}


/** One run, SIGKILLed after its `afterCheckpoints`-th checkpoint + `delayMs` (or `delayMs` after start when 0). */
const attempt = (args: string[], afterCheckpoints: number, delayMs: number): Promise<Attempt> =>
  attemptReplay(CLI, args, tradingEnv({ POLYFLOW_LOG_LEVEL: 'info', ...NO_ANALYTICS }), afterCheckpoints, delayMs);

/** Kills and restarts until a run completes; returns how many runs were killed. */
async function crashUntilDone(args: string[], seed: number, minKills: number, maxRuns: number): Promise<number> {
  const random = prng(seed);
  let kills = 0;
  for (let run = 0; run < maxRuns; run++) {
    const last = kills >= minKills;
    // A quarter of the kills land at a random time after start (startup, restore, mid-batch); the rest
    // a random 0-60 ms after the 1st or 2nd checkpoint of the run, i.e. anywhere between two checkpoints.
    const early = random() < 0.25;
    const result = last ? await attempt(args, Number.MAX_SAFE_INTEGER, 0) : early ? await attempt(args, 0, Math.floor(random() * 900)) : await attempt(args, 1 + Math.floor(random() * 2), Math.floor(random() * 60));
    if (result.killed) {
      kills++;
      continue;
    }
    if (result.code !== 0) throw new Error(`run ${run} failed (exit ${result.code}):\n${result.stderr.slice(-2000)}`);
    if (last) return kills;
    // Finished before the kill: the next run starts again from the first record (a finished run is not
    // resumed), and the remaining kills land in that one.
  }
  throw new Error(`no complete run in ${maxRuns} attempts`);
}

describe('kill -9 during a replay with checkpoints', () => {
  const root = mkdtempSync(join(tmpdir(), 'polyflow-crash-'));
  const recording = join(root, 'rec');
  const reference = join(root, 'reference');
  let refDb: { url: string; drop: () => Promise<void> };
  let crashDb: { url: string; drop: () => Promise<void> };

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm run build)`);
    execFileSync(process.execPath, [CLI, 'simulate', '--out', recording, '--events', String(EVENTS), '--markets', '12', '--seed', '11', '--hours', '6'], { stdio: 'pipe' });
    refDb = await createTestDatabase('polyflow_crash_ref');
    crashDb = await createTestDatabase('polyflow_crash');
    execFileSync(process.execPath, [CLI, 'replay', recording, '--out', reference, '--no-progress', '--state', 'postgres', '--state-url', refDb.url, '--checkpoint-every', String(CHECKPOINT_EVERY)], {
      stdio: 'pipe',
      env: tradingEnv({ POLYFLOW_LOG_LEVEL: 'warn', ...NO_ANALYTICS }),
    });
  }, 60_000);
  afterAll(async () => {
    await refDb?.drop();
    await crashDb?.drop();
  });

  it('postgres: 20+ kills at seeded random points, then outputs, positions, cash and fills equal an uninterrupted run', async () => {
    const out = join(root, 'crashed-pg');
    const args = ['replay', recording, '--out', out, '--no-progress', '--state', 'postgres', '--state-url', crashDb.url, '--checkpoint-every', String(CHECKPOINT_EVERY)];
    const kills = await crashUntilDone(args, 20260105, 20, 80);
    expect(kills).toBeGreaterThanOrEqual(20);
    const ref = outputs(reference);
    expect(Object.keys(ref)).toContain('fill.v1.jsonl');
    expect(JSON.parse(ref['summary.json'] ?? '{}')).toMatchObject({ fills: expect.any(Number) });
    expect(outputs(out)).toEqual(ref);
    const [a, b] = await Promise.all([openStateStore({ kind: 'postgres', url: refDb.url }), openStateStore({ kind: 'postgres', url: crashDb.url })]);
    try {
      const [want, got] = await Promise.all([storedRows(a), storedRows(b)]);
      expect(want.fills.length).toBeGreaterThan(0);
      expect(got).toEqual(want);
    } finally {
      await a.close();
      await b.close();
    }
  }, 120_000);

  it('pglite: a few kills, the embedded store under <out>/pglite resumes the same way', async () => {
    const out = join(root, 'crashed-lite');
    const args = ['replay', recording, '--out', out, '--no-progress', '--state', 'pglite', '--checkpoint-every', String(CHECKPOINT_EVERY * 5)];
    const kills = await crashUntilDone(args, 7, 3, 12);
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(outputs(out)).toEqual(outputs(reference));
    const [a, b] = await Promise.all([openStateStore({ kind: 'postgres', url: refDb.url }), openStateStore({ kind: 'pglite', dir: join(out, 'pglite') })]);
    try {
      expect(await storedRows(b)).toEqual(await storedRows(a));
    } finally {
      await a.close();
      await b.close();
    }
  }, 120_000);
});
