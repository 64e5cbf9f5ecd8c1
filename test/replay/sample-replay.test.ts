import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../runtime/config.js';
import type { RunSummary } from '../../schemas/run-summary.js';
import type { Fill } from '../../schemas/fill.js';
import type { Order } from '../../schemas/order.js';
import type { PortfolioSnapshot } from '../../schemas/portfolio-snapshot.js';
import type { Prediction } from '../../schemas/prediction.js';
import type { Resolution } from '../../schemas/resolution.js';
import type { Signal } from '../../schemas/signal.js';
import { tradingEnv } from '../helpers/trading-model.js';

/*
 * The main job end to end: the built CLI (`node dist/bin/polyflow.js replay data/sample`), run twice
 * at once: as `npm start` runs it (state in PGlite, analytics in chDB, both under --out) and with the
 * stores off. Every figure asserted here is recomputed in this file from the input files or from the
 * output streams, not copied from an earlier run.
 */
const SAMPLE = 'data/sample';
const CLI = 'dist/bin/polyflow.js';
/** What the embedded stores leave in --out besides the run's outputs. */
const STORE_ENTRIES = ['chdb', 'clickhouse.json', 'pglite'];
const run = promisify(execFile);

const readJsonl = <T>(file: string): T[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);

function frameLines(): string[] {
  return readdirSync(SAMPLE)
    .filter((n) => /^market-ws-.*\.log(\.gz)?$/.test(n))
    .sort()
    .flatMap((n) => {
      const bytes = readFileSync(join(SAMPLE, n));
      return (n.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8').split('\n').filter((l) => l !== '');
    });
}

async function replay(out: string, env: Record<string, string> = {}): Promise<RunSummary> {
  await run(process.execPath, [CLI, 'replay', SAMPLE, '--out', out, '--no-progress'], { env: tradingEnv({ POLYFLOW_LOG_LEVEL: 'warn', ...env }) });
  return JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;
}

const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('polyflow replay data/sample', () => {
  let outA = '';
  let outB = '';
  let summary: RunSummary;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm test builds it)`);
    const root = mkdtempSync(join(tmpdir(), 'polyflow-sample-'));
    outA = join(root, 'a');
    outB = join(root, 'b');
    [summary] = await Promise.all([replay(outA), replay(outB, { POLYFLOW_STATE_KIND: 'off', POLYFLOW_ANALYTICS_MODE: 'files' })]);
  }, 180_000);

  it('is deterministic: two replays, with and without the embedded stores, write byte-identical streams and summary.json', () => {
    // The run's outputs are one JSONL file per configured topic and summary.json, nothing else.
    const outputs = [...loadConfig({ env: tradingEnv() }).output.topics.map((t) => `${t}.jsonl`), 'summary.json'].sort();
    expect(readdirSync(outB).sort()).toEqual(outputs);
    expect(readdirSync(outA).sort()).toEqual([...outputs, ...STORE_ENTRIES].sort());
    for (const f of outputs) expect(sha(join(outB, f)), f).toBe(sha(join(outA, f)));
  });

  it('counts the input as an independent reading of the files does', () => {
    const manifest = JSON.parse(readFileSync(join(SAMPLE, 'MANIFEST.json'), 'utf8')) as { lines: Record<string, number> };
    expect(summary.events).toBe(frameLines().length);
    expect(summary.markets).toBe(readJsonl<unknown>(join(SAMPLE, 'markets.jsonl')).length);
    // The malformed lines the simulator injected, and only they, are dead-lettered (a line can give
    // more than one: each bad entry of a price_changes[] is refused on its own).
    const dead = readJsonl<{ ts: number }>(join(outA, 'dlq.ingest.jsonl'));
    expect(dead).toHaveLength(summary.dlq);
    expect(new Set(dead.map((d) => d.ts)).size).toBe(manifest.lines['malformed']);
    expect(dead).toHaveLength(manifest.lines['malformed'] ?? -1); // the simulator damages one field per line
  });

  it('has the summary keys users rely on, and trades something', () => {
    for (const key of ['events', 'markets', 'dlq', 'signals', 'orders', 'fills', 'pnl', 'max_drawdown', 'brier_model', 'brier_market']) {
      expect(summary).toHaveProperty(key);
    }
    expect(summary.signals.total).toBeGreaterThan(0);
    expect(summary.fills).toBeGreaterThan(0);
    expect(summary.resolutions).toBeGreaterThan(0);
  });

  it('reports signals, orders and fills as written to their streams', () => {
    const signals = readJsonl<Signal>(join(outA, 'signal.v1.jsonl'));
    const strength = (s: Signal['strength']) => signals.filter((x) => x.strength === s).length;
    expect(summary.signals).toEqual({ STRONG: strength('STRONG'), MEDIUM: strength('MEDIUM'), WEAK: strength('WEAK'), total: signals.length });
    const orders = readJsonl<Order>(join(outA, 'order.v1.jsonl'));
    const fills = readJsonl<Fill>(join(outA, 'fill.v1.jsonl'));
    expect(summary.orders).toBe(orders.length);
    expect(summary.fills).toBe(fills.length);
    // Every order comes from a tradable signal; every fill respects its order's limit and size.
    const bySignal = new Map(signals.map((s) => [s.id, s]));
    const byOrder = new Map(orders.map((o) => [o.id, o]));
    for (const o of orders) expect(['STRONG', 'MEDIUM']).toContain(bySignal.get(o.signalId)?.strength);
    for (const f of fills) {
      const o = byOrder.get(f.orderId);
      expect(o).toBeDefined();
      expect(f.price).toBeLessThanOrEqual(o?.limitPrice ?? -1);
      expect(f.size + f.unfilled).toBe(o?.size);
      expect(f.fee).toBeGreaterThanOrEqual(0);
    }
  });

  it('scores model and market Brier as a recomputation from predictions and resolutions gives', () => {
    const winners = new Map(readJsonl<Resolution>(join(outA, 'pm.resolution.jsonl')).map((r) => [r.market, r]));
    let n = 0;
    let model = 0;
    let market = 0;
    for (const p of readJsonl<Prediction>(join(outA, 'prediction.v1.jsonl'))) {
      const r = winners.get(p.market);
      if (r === undefined || p.ts > r.ts || p.pModel === null || p.pMarket === null) continue;
      const y = p.assetId === r.winningAssetId ? 1 : 0;
      n++;
      model += (p.pModel - y) ** 2;
      market += (p.pMarket - y) ** 2;
    }
    expect(n).toBeGreaterThan(0);
    expect(summary.scored_predictions).toBe(n);
    expect(summary.brier_model).toBeCloseTo(model / n, 9);
    expect(summary.brier_market).toBeCloseTo(market / n, 9);
  });

  it('books realized PnL as fills settled at resolution give, and reports PnL from the last portfolio state', () => {
    const resolutions = new Map(readJsonl<Resolution>(join(outA, 'pm.resolution.jsonl')).map((r) => [r.market, r]));
    let realized = 0;
    for (const f of readJsonl<Fill>(join(outA, 'fill.v1.jsonl'))) {
      const r = resolutions.get(f.market);
      if (r === undefined || r.ts < f.ts) continue;
      const won = f.assetId === r.winningAssetId ? f.direction === 'YES' : f.direction === 'NO';
      const cost = Math.round((f.price * f.size) / 1e6) + f.fee;
      realized += (won ? f.size : 0) - cost;
    }
    const snapshots = readJsonl<PortfolioSnapshot>(join(outA, 'portfolio.v1.jsonl'));
    const last = snapshots.at(-1);
    expect(last).toBeDefined();
    expect(last?.realizedPnl).toBe(realized);
    expect(summary.pnl).toBeCloseTo(((last?.realizedPnl ?? 0) + (last?.unrealizedPnl ?? 0)) / 1e6, 6);
    expect(summary.max_drawdown).toBeCloseTo(Math.max(0, ...snapshots.map((s) => s.drawdown)), 12);
  });
});
