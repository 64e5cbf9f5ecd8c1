-- The watch pipeline's topics (arbitrage.v1, whale.v1), same conventions as 001: `run`, `session`
-- and `seq` added by the sink, event-time DateTime64(3, 'UTC'), ReplacingMergeTree on (run, id)
-- because both records carry a deterministic id (read with FINAL). Money and sizes stay integer
-- micros as on the topic; NaN (a whale trade with no known book) becomes NULL.

CREATE TABLE IF NOT EXISTS arbitrage
(
    run LowCardinality(String),
    id String,
    ts DateTime64(3, 'UTC'),
    kind LowCardinality(String),
    markets Array(String),
    event_id String,
    edge Float64 COMMENT 'profit per share set after fees, fraction of 1',
    size Int64 COMMENT 'micro-shares',
    expires_ts DateTime64(3, 'UTC'),
    profit Int64 COMMENT 'micro-dollars, after taker fees',
    asset_ids Array(String),
    prices Array(Int64) COMMENT 'micro-dollars, best price of each leg',
    limit_prices Array(Int64) COMMENT 'micro-dollars, worst price of each leg reached when sizing',
    session UInt64,
    seq UInt64,
    inserted_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree
ORDER BY (run, id);

CREATE TABLE IF NOT EXISTS whales
(
    run LowCardinality(String),
    id String,
    ts DateTime64(3, 'UTC'),
    wallet String,
    asset_id String,
    market String,
    size Int64 COMMENT 'micro-shares',
    notional Int64 COMMENT 'micro-dollars',
    depth_ratio Nullable(Float64) COMMENT 'NULL when no book was known',
    kind LowCardinality(String),
    source LowCardinality(String),
    side LowCardinality(String),
    price Int64 COMMENT 'micro-dollars per share',
    wallet_volume Int64,
    wallet_realized_pnl Int64,
    wallet_rank UInt32,
    position Int64 COMMENT 'micro-shares',
    session UInt64,
    seq UInt64,
    inserted_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree
ORDER BY (run, id);
