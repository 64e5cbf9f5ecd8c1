-- polyflow state (DESIGN §4): the trading account's rows, written as idempotent upserts keyed by
-- event id, and the pipelines' checkpoints. Money and sizes are integer micro-units (bigint).

CREATE TABLE IF NOT EXISTS markets (
  market            text PRIMARY KEY,
  event_id          text NOT NULL,
  question          text NOT NULL,
  slug              text NOT NULL,
  category          text NOT NULL,
  outcomes          jsonb NOT NULL,
  asset_ids         jsonb NOT NULL,
  tick_size         bigint NOT NULL,
  neg_risk          boolean NOT NULL,
  start_ts          bigint NOT NULL,
  end_ts            bigint NOT NULL,
  ts                bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS resolutions (
  market            text PRIMARY KEY,
  ts                bigint NOT NULL,
  winning_asset_id  text NOT NULL,
  winning_outcome   text NOT NULL
);

CREATE TABLE IF NOT EXISTS orders (
  id                text PRIMARY KEY,
  signal_id         text NOT NULL,
  asset_id          text NOT NULL,
  market            text NOT NULL,
  ts                bigint NOT NULL,
  direction         text NOT NULL CHECK (direction IN ('YES', 'NO')),
  limit_price       bigint NOT NULL,
  size              bigint NOT NULL,
  stake             bigint NOT NULL,
  kelly_fraction    double precision NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_market_ts ON orders (market, ts);

CREATE TABLE IF NOT EXISTS fills (
  id                text PRIMARY KEY,
  order_id          text NOT NULL,
  asset_id          text NOT NULL,
  market            text NOT NULL,
  ts                bigint NOT NULL,
  direction         text NOT NULL CHECK (direction IN ('YES', 'NO')),
  price             bigint NOT NULL,
  size              bigint NOT NULL,
  fee               bigint NOT NULL,
  unfilled          bigint NOT NULL,
  -- notional (price * size / 1e6, rounded) + fee: what the fill debited from cash.
  cost              bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS fills_position ON fills (asset_id, direction);

-- One row per (account, token, direction), recomputed from `fills` and `resolutions` in the
-- transaction that writes them, so it is idempotent by construction.
CREATE TABLE IF NOT EXISTS positions (
  account           text NOT NULL,
  asset_id          text NOT NULL,
  direction         text NOT NULL CHECK (direction IN ('YES', 'NO')),
  market            text NOT NULL,
  size              bigint NOT NULL,
  cost              bigint NOT NULL,
  fills             integer NOT NULL,
  status            text NOT NULL CHECK (status IN ('open', 'won', 'lost')),
  payout            bigint NOT NULL,
  realized_pnl      bigint NOT NULL,
  opened_ts         bigint NOT NULL,
  updated_ts        bigint NOT NULL,
  PRIMARY KEY (account, asset_id, direction)
);

CREATE TABLE IF NOT EXISTS portfolio_snapshots (
  id                text NOT NULL,
  account           text NOT NULL,
  ts                bigint NOT NULL,
  reason            text NOT NULL,
  cash              bigint NOT NULL,
  equity            bigint NOT NULL,
  realized_pnl      bigint NOT NULL,
  unrealized_pnl    bigint NOT NULL,
  exposure          bigint NOT NULL,
  peak_equity       bigint NOT NULL,
  drawdown          double precision NOT NULL,
  open_positions    integer NOT NULL,
  PRIMARY KEY (account, id)
);
CREATE INDEX IF NOT EXISTS portfolio_snapshots_ts ON portfolio_snapshots (account, ts);

CREATE TABLE IF NOT EXISTS risk_events (
  id                text PRIMARY KEY,
  ts                bigint NOT NULL,
  rule              text NOT NULL,
  action            text NOT NULL,
  reason            text NOT NULL,
  signal_id         text NOT NULL,
  asset_id          text NOT NULL,
  market            text NOT NULL,
  event_id          text NOT NULL
);

-- The breakers' current state: the latest trip or reset per (rule, scope), scope = asset, market or ''.
CREATE TABLE IF NOT EXISTS risk_state (
  rule              text NOT NULL,
  scope             text NOT NULL,
  tripped           boolean NOT NULL,
  reason            text NOT NULL,
  ts                bigint NOT NULL,
  event_id          text NOT NULL,
  PRIMARY KEY (rule, scope)
);

-- Operator settings changed at run time (`polyflow settings set <key> <json>`), keyed by config path.
CREATE TABLE IF NOT EXISTS settings (
  key               text PRIMARY KEY,
  value             jsonb NOT NULL,
  updated_at        timestamptz NOT NULL DEFAULT now()
);

-- Filled by the models issue: one row per trained model version.
CREATE TABLE IF NOT EXISTS models (
  version           text PRIMARY KEY,
  name              text NOT NULL,
  feature_spec      text NOT NULL,
  artifact_path     text NOT NULL,
  artifact_sha256   text NOT NULL,
  data_from_ts      bigint,
  data_to_ts        bigint,
  metrics           jsonb NOT NULL DEFAULT '{}'::jsonb,
  status            text NOT NULL DEFAULT 'candidate',
  created_at        timestamptz NOT NULL DEFAULT now()
);

-- A pipeline's operator state and the input offset (and output positions) it reflects, written
-- in the same transaction as the rows above.
CREATE TABLE IF NOT EXISTS pipeline_checkpoints (
  pipeline          text PRIMARY KEY,
  seq               bigint NOT NULL,
  input_id          text NOT NULL,
  input_offset      bigint NOT NULL,
  output_positions  jsonb NOT NULL,
  clock_ms          double precision NOT NULL,
  complete          boolean NOT NULL,
  -- deflate-raw of v8.serialize (structured clone) of the operator and pipeline state.
  state             bytea NOT NULL,
  updated_at        timestamptz NOT NULL DEFAULT now()
);
