import type { RunSummary } from '../../schemas/run-summary.js';
import type { ClickHouseClient } from '@clickhouse/client';

/**
 * The figures of one run that `summary.json` also has (same keys), computed by SQL over the
 * tables, with the stream's definitions (operators/analytics.ts, operators/run-summary.ts):
 * - Brier and log loss over `scored_predictions` (received before the market's first resolution,
 *   pModel and pMarket both finite), log loss clipped to [1e-6, 1 - 1e-6];
 * - pnl and equity of the last snapshot in stream order, max_drawdown the largest snapshot drawdown;
 * - win rate: settlement snapshots whose realised PnL rose from the previous snapshot;
 * - Sharpe: daily (UTC) returns of the day's last equity, gap days as 0 returns, the bankroll as
 *   the first base, the day in progress included; mean / sample sd x sqrt(365).
 * Counts are of distinct records (FINAL), so a redelivered record counts once.
 */
/** The figures of `summary.json` that SQL can recompute (not the input counts), and the run's name. */
export type RunReport = { readonly run: string } & Omit<RunSummary, 'events' | 'book_updates' | 'trades'>;

const COUNTS = `
SELECT
  (SELECT uniqExact(market) FROM markets WHERE run = {run:String}) AS markets,
  (SELECT count() FROM dlq FINAL WHERE run = {run:String}) AS dlq,
  (SELECT count() FROM resolutions FINAL WHERE run = {run:String}) AS resolutions,
  (SELECT count() FROM predictions FINAL WHERE run = {run:String}) AS predictions,
  (SELECT count() FROM orders FINAL WHERE run = {run:String}) AS orders,
  (SELECT count() FROM fills FINAL WHERE run = {run:String}) AS fills,
  (SELECT count() FROM risk_events FINAL WHERE run = {run:String}) AS risk_events,
  (SELECT count() FROM resolution_first WHERE run = {run:String}) AS resolved_markets,
  (SELECT argMax(bankroll_usd, session) FROM runs WHERE run = {run:String}) AS bankroll_usd`;

const SIGNALS = `SELECT strength, count() AS n FROM signals FINAL WHERE run = {run:String} GROUP BY strength`;

const FORECASTS = `
WITH 1e-6 AS clip
SELECT
  count() AS n,
  avg(pow(p_model - outcome, 2)) AS brier_model,
  avg(pow(p_market - outcome, 2)) AS brier_market,
  avg(-(outcome * log(least(1 - clip, greatest(clip, p_model))) + (1 - outcome) * log(1 - least(1 - clip, greatest(clip, p_model))))) AS log_loss_model,
  avg(-(outcome * log(least(1 - clip, greatest(clip, p_market))) + (1 - outcome) * log(1 - least(1 - clip, greatest(clip, p_market))))) AS log_loss_market
FROM scored_predictions
WHERE run = {run:String}`;

const ACCOUNT = `
SELECT
  count() AS snapshots,
  argMax(realized_pnl + unrealized_pnl, (session, seq)) AS pnl,
  argMax(equity, (session, seq)) AS equity,
  max(drawdown) AS max_drawdown,
  countIf(reason = 'settlement') AS settled,
  countIf(reason = 'settlement' AND realized_pnl - prev_realized > 0) AS wins,
  if(settled > 0, wins / settled, nan) AS win_rate
FROM
(
  SELECT reason, equity, realized_pnl, unrealized_pnl, drawdown, session, seq,
    lagInFrame(realized_pnl, 1, toInt64(0)) OVER (ORDER BY session, seq ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS prev_realized
  FROM portfolio FINAL
  WHERE run = {run:String}
)`;

/** One row per day that closed (or is in progress): its day number and closing equity, in order. */
const DAILY_CLOSES = `
SELECT day, argMax(equity, (session, seq)) AS close
FROM
(
  SELECT equity, session, seq,
    max(intDiv(toUnixTimestamp64Milli(ts), 86400000)) OVER (ORDER BY session, seq ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS day
  FROM portfolio FINAL
  WHERE run = {run:String}
)
GROUP BY day
ORDER BY day`;

