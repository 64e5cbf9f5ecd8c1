import type { SqlQuery } from './sql-client.js';
import type { StateRows } from '../../runtime/state-store.js';
import { notionalMicros } from '../../schemas/units.js';

/*
 * The upserts of one commit. Each table gets one statement whose rows travel as one JSON
 * parameter (`jsonb_to_recordset`), so a batch costs a round trip per table on both drivers.
 * Events are immutable and their ids deterministic: `ON CONFLICT DO NOTHING`. Rows that hold
 * a latest value (markets, risk state) only move forward in event time. Positions are recomputed
 * from every fill and resolution of the touched markets, so they are right however often a
 * batch is redelivered.
 */

/** Last row per key: one statement may not update the same row twice. */
function lastBy<T>(rows: readonly T[], key: (row: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const row of rows) byKey.set(key(row), row);
  return [...byKey.values()];
}

const json = (rows: readonly object[]): string => JSON.stringify(rows);

export async function writeStateRows(tx: SqlQuery, rows: StateRows, account: string): Promise<void> {
  if (rows.markets.length > 0) {
    await tx.query(
      `INSERT INTO markets (market, event_id, question, slug, category, outcomes, asset_ids, tick_size, neg_risk, start_ts, end_ts, ts)
       SELECT market, "eventId", question, slug, category, outcomes, "assetIds", "tickSize", "negRisk", "startTs", "endTs", ts
       FROM jsonb_to_recordset($1::jsonb) AS r(market text, "eventId" text, question text, slug text, category text, outcomes jsonb,
         "assetIds" jsonb, "tickSize" bigint, "negRisk" boolean, "startTs" bigint, "endTs" bigint, ts bigint)
       ON CONFLICT (market) DO UPDATE SET event_id = excluded.event_id, question = excluded.question, slug = excluded.slug,
         category = excluded.category, outcomes = excluded.outcomes, asset_ids = excluded.asset_ids, tick_size = excluded.tick_size,
         neg_risk = excluded.neg_risk, start_ts = excluded.start_ts, end_ts = excluded.end_ts, ts = excluded.ts
       WHERE markets.ts <= excluded.ts`,
      [json(lastBy(rows.markets, (m) => m.market))],
    );
  }
  if (rows.resolutions.length > 0) {
    await tx.query(
      `INSERT INTO resolutions (market, ts, winning_asset_id, winning_outcome)
       SELECT market, ts, "winningAssetId", "winningOutcome"
       FROM jsonb_to_recordset($1::jsonb) AS r(market text, ts bigint, "winningAssetId" text, "winningOutcome" text)
       ON CONFLICT (market) DO NOTHING`,
      [json(lastBy(rows.resolutions, (r) => r.market))],
    );
  }
  if (rows.orders.length > 0) {
    await tx.query(
      `INSERT INTO orders (id, signal_id, asset_id, market, ts, direction, limit_price, size, stake, kelly_fraction)
       SELECT id, "signalId", "assetId", market, ts, direction, "limitPrice", size, stake, "kellyFraction"
       FROM jsonb_to_recordset($1::jsonb) AS r(id text, "signalId" text, "assetId" text, market text, ts bigint, direction text,
         "limitPrice" bigint, size bigint, stake bigint, "kellyFraction" double precision)
       ON CONFLICT (id) DO NOTHING`,
      [json(lastBy(rows.orders, (o) => o.id))],
    );
  }
  if (rows.fills.length > 0) {
    const fills = lastBy(rows.fills, (f) => f.id).map((f) => ({ ...f, cost: notionalMicros(f.price, f.size) + f.fee }));
    await tx.query(
      `INSERT INTO fills (id, order_id, asset_id, market, ts, direction, price, size, fee, unfilled, cost)
       SELECT id, "orderId", "assetId", market, ts, direction, price, size, fee, unfilled, cost
       FROM jsonb_to_recordset($1::jsonb) AS r(id text, "orderId" text, "assetId" text, market text, ts bigint, direction text,
         price bigint, size bigint, fee bigint, unfilled bigint, cost bigint)
       ON CONFLICT (id) DO NOTHING`,
      [json(fills)],
    );
  }
  if (rows.portfolio.length > 0) {
    await tx.query(
      `INSERT INTO portfolio_snapshots (id, account, ts, reason, cash, equity, realized_pnl, unrealized_pnl, exposure, peak_equity, drawdown, open_positions)
       SELECT id, $2, ts, reason, cash, equity, "realizedPnl", "unrealizedPnl", exposure, "peakEquity", drawdown, "openPositions"
       FROM jsonb_to_recordset($1::jsonb) AS r(id text, ts bigint, reason text, cash bigint, equity bigint, "realizedPnl" bigint,
         "unrealizedPnl" bigint, exposure bigint, "peakEquity" bigint, drawdown double precision, "openPositions" integer)
       ON CONFLICT (account, id) DO NOTHING`,
      [json(lastBy(rows.portfolio, (p) => p.id)), account],
    );
  }
  if (rows.riskEvents.length > 0) {
    await tx.query(
      `INSERT INTO risk_events (id, ts, rule, action, reason, signal_id, asset_id, market, event_id)
       SELECT id, ts, rule, action, reason, "signalId", "assetId", market, "eventId"
       FROM jsonb_to_recordset($1::jsonb) AS r(id text, ts bigint, rule text, action text, reason text, "signalId" text,
         "assetId" text, market text, "eventId" text)
       ON CONFLICT (id) DO NOTHING`,
      [json(lastBy(rows.riskEvents, (e) => e.id))],
    );
    const breakers = rows.riskEvents
      .filter((e) => e.action === 'trip' || e.action === 'reset')
      .map((e) => ({ rule: e.rule, scope: e.assetId !== '' ? e.assetId : e.market, tripped: e.action === 'trip', reason: e.reason, ts: e.ts, id: e.id }));
    if (breakers.length > 0) {
      await tx.query(
        `INSERT INTO risk_state (rule, scope, tripped, reason, ts, event_id)
         SELECT rule, scope, tripped, reason, ts, id
         FROM jsonb_to_recordset($1::jsonb) AS r(rule text, scope text, tripped boolean, reason text, ts bigint, id text)
         ON CONFLICT (rule, scope) DO UPDATE SET tripped = excluded.tripped, reason = excluded.reason, ts = excluded.ts, event_id = excluded.event_id
         WHERE risk_state.ts <= excluded.ts`,
        [json(lastBy([...breakers].sort((a, b) => a.ts - b.ts), (b) => `${b.rule}|${b.scope}`))],
      );
    }
  }
  const touched = new Set<string>([...rows.fills.map((f) => f.market), ...rows.resolutions.map((r) => r.market)]);
  if (touched.size > 0) await recomputePositions(tx, [...touched], account);
}

