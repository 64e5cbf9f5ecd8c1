/**
 * `polyflow run ingest` and `polyflow record` on the real clock against the local fake Polymarket
 * (endpoints from POLYMARKET_*_URL), and the one-line failure when Gamma cannot be reached.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordCommand } from '../../bin/commands/record.js';
import { runCommand } from '../../bin/commands/run.js';
import { readReplay } from '../../sources/replay/replay-directory.js';
import { FakePolymarket } from '../helpers/fake-polymarket.js';
import { addMarket } from '../helpers/live-harness.js';

let fake: FakePolymarket;
const saved = { ...process.env };

beforeEach(async () => {
  fake = await FakePolymarket.start(() => Date.now());
  addMarket(fake, 1);
  Object.assign(process.env, {
    POLYMARKET_WS_URL: fake.wsUrl,
    POLYMARKET_GAMMA_URL: fake.httpUrl,
    POLYMARKET_CLOB_URL: fake.httpUrl,
    POLYMARKET_DATA_URL: fake.httpUrl,
    POLYFLOW_LOG_LEVEL: 'silent',
    POLYFLOW_LIVE_WHALE_MIN_USD: '0',
    POLYFLOW_LIVE_MIN_VOLUME_USD: '0',
    POLYFLOW_LIVE_MIN_LIQUIDITY_USD: '0',
  });
});
afterEach(async () => {
  process.env = { ...saved };
  await fake.close();
});

describe('live CLI commands', () => {
  it('run ingest writes the ingest topics as JSONL; record writes a recording replay can read', async () => {
    const out = mkdtempSync(join(tmpdir(), 'polyflow-ingest-'));
    const ticker = setInterval(() => fake.delta(fake.books.keys().next().value as string, 'BUY', '0.38', String(Math.floor(Math.random() * 100) + 1)), 50);
    try {
      await expect(runCommand(['ingest', '--out', out, '--duration', '0.6'])).resolves.toBe(0);
      const books = readFileSync(join(out, 'pm.book.jsonl'), 'utf8').trim().split('\n');
      expect(books.length).toBeGreaterThan(2);
      expect(readFileSync(join(out, 'pm.market.meta.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);

      const rec = mkdtempSync(join(tmpdir(), 'polyflow-rec-'));
      await expect(recordCommand(['--out', rec, '--duration', '0.6'])).resolves.toBe(0);
      let frames = 0;
      let markets = 0;
      for await (const chunk of readReplay(rec)) for (const r of chunk) r.kind === 'frame' ? frames++ : markets++;
      expect(markets).toBe(1);
      expect(frames).toBeGreaterThan(2);
    } finally {
      clearInterval(ticker);
    }
  });

  it('fails in one line when Gamma cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    process.env.POLYMARKET_GAMMA_URL = `http://127.0.0.1:${port}`;
    const out = mkdtempSync(join(tmpdir(), 'polyflow-rec-'));
    await expect(recordCommand(['--out', out, '--duration', '1'])).rejects.toThrow(
      `cannot reach http://127.0.0.1:${port} (ECONNREFUSED): check the network or POLYMARKET_GAMMA_URL`,
    );
  });
});
