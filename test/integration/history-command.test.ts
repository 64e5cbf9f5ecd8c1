/**
 * The `polyflow history` command itself (flags, env endpoints, summary, exit codes) against the
 * local fake Gamma + CLOB with two real markets from ../shared/data/polymarket; real clock, so the
 * request count stays within the polite burst and nothing waits.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { historyCommand } from '../../bin/commands/history.js';
import { startFakePolymarket, type FakePolymarket } from '../helpers/fake-polymarket-server.js';
import { loadHistoryFixture } from '../helpers/polymarket-history-fixture.js';

const work = mkdtempSync(join(tmpdir(), 'polyflow-history-cmd-'));
let srv: FakePolymarket;
let kept: string[];

beforeAll(async () => {
  const fx = loadHistoryFixture(resolve(process.cwd(), '../shared/data/polymarket'));
  const two = fx.gamma.filter((g) => typeof g.volumeNum === 'number').slice(1, 3);
  kept = two.map((g) => String(g.id));
  srv = await startFakePolymarket({ markets: two, series: fx.series, maxRangeSeconds: 10 * 86_400 });
});

afterAll(async () => {
  await srv.close();
  rmSync(work, { recursive: true, force: true });
});

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  const writes: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    writes.push(String(chunk));
    return true;
  });
  try {
    return { code: await historyCommand(argv), out: writes.join('') };
  } finally {
    spy.mockRestore();
  }
}

describe('polyflow history (command)', () => {
  it('collects with endpoints from the environment and prints a summary', async () => {
    vi.stubEnv('POLYMARKET_GAMMA_URL', srv.url);
    vi.stubEnv('POLYMARKET_CLOB_URL', srv.url);
    try {
      const out = join(work, 'env');
      const { code, out: text } = await run(['--out', out, '--no-progress', '--fidelity', '60', '--chunk-days', '8']);
      expect(code).toBe(0);
      expect(text).toMatch(/appended\s+2 markets, 4 series/);
      const ids = readFileSync(join(out, 'markets.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { market_id: string }).market_id);
      expect(ids).toEqual(kept);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('--gamma-url/--clob-url win over the environment', async () => {
    vi.stubEnv('POLYMARKET_GAMMA_URL', 'http://127.0.0.1:9/unused');
    vi.stubEnv('POLYMARKET_CLOB_URL', 'http://127.0.0.1:9/unused');
    try {
      const { code } = await run(['--out', join(work, 'flags'), '--no-progress', '--chunk-days', '8', '--gamma-url', srv.url, '--clob-url', srv.url]);
      expect(code).toBe(0);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('refuses bad flags with one clear message', async () => {
    await expect(run([])).rejects.toThrow(/--out <dir> is required/);
    await expect(run(['--out', work, '--since', 'yesterday'])).rejects.toThrow(/--since must be an ISO date/);
    await expect(run(['--out', work, '--fidelity', '0'])).rejects.toThrow(/--fidelity/);
    await expect(run(['--out', work, '--since', '2026-02-01', '--until', '2026-01-01'])).rejects.toThrow(/--until must be after --since/);
    await expect(run(['--out', work, '--gamma-url', 'ftp://x'])).rejects.toThrow(/not an http\(s\) URL/);
    await expect(run(['--out', work, '--books'])).rejects.toThrow(/--books is not available/);
  });
});