/** Positions of `markets` from all their fills and their resolution: YES wins on the winning token, NO on every other. */
async function recomputePositions(tx: SqlQuery, markets: readonly string[], account: string): Promise<void> {
  await tx.query(
    `WITH p AS (
       SELECT f.asset_id, f.direction, min(f.market) AS market, sum(f.size)::bigint AS size, sum(f.cost)::bigint AS cost,
              count(*)::integer AS fills, min(f.ts) AS opened_ts, max(f.ts) AS last_fill_ts,
              min(r.winning_asset_id) AS winner, min(r.ts) AS resolved_ts
       FROM fills f LEFT JOIN resolutions r ON r.market = f.market
       WHERE f.market IN (SELECT jsonb_array_elements_text($1::jsonb))
       GROUP BY f.asset_id, f.direction
     ), s AS (
       SELECT p.*,
              CASE WHEN winner IS NULL THEN 'open'
                   WHEN (direction = 'YES') = (asset_id = winner) THEN 'won' ELSE 'lost' END AS status
       FROM p
     )
     INSERT INTO positions (account, asset_id, direction, market, size, cost, fills, status, payout, realized_pnl, opened_ts, updated_ts)
     SELECT $2, asset_id, direction, market, size, cost, fills, status,
            CASE WHEN status = 'won' THEN size ELSE 0 END,
            CASE WHEN status = 'open' THEN 0 WHEN status = 'won' THEN size - cost ELSE -cost END,
            opened_ts, greatest(last_fill_ts, coalesce(resolved_ts, last_fill_ts))
     FROM s
     ON CONFLICT (account, asset_id, direction) DO UPDATE SET market = excluded.market, size = excluded.size, cost = excluded.cost,
       fills = excluded.fills, status = excluded.status, payout = excluded.payout, realized_pnl = excluded.realized_pnl,
       opened_ts = excluded.opened_ts, updated_ts = excluded.updated_ts`,
    [JSON.stringify(markets), account],
  );
}
