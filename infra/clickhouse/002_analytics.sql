-- Analytics over the tables of 001. Predictions, signals and resolutions arrive in any order
-- relative to each other (a market resolves long after its predictions), and a materialized view
-- only sees the block being inserted into its one source table, so anything joined to resolutions
-- is a plain VIEW computed at query time. Portfolio curves come from one table and use only
-- idempotent aggregates (argMax, max, min), so they are a real MATERIALIZED VIEW: a redelivered
-- row cannot change them. (A count-per-hour MV over signals is deliberately absent: a
-- SummingMergeTree would count a redelivered signal twice, while `signals FINAL` does not.)

-- First resolution of each market in the order the stream saw it (the stream ignores later ones).
CREATE VIEW IF NOT EXISTS resolution_first AS
SELECT
    run,
    market,
    argMin(winning_asset_id, (session, seq)) AS winning_asset_id,
    argMin(ts, (session, seq)) AS resolved_ts,
    min((session, seq)) AS resolved_at
FROM resolutions FINAL
GROUP BY run, market;

-- The rows the stream scores: predictions of a resolved market received before its resolution,
-- with both the model's and the market's probability finite; `outcome` 1 when the asset won.
CREATE VIEW IF NOT EXISTS scored_predictions AS
SELECT
    p.run AS run,
    p.id AS id,
    p.market AS market,
    p.asset_id AS asset_id,
    p.ts AS ts,
    r.resolved_ts AS resolved_ts,
    assumeNotNull(p.p_model) AS p_model,
    assumeNotNull(p.p_market) AS p_market,
    toUInt8(p.asset_id = r.winning_asset_id) AS outcome
FROM (SELECT run, id, market, asset_id, ts, p_model, p_market, session, seq FROM predictions FINAL) AS p
INNER JOIN resolution_first AS r ON p.run = r.run AND p.market = r.market
WHERE (p.session, p.seq) < r.resolved_at AND p.p_model IS NOT NULL AND p.p_market IS NOT NULL;

-- Calibration, model vs market: ten buckets of forecast probability [b/10, (b+1)/10), 1.0 in the last.
CREATE VIEW IF NOT EXISTS calibration_buckets AS
SELECT
    run,
    forecaster,
    bucket,
    bucket / 10 AS bucket_low,
    count() AS n,
    avg(p) AS mean_p,
    avg(outcome) AS observed
FROM
(
    SELECT
        run,
        outcome,
        arrayJoin([('model', p_model), ('market', p_market)]) AS fp,
        fp.1 AS forecaster,
        fp.2 AS p,
        least(toUInt8(floor(p * 10)), 9) AS bucket
    FROM scored_predictions
)
GROUP BY run, forecaster, bucket;

-- Brier score per UTC day of the forecast, model and market on the same rows.
CREATE VIEW IF NOT EXISTS brier_daily AS
SELECT
    run,
    toDate(ts, 'UTC') AS day,
    count() AS n,
    avg(pow(p_model - outcome, 2)) AS brier_model,
    avg(pow(p_market - outcome, 2)) AS brier_market
FROM scored_predictions
GROUP BY run, day;

-- Signal hit rate by strength and market category: a YES signal hits when its asset wins, a NO
-- signal when it loses. Only signals received before their market's resolution.
CREATE VIEW IF NOT EXISTS signal_hit_rate AS
SELECT
    s.run AS run,
    s.strength AS strength,
    if(m.category = '', 'unknown', m.category) AS category,
    count() AS signals,
    countIf(s.hit) AS hits,
    avg(s.hit) AS hit_rate,
    avg(s.edge) AS mean_edge
FROM
(
    SELECT
        sg.run AS run,
        sg.market AS market,
        sg.strength AS strength,
        sg.edge AS edge,
        toUInt8((sg.direction = 'YES') = (sg.asset_id = r.winning_asset_id)) AS hit
    FROM (SELECT run, market, asset_id, direction, strength, edge, session, seq FROM signals FINAL) AS sg
    INNER JOIN resolution_first AS r ON sg.run = r.run AND sg.market = r.market
    WHERE (sg.session, sg.seq) < r.resolved_at
) AS s
LEFT JOIN (SELECT run, market, argMax(category, ts) AS category FROM markets GROUP BY run, market) AS m
    ON s.run = m.run AND s.market = m.market
GROUP BY run, strength, category;

-- PnL, equity, exposure and drawdown per minute of event time (last snapshot of the minute in
-- stream order; the worst drawdown within it).
CREATE TABLE IF NOT EXISTS portfolio_1m
(
    run LowCardinality(String),
    minute DateTime('UTC'),
    equity AggregateFunction(argMax, Int64, Tuple(UInt64, UInt64)),
    pnl AggregateFunction(argMax, Int64, Tuple(UInt64, UInt64)),
    exposure AggregateFunction(argMax, Int64, Tuple(UInt64, UInt64)),
    drawdown AggregateFunction(argMax, Float64, Tuple(UInt64, UInt64)),
    max_drawdown SimpleAggregateFunction(max, Float64),
    min_equity SimpleAggregateFunction(min, Int64)
)
ENGINE = AggregatingMergeTree
ORDER BY (run, minute);

-- The source columns are renamed first: an alias equal to a column name would shadow it.
CREATE MATERIALIZED VIEW IF NOT EXISTS portfolio_1m_mv TO portfolio_1m AS
SELECT
    run,
    toStartOfMinute(ts) AS minute,
    argMaxState(eq, (session, seq)) AS equity,
    argMaxState(pnl_total, (session, seq)) AS pnl,
    argMaxState(expo, (session, seq)) AS exposure,
    argMaxState(dd, (session, seq)) AS drawdown,
    max(dd) AS max_drawdown,
    min(eq) AS min_equity
FROM
(
    SELECT run, ts, session, seq, equity AS eq, realized_pnl + unrealized_pnl AS pnl_total, exposure AS expo, drawdown AS dd
    FROM portfolio
)
GROUP BY run, minute;

-- The curve Grafana plots: dollars, one row per minute with snapshots.
CREATE VIEW IF NOT EXISTS equity_curve AS
SELECT
    r AS run,
    m AS minute,
    equity_usd,
    pnl_usd,
    exposure_usd,
    dd_last AS drawdown,
    dd_max AS max_drawdown,
    min_equity_usd
FROM
(
    SELECT
        run AS r,
        minute AS m,
        argMaxMerge(equity) / 1e6 AS equity_usd,
        argMaxMerge(pnl) / 1e6 AS pnl_usd,
        argMaxMerge(exposure) / 1e6 AS exposure_usd,
        argMaxMerge(portfolio_1m.drawdown) AS dd_last,
        max(portfolio_1m.max_drawdown) AS dd_max,
        min(portfolio_1m.min_equity) / 1e6 AS min_equity_usd
    FROM portfolio_1m
    GROUP BY r, m
);
