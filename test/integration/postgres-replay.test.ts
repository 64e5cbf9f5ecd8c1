import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PortfolioSnapshot } from '../../schemas/portfolio-snapshot.js';
import { openStateStore } from '../../sinks/postgres/open-state-store.js';
import { createTestDatabase } from '../helpers/postgres-test-db.js';
import { expectStoreHoldsOutputs, readJsonl, runOutputs as outputs, storedRows } from '../helpers/state-expectations.js';
import { tradingEnv } from '../helpers/trading-model.js';

/*
 * `polyflow replay data/sample --state postgres|pglite`: the rows in Postgres are the JSONL
 * outputs (orders, fills, portfolio snapshots; positions recomputed here from fills and
 * resolutions), a second replay into the same store adds no row, and the outputs are byte for
 * byte those of a replay without state.
 */
const CLI = 'dist/bin/polyflow.js';
const SAMPLE = 'data/sample';
// Analytics off throughout (chDB is not under test here); the reference run has no state either.
const env = tradingEnv({ POLYFLOW_LOG_LEVEL: 'warn', POLYFLOW_ANALYTICS_MODE: 'files' });

const replay = (out: string, ...flags: string[]): void => {
  execFileSync(process.execPath, [CLI, 'replay', SAMPLE, '--out', out, '--no-progress', ...flags], { stdio: 'pipe', env });
};


describe('replay with the state store', () => {
  const root = mkdtempSync(join(tmpdir(), 'polyflow-pg-replay-'));
  const plain = join(root, 'plain');
  let db: { url: string; drop: () => Promise<void> };

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm run build)`);
    db = await createTestDatabase('polyflow_replay');
    replay(plain, '--state', 'off');
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
  });

  it('postgres: rows match the JSONL outputs; a second replay into the same store adds no row', async () => {
    const a = join(root, 'pg-a');
    replay(a, '--state', 'postgres', '--state-url', db.url);
    expect(outputs(a)).toEqual(outputs(plain));
    const store = await openStateStore({ kind: 'postgres', url: db.url });
    try {
      const { rows: first, expected } = await expectStoreHoldsOutputs(store, a);
      expect(expected.fills.length).toBeGreaterThan(0);
      expect(expected.positions.some((p) => p.status !== 'open')).toBe(true);
      const snapshots = readJsonl<PortfolioSnapshot>(join(a, 'portfolio.v1.jsonl'));
      expect(first.counts).toMatchObject({ orders: expected.orders.length, fills: expected.fills.length, portfolio: snapshots.length, positions: expected.positions.length });

      // Redelivery: the same records again (another --out is another pipeline, so nothing is skipped).
      replay(join(root, 'pg-b'), '--state', 'postgres', '--state-url', db.url);
      const second = await storedRows(store);
      expect(second).toEqual(first);
    } finally {
      await store.close();
    }
  });

  it('pglite: the store under <out>/pglite holds the same rows', async () => {
    const c = join(root, 'lite');
    replay(c, '--state', 'pglite');
    expect(outputs(c)).toEqual(outputs(plain));
    expect(existsSync(join(c, 'pglite', 'PG_VERSION'))).toBe(true);
    const store = await openStateStore({ kind: 'pglite', dir: join(c, 'pglite') });
    try {
      await expectStoreHoldsOutputs(store, c);
      const cp = await store.loadCheckpoint(`replay:${c}`);
      expect(cp?.complete).toBe(true);
    } finally {
      await store.close();
    }
  });
});