const SHARPE = `
WITH
  arrayMap(i -> closes[i] / if(i = 1, {bankroll:Float64} * 1e6, closes[i - 1]) - 1, arrayEnumerate(closes)) AS returns,
  (days[length(days)] - days[1]) + 1 AS n,
  arraySum(returns) / n AS mean,
  greatest(0, (arraySum(arrayMap(r -> r * r, returns)) - n * mean * mean) / (n - 1)) AS variance
SELECT if(n >= 2 AND variance > 0, mean / sqrt(variance) * sqrt(365), nan) AS sharpe
FROM (SELECT groupArray(day) AS days, groupArray(toFloat64(close)) AS closes FROM (${DAILY_CLOSES}))
WHERE length(days) > 0`;

type Values = Record<string, unknown>;

async function one(client: ClickHouseClient, query: string, params: Values): Promise<Values> {
  const rows = await all(client, query, params);
  return rows[0] ?? {};
}

async function all(client: ClickHouseClient, query: string, params: Values): Promise<Values[]> {
  return (await client.query({ query, query_params: params, format: 'JSONEachRow' })).json<Values>();
}

/** Numbers arrive as JSON numbers (chDB, or a server told not to quote 64-bit ints) or strings: normalised here. NULL/NaN -> NaN. */
const num = (x: unknown): number => (x === null || x === undefined ? NaN : typeof x === 'number' ? x : Number(x));
const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
/** The summary's rounding to 12 significant digits. */
const clean = (x: number | null): number | null => (x === null ? null : Number(x.toPrecision(12)));

export async function queryRunReport(client: ClickHouseClient, run: string): Promise<RunReport> {
  const params = { run };
  const counts = await one(client, COUNTS, params);
  const strengths = new Map((await all(client, SIGNALS, params)).map((r) => [String(r['strength']), num(r['n'])]));
  const forecasts = await one(client, FORECASTS, params);
  const account = await one(client, ACCOUNT, params);
  const bankroll = num(counts['bankroll_usd']);
  const snapshots = num(account['snapshots']);
  const sharpeRow = snapshots > 0 && Number.isFinite(bankroll) ? await one(client, SHARPE, { ...params, bankroll }) : {};
  const scored = num(forecasts['n']);
  const score = (key: string): number | null => (scored > 0 ? clean(finite(num(forecasts[key]))) : null);
  const settled = num(account['settled']);
  const resolutions = num(counts['resolutions']);
  const signals = { STRONG: strengths.get('STRONG') ?? 0, MEDIUM: strengths.get('MEDIUM') ?? 0, WEAK: strengths.get('WEAK') ?? 0 };
  return {
    run,
    markets: num(counts['markets']),
    dlq: num(counts['dlq']),
    resolutions,
    predictions: num(counts['predictions']),
    signals: { ...signals, total: signals.STRONG + signals.MEDIUM + signals.WEAK },
    orders: num(counts['orders']),
    fills: num(counts['fills']),
    risk_events: num(counts['risk_events']),
    pnl: snapshots > 0 ? num(account['pnl']) / 1e6 : 0,
    // Before any snapshot the stream reports the bankroll once something resolved, else nothing.
    equity: snapshots > 0 ? finite(num(account['equity']) / 1e6) : resolutions > 0 ? finite(bankroll) : null,
    max_drawdown: snapshots > 0 ? (clean(num(account['max_drawdown'])) ?? 0) : 0,
    win_rate: clean(finite(num(account['win_rate']))),
    settled_positions: settled,
    sharpe: clean(finite(num(sharpeRow['sharpe']))),
    resolved_markets: num(counts['resolved_markets']),
    scored_predictions: scored,
    brier_model: score('brier_model'),
    brier_market: score('brier_market'),
    log_loss_model: score('log_loss_model'),
    log_loss_market: score('log_loss_market'),
  };
}
