/**
 * `polyflow run watch --api` on the real clock against the local fake Polymarket: the watch
 * pipeline's topics are written, and the API answers inside the run on 127.0.0.1 (reads, and a
 * settings change with the bearer token, stored in PGlite).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCommand } from '../../bin/commands/run.js';
import { openStateStore } from '../../sinks/postgres/open-state-store.js';
import { FakePolymarket } from '../helpers/fake-polymarket.js';
import { addMarket } from '../helpers/live-harness.js';

let fake: FakePolymarket;
const saved = { ...process.env };

const freePort = (): Promise<number> =>
  new Promise((done) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => done(port));
    });
  });

beforeEach(async () => {
  fake = await FakePolymarket.start(() => Date.now());
  addMarket(fake, 1);
});
afterEach(async () => {
  process.env = { ...saved };
  await fake.close();
});

describe('polyflow run watch --api', () => {
  it('runs the watchers and serves the API inside the run', async () => {
    const root = mkdtempSync(join(tmpdir(), 'polyflow-watch-'));
    const port = await freePort();
    Object.assign(process.env, {
      POLYMARKET_WS_URL: fake.wsUrl,
      POLYMARKET_GAMMA_URL: fake.httpUrl,
      POLYMARKET_CLOB_URL: fake.httpUrl,
      POLYMARKET_DATA_URL: fake.httpUrl,
      POLYFLOW_LOG_LEVEL: 'silent',
      POLYFLOW_LIVE_WHALE_MIN_USD: '0',
      POLYFLOW_LIVE_MIN_VOLUME_USD: '0',
      POLYFLOW_LIVE_MIN_LIQUIDITY_USD: '0',
      POLYFLOW_API_PORT: String(port),
      POLYFLOW_API_TOKEN: 'watch-token',
      POLYFLOW_STATE_DIR: join(root, 'pglite'),
    });
    const out = join(root, 'out');
    const run = runCommand(['watch', '--api', '--out', out, '--duration', '3']);
    const base = `http://127.0.0.1:${port}`;
    let markets: { total: number } | undefined;
    for (let i = 0; i < 50 && markets?.total !== 1; i++) {
      await new Promise((r) => setTimeout(r, 50));
      markets = await fetch(`${base}/markets`).then((r) => r.json() as Promise<{ total: number }>, () => undefined);
    }
    expect(markets?.total).toBe(1);
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'ok' });
    const unauthorized = await fetch(`${base}/settings/watch.arbMinEdge`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value: 0.01 }) });
    expect(unauthorized.status).toBe(401);
    const put = await fetch(`${base}/settings/watch.arbMinEdge`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: 'Bearer watch-token' },
      body: JSON.stringify({ value: 0.01 }),
    });
    expect(await put.json()).toEqual({ key: 'watch.arbMinEdge', value: 0.01, applied: 'live', version: 1 });
    await expect(run).resolves.toBe(0);
    for (const topic of ['arbitrage.v1', 'whale.v1', 'pm.market.meta']) expect(existsSync(join(out, `${topic}.jsonl`)), topic).toBe(true);
    const store = await openStateStore({ kind: 'pglite', dir: join(root, 'pglite') });
    expect(await store.getSetting('watch.arbMinEdge')).toBe(0.01);
    await store.close();
  });
});
