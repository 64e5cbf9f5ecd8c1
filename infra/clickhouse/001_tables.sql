-- polyflow analytics tables, one per persisted topic (plus the top-of-book sample and the runs).
-- Every row carries `run` (the replay's or live process's name: a server holds many runs),
-- `session` (ms at which the writing sink opened) and `seq` (the order the sink received rows in,
-- across tables: in embedded mode the bus's publish order, which is the order the stream's own
-- analytics saw). Timestamps are event time, DateTime64(3, 'UTC'). Records are at-least-once, so
-- tables whose record has a deterministic id are ReplacingMergeTree on (run, id): read them with
-- FINAL (or argMax) to dedupe. TTLs run on `inserted_at`, never on event time: a replay of an old
-- recording must not be deleted on arrival.

CREATE TABLE IF NOT EXISTS runs
(
    run LowCardinality(String),
    session UInt64,
    started_at DateTime64(3, 'UTC'),
    mode LowCardinality(String),
    bankroll_usd Float64,
    config String
)
ENGINE = ReplacingMergeTree(session)
ORDER BY run;

CREATE TABLE IF NOT EXISTS markets
(
    run LowCardinality(String),
    market String,
    event_id String,
    question String,
    slug String,
    category LowCardinality(String),
    outcomes Array(String),
    asset_ids Array(String),
    tick_size Int64,
    neg_risk Bool,
    start_ts DateTime64(3, 'UTC'),
    end_ts DateTime64(3, 'UTC'),
    ts DateTime64(3, 'UTC'),
    session UInt64,
    seq UInt64,
    inserted_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree(ts)
ORDER BY (run, market);

CREATE TABLE IF NOT EXISTS book_top
(
    run LowCardinality(String),
    asset_id String,
    market String,
    ts DateTime64(3, 'UTC'),
    best_bid Int64 COMMENT 'micro-dollars, -1 when the side is empty',
    best_ask Int64 COMMENT 'micro-dollars, -1 when the side is empty',
    bid_depth Int64,
    ask_depth Int64,
    session UInt64,
    seq UInt64,
    inserted_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree
ORDER BY (run, asset_id, ts)
TTL inserted_at + INTERVAL 90 DAY;

CREATE TABLE IF NOT EXISTS features
(
    run LowCardinality(String),
    id String,
    asset_id String,
    market String,
    ts DateTime64(3, 'UTC'),
    spec_version LowCardinality(String),
    values Array(Nullable(Float64)) COMMENT 'FEATURE_SPEC order; NULL where the stream had NaN',
    best_bid Int64,
    best_ask Int64,
    bid_depth Int64,
    ask_depth Int64,
    session UInt64,
    seq UInt64,
    inserted_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree
ORDER BY (run, id)
TTL inserted_at + INTERVAL 30 DAY;

CREATE TABLE IF NOT EXISTS predictions
(
    run LowCardinality(String),
    id String,
    features_id String,
    asset_id String,
    market String,
    ts DateTime64(3, 'UTC'),
    model_version LowCardinality(String),
    p_model Nullable(Float64) COMMENT 'NULL where the stream had NaN',
    p_market Nullable(Float64) COMMENT 'mid; NULL when a side was empty',
    confidence Float64,
    best_bid Int64,
    best_ask Int64,
    bid_depth Int64,
    ask_depth Int64,
    session UInt64,
    seq UInt64,
    inserted_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree
ORDER BY (run, id);

CREATE TABLE IF NOT EXISTS signals
(
    run LowCardinality(String),
    id String,
    prediction_id String,
    asset_id String,
    market String,
    ts DateTime64(3, 'UTC'),
    direction LowCardinality(String),
    strength LowCardinality(String),
    probability Float64,
    price Int64,
    edge Float64,
    confidence Float64,
    liquidity Int64,
    session UInt64,
    seq UInt64,
    inserted_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree
ORDER BY (run, id);

CREATE TABLE IF NOT EXISTS orders
(
    run LowCardinality(String),
    id String,
    signal_id String,
    asset_id String,
    market String,
    ts DateTime64(3, 'UTC'),
    direction LowCardinality(String),
    limit_price Int64,
    size Int64,
    stake Int64,
    kelly_fraction Float64,
    session UInt64,
    seq UInt64,
    inserted_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree
ORDER BY (run, id);

CREATE TABLE IF NOT EXISTS fills
(
    run LowCardinality(String),
    id String,
    order_id String,
    asset_id String,
    market String,
    ts DateTime64(3, 'UTC'),
    direction LowCardinality(String),
    price Int64,
    size Int64,
    fee Int64,
    unfilled Int64,
    session UInt64,
    seq UInt64,
    inserted_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree
ORDER BY (run, id);

CREATE TABLE IF NOT EXISTS portfolio
(
    run LowCardinality(String),
    id String,
    ts DateTime64(3, 'UTC'),
    reason LowCardinality(String),
    cash Int64,
    equity Int64,
    realized_pnl Int64,
    unrealized_pnl Int64,
    exposure Int64,
    peak_equity Int64,
    drawdown Float64,
    open_positions UInt32,
    session UInt64,
    seq UInt64,
    inserted_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree
ORDER BY (run, id);

CREATE TABLE IF NOT EXISTS risk_events
(
    run LowCardinality(String),
    id String,
    ts DateTime64(3, 'UTC'),
    rule LowCardinality(String),
    action LowCardinality(String),
    reason String,
    signal_id String,
    asset_id String,
    market String,
    event_id String,
    session UInt64,
    seq UInt64,
    inserted_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree
ORDER BY (run, id);

-- A resolution has no id of its own: (market, winning asset, ts) identifies it.
CREATE TABLE IF NOT EXISTS resolutions
(
    run LowCardinality(String),
    market String,
    ts DateTime64(3, 'UTC'),
    winning_asset_id String,
    winning_outcome String,
    session UInt64,
    seq UInt64,
    inserted_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree
ORDER BY (run, market, winning_asset_id, ts);

-- Dead letters have no id either: the hash of the raw input plus source and time stands in.
CREATE TABLE IF NOT EXISTS dlq
(
    run LowCardinality(String),
    source LowCardinality(String),
    ts DateTime64(3, 'UTC'),
    reason String,
    raw String,
    raw_hash UInt64 MATERIALIZED cityHash64(raw),
    session UInt64,
    seq UInt64,
    inserted_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree
ORDER BY (run, source, ts, raw_hash)
TTL inserted_at + INTERVAL 30 DAY;
