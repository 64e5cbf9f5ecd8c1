import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Fill } from '../../schemas/fill.js';
import type { Order } from '../../schemas/order.js';
import type { PortfolioSnapshot } from '../../schemas/portfolio-snapshot.js';
import type { Resolution } from '../../schemas/resolution.js';
import type { StateStore } from '../../runtime/state-store.js';
import { notionalMicros } from '../../schemas/units.js';

export const readJsonl = <T>(file: string): T[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);

export interface PositionRow {
  asset_id: string;
  direction: string;
  size: number;
  cost: number;
  fills: number;
  status: string;
  payout: number;
  realized_pnl: number;
}

/**
 * Positions after settlement, recomputed here from a replay's fill and resolution JSONL alone
 * (cost = notional + fee; YES wins on the winning token, NO on the others; payout 1 per share).
 */
export function expectedPositions(outDir: string): PositionRow[] {
  const fills = readJsonl<Fill>(join(outDir, 'fill.v1.jsonl'));
  const winners = new Map(readJsonl<Resolution>(join(outDir, 'pm.resolution.jsonl')).map((r) => [r.market as string, r.winningAssetId as string]));
  const byKey = new Map<string, PositionRow & { market: string }>();
  for (const f of fills) {
    const key = `${f.assetId}|${f.direction}`;
    const row = byKey.get(key) ?? { asset_id: f.assetId, direction: f.direction, market: f.market, size: 0, cost: 0, fills: 0, status: 'open', payout: 0, realized_pnl: 0 };
    row.size += f.size;
    row.cost += notionalMicros(f.price, f.size) + f.fee;
    row.fills++;
    byKey.set(key, row);
  }
  const out: PositionRow[] = [];
  for (const { market, ...row } of byKey.values()) {
    const winner = winners.get(market);
    if (winner !== undefined) {
      row.status = (row.direction === 'YES') === (row.asset_id === winner) ? 'won' : 'lost';
      row.payout = row.status === 'won' ? row.size : 0;
      row.realized_pnl = row.payout - row.cost;
    }
    out.push(row);
  }
  return out.sort((a, b) => `${a.asset_id}|${a.direction}`.localeCompare(`${b.asset_id}|${b.direction}`));
}

/** The rows a replay left in the store, in a stable order and with numbers as numbers. */
export async function storedRows(store: StateStore) {
  const num = <T extends Record<string, unknown>>(rows: T[]): T[] =>
    rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' || (typeof v === 'string' && /^-?\d+$/.test(v) && k !== 'id' && !k.endsWith('_id')) ? Number(v) : v])) as T);
  return {
    orders: num(await store.query<Record<string, unknown>>('SELECT id, signal_id, asset_id, market, ts, direction, limit_price, size, stake, kelly_fraction FROM orders ORDER BY id COLLATE "C"')),
    fills: num(await store.query<Record<string, unknown>>('SELECT id, order_id, asset_id, market, ts, direction, price, size, fee, unfilled FROM fills ORDER BY id COLLATE "C"')),
    positions: num(
      await store.query<Record<string, unknown>>('SELECT asset_id, direction, size, cost, fills, status, payout, realized_pnl FROM positions ORDER BY asset_id COLLATE "C", direction'),
    ),
    portfolio: num(
      await store.query<Record<string, unknown>>(
        'SELECT id, ts, reason, cash, equity, realized_pnl, unrealized_pnl, exposure, peak_equity, drawdown, open_positions FROM portfolio_snapshots ORDER BY ts, id COLLATE "C"',
      ),
    ),
    counts: num(
      await store.query<Record<string, unknown>>(
        `SELECT (SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM fills) AS fills, (SELECT count(*) FROM positions) AS positions,
                (SELECT count(*) FROM portfolio_snapshots) AS portfolio, (SELECT count(*) FROM risk_events) AS risk_events,
                (SELECT count(*) FROM markets) AS markets, (SELECT count(*) FROM resolutions) AS resolutions`,
      ),
    )[0],
  };
}

/** JSONL records in the column names of the tables. */
export function expectedRows(outDir: string) {
  const orders = readJsonl<Order>(join(outDir, 'order.v1.jsonl')).map((o) => ({
    id: o.id, signal_id: o.signalId, asset_id: o.assetId, market: o.market, ts: o.ts, direction: o.direction,
    limit_price: o.limitPrice, size: o.size, stake: o.stake, kelly_fraction: o.kellyFraction,
  }));
  const fills = readJsonl<Fill>(join(outDir, 'fill.v1.jsonl')).map((f) => ({
    id: f.id, order_id: f.orderId, asset_id: f.assetId, market: f.market, ts: f.ts, direction: f.direction,
    price: f.price, size: f.size, fee: f.fee, unfilled: f.unfilled,
  }));
  const portfolio = readJsonl<PortfolioSnapshot>(join(outDir, 'portfolio.v1.jsonl')).map((p) => ({
    id: p.id, ts: p.ts, reason: p.reason, cash: p.cash, equity: p.equity, realized_pnl: p.realizedPnl, unrealized_pnl: p.unrealizedPnl,
    exposure: p.exposure, peak_equity: p.peakEquity, drawdown: p.drawdown, open_positions: p.openPositions,
  }));
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return {
    orders: orders.sort(byId),
    fills: fills.sort(byId),
    portfolio: portfolio.sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    positions: expectedPositions(outDir),
  };
}

/** A run's outputs as they are on disk: every JSONL file and summary.json, by name. */
export const runOutputs = (dir: string): Record<string, string> =>
  Object.fromEntries(
    readdirSync(dir)
      .filter((n) => n.endsWith('.jsonl') || n === 'summary.json')
      .sort()
      .map((n) => [n, readFileSync(join(dir, n), 'utf8')]),
  );

/** Asserts the store holds exactly the run's orders, fills, portfolio snapshots and positions; returns both sides. */
export async function expectStoreHoldsOutputs(store: StateStore, outDir: string): Promise<{ rows: Awaited<ReturnType<typeof storedRows>>; expected: ReturnType<typeof expectedRows> }> {
  const rows = await storedRows(store);
  const expected = expectedRows(outDir);
  expect(rows.orders).toEqual(expected.orders);
  expect(rows.fills).toEqual(expected.fills);
  expect(rows.portfolio).toEqual(expected.portfolio);
  expect(rows.positions).toEqual(expected.positions);
  return { rows, expected };
}
