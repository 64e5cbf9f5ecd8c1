import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { ArbitrageKind } from '../schemas/arbitrage-opportunity.js';
import type { RiskRule } from '../schemas/risk-event.js';
import { ConfigError } from './errors.js';

const RISK_RULES = [
  'kill_switch',
  'stale_book',
  'daily_loss',
  'drawdown',
  'market_cap',
  'event_cap',
  'total_cap',
  'min_size',
  'model_drift',
  'market_resolved',
  'opposing_position',
] as const satisfies readonly RiskRule[];
const ARBITRAGE_KINDS = ['complement_buy', 'complement_sell', 'neg_risk_buy', 'neg_risk_sell', 'duplicate'] as const satisfies readonly ArbitrageKind[];

/**
 * The one config: defaults here, then a JSON file (`--config` or POLYFLOW_CONFIG), then env
 * overrides (`POLYFLOW_<SECTION>_<FIELD>`, e.g. POLYFLOW_RISK_KELLY_FRACTION=0.1), validated once at
 * start. Durations end in Ms, money in Usd, fractions are of equity unless said otherwise.
 * Defaults are embedded so `polyflow replay data/sample` runs on a fresh machine.
 */
const ms = () => z.number().int().positive();
const frac = (value: number) => z.number().min(0).max(1).default(value);

const DEFAULT_TAKER_FEE_RATES: Readonly<Record<string, number>> = {
  crypto: 0.072,
  sports: 0.03,
  politics: 0.04,
  economics: 0.05,
  culture: 0.05,
  weather: 0.05,
  geopolitics: 0,
};

export const ConfigSchema = z.object({
  log: z.object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).prefault({}),
  book: z
    .object({
      /** Liquidity band for depth and signals: ticks from the best price. */
      depthTicks: z.number().int().min(0).default(5),
      maxAssets: z.number().int().positive().default(100_000),
    })
    .prefault({}),
  features: z
    .object({
      /** Trade windows: 1m, 5m, 1h, 24h (VWAP, volume, count). */
      tradeWindowsMs: z.tuple([ms(), ms(), ms(), ms()]).default([60_000, 300_000, 3_600_000, 86_400_000]),
      /** Mid windows: 5m, 1h, 24h (momentum; realized vol over the first two). */
      midWindowsMs: z.tuple([ms(), ms(), ms()]).default([300_000, 3_600_000, 86_400_000]),
      flowHalfLifeMs: z.number().positive().default(60_000),
      /** How far behind an asset's event time a trade may arrive and still count. */
      lateGraceMs: z.number().int().min(0).default(5_000),
    })
    .prefault({}),
  scoring: z
    .object({
      /** An ensemble manifest (.json) or one ONNX model (.onnx); relative paths resolve against the package root. */
      modelPath: z.string().default('models/artifacts/ensemble/manifest.json'),
      /** Feature vectors per model call: a batch is scored once it holds this many... */
      maxBatch: z.number().int().positive().default(256),
      /**
       * ...or this long after its first vector (event time in a replay, wall time live). Also when
       * trade acts on a prediction: this long after its vector's input was received (Prediction.dueTs).
       */
      maxWaitMs: z.number().int().min(0).default(1_000),
      /** Rescore an asset when its mid moved at least this much since its last score... */
      minMidChange: z.number().min(0).default(0.01),
      /** ...or when this much event time passed since it. */
      maxIntervalMs: z.number().int().positive().default(300_000),
    })
    .prefault({}),
  signal: z
    .object({
      minEdge: frac(0.05),
      mediumEdge: frac(0.1),
      strongEdge: frac(0.15),
      /** Shares within `book.depthTicks` on the side a signal would take. */
      minLiquidityShares: z.number().min(0).default(50),
      minConfidence: frac(0),
      cooldownMs: z.number().int().min(0).default(60_000),
    })
    .prefault({}),
  fees: z
    .object({
      /** V2 taker fee rates per category (POLYMARKET.md §0 item 9). */
      /** A partial table overrides only the categories it names; the others keep these defaults. */
      takerFeeRates: z
        .record(z.string(), z.number().min(0).max(1))
        .default(DEFAULT_TAKER_FEE_RATES)
        .transform((rates) => ({ ...DEFAULT_TAKER_FEE_RATES, ...rates })),
      defaultTakerFeeRate: frac(0.05),
    })
    .prefault({}),
  risk: z
    .object({
      bankrollUsd: z.number().positive().default(10_000),
      kellyFraction: frac(0.25),
      maxStakeUsd: z.number().positive().default(500),
      maxMarketExposure: frac(0.05),
      maxEventExposure: frac(0.1),
      maxTotalExposure: frac(0.5),
      maxDailyLoss: frac(0.05),
      maxDrawdown: frac(0.2),
      staleBookMs: z.number().int().positive().default(300_000),
      minOrderShares: z.number().min(0).default(5),
      maxSlippageTicks: z.number().int().min(0).default(1),
      tradeStrengths: z.array(z.enum(['STRONG', 'MEDIUM', 'WEAK'])).default(['STRONG', 'MEDIUM']),
      killSwitch: z.boolean().default(false),
    })
    .prefault({}),
  broker: z.object({ latencyMs: z.number().int().min(0).default(0) }).prefault({}),
  portfolio: z.object({ markIntervalMs: z.number().int().positive().default(60_000) }).prefault({}),
  /**
   * Live sources (POLYMARKET.md B.0 hosts; env POLYMARKET_WS_URL, POLYMARKET_GAMMA_URL,
   * POLYMARKET_CLOB_URL, POLYMARKET_DATA_URL override the endpoints, NEWSAPI_KEY the NewsAPI key).
   */
  live: z
    .object({
      wsUrl: z.string().default('wss://ws-subscriptions-clob.polymarket.com/ws/market'),
      gammaUrl: z.string().default('https://gamma-api.polymarket.com'),
      clobUrl: z.string().default('https://clob.polymarket.com'),
      dataUrl: z.string().default('https://data-api.polymarket.com'),
      httpTimeoutMs: ms().default(20_000),
      /** Market discovery (Gamma keyset listing) every this often. */
      marketRefreshMs: ms().default(300_000),
      minVolumeUsd: z.number().min(0).default(10_000),
      minLiquidityUsd: z.number().min(0).default(1_000),
      /** Only markets ending within this many days; 0: any. */
      maxEndDays: z.number().min(0).default(0),
      /** Gamma tag ids to list (empty: all). */
      tagIds: z.array(z.number().int()).default([]),
      negRisk: z.enum(['include', 'exclude', 'only']).default('include'),
      maxMarkets: z.number().int().positive().default(100),
      /** Assets per websocket (NautilusTrader 200; about 500 is the server's limit). */
      assetsPerConnection: z.number().int().min(1).max(500).default(200),
      pingIntervalMs: ms().default(10_000),
      pongTimeoutMs: ms().default(30_000),
      /** Data watchdog: a connection with no data for this long is reconnected (silent freeze). */
      dataTimeoutMs: ms().default(120_000),
      reconnectBaseMs: ms().default(1_000),
      reconnectMaxMs: ms().default(60_000),
      /** Per-asset gap between two REST /book resyncs. */
      resyncCooldownMs: ms().default(5_000),
      /** Every book is checked against REST /book this often (0: never). */
      bookAuditMs: z.number().int().min(0).default(600_000),
      /** Stale-feed breaker: no book update for this long trips `stale_book`. */
      feedStaleMs: ms().default(120_000),
      feedStaleCheckMs: ms().default(5_000),
      /** Data API large trades: minimum cash size (0: off). */
      whaleMinUsd: z.number().min(0).default(10_000),
      /** Wallets whose trades are polled (proxy wallet addresses). */
      wallets: z.array(z.string()).default([]),
      walletPollMs: ms().default(10_000),
      /** RSS/Atom feed URLs. */
      newsFeeds: z.array(z.string()).default([]),
      newsPollMs: ms().default(300_000),
      newsapiUrl: z.string().default('https://newsapi.org'),
      newsapiQuery: z.string().default('polymarket OR election OR "federal reserve" OR bitcoin OR inflation'),
      /** From env NEWSAPI_KEY; NewsAPI is used only when set. Secret: redacted. */
      newsapiKey: z.string().default(''),
      /** Recorder rotation. */
      recordMaxFileBytes: z.number().int().positive().default(256 * 1024 * 1024),
      recordMaxFileMs: ms().default(3_600_000),
    })
    .prefault({}),
  /**
   * Persisted analytics (DESIGN.md §5): `clickhouse` writes the topics to ClickHouse, a server when
   * `url` is set (env CLICKHOUSE_URL, CLICKHOUSE_USER, CLICKHOUSE_PASSWORD), else embedded chDB at
   * `chdbPath` (default `<out>/chdb`); `files` and `off` write nothing there (the JSONL files of a
   * replay are written either way). `files` is the default of a process without a run folder; a
   * replay defaults to `clickhouse` (REPLAY_DEFAULTS below).
   */
  analytics: z
    .object({
      mode: z.enum(['clickhouse', 'files', 'off']).default('files'),
      url: z.string().default(''),
      username: z.string().default('default'),
      /** Secret: redacted. */
      password: z.string().default(''),
      chdbPath: z.string().default(''),
      /** Name of this run in the tables (a server holds many); default the --out folder's name, `live` live. */
      run: z.string().default(''),
      maxBatchRows: z.number().int().positive().default(10_000),
      flushIntervalMs: ms().default(1_000),
      /** Rows buffered before the sink asks its producer to wait (backpressure). */
      maxBufferRows: z.number().int().positive().default(100_000),
      maxRetries: z.number().int().min(0).default(5),
      retryBaseMs: ms().default(200),
      retryMaxMs: ms().default(10_000),
      /** Top-of-book samples: at most one per asset per this much event time. */
      bookSampleMs: z.number().int().min(0).default(10_000),
      /** Feature vectors are the bulk of the rows; false keeps them out. */
      features: z.boolean().default(true),
    })
    .prefault({}),
  /**
   * Durable state in Postgres (DESIGN §4): account rows, pipeline checkpoints, settings.
   * `off`: none; `pglite`: embedded Postgres in `dir` (a replay keeps it in `<out>/pglite`);
   * `postgres`: the server at `url` (credentials in it are redacted when printed). `off` is the
   * default of a process without a run folder (settings then live in PGlite at `dir`); a replay
   * defaults to `pglite` (REPLAY_DEFAULTS below).
   */
  state: z
    .object({
      kind: z.enum(['off', 'pglite', 'postgres']).default('off'),
      url: z.string().default('postgres://postgres@127.0.0.1:5432/polyflow'),
      dir: z.string().default('state/pglite'),
      poolSize: z.number().int().positive().default(4),
      /** A replay checkpoints its operator state, input offset and outputs every this many records (and at the end). */
      checkpointEveryRecords: z.number().int().positive().default(5_000),
      /** ...or sooner, once this many rows wait to be written: the bound of the sink's buffer. */
      maxBufferedRows: z.number().int().positive().default(10_000),
      /** Connection failures are retried with backoff from `retryBaseMs` up to `retryMaxMs` per wait, for `retryForMs` in all. */
      retryBaseMs: ms().default(100),
      retryMaxMs: ms().default(5_000),
      retryForMs: ms().default(300_000),
    })
    .prefault({}),
  /**
   * The watch pipeline (arbitrage.v1, whale.v1). Edges are fractions of $1 per share set after
   * taker fees; `arbDuplicatePairs` names markets (condition ids) that list the same question twice.
   */
  watch: z
    .object({
      /** An arbitrage exists while its profit per share set, after fees, is above this. */
      arbMinEdge: z.number().min(0).max(1).default(0),
      /** How long an opportunity is considered open after it is seen (its `expiresTs`). */
      arbTtlMs: ms().default(5_000),
      /** Levels walked per leg when sizing. */
      arbMaxLevels: z.number().int().positive().default(50),
      arbDuplicatePairs: z.array(z.tuple([z.string(), z.string()])).default([]),
      /** A trade is large when its notional is at least this much... */
      whaleMinUsd: z.number().min(0).default(1_000),
      /** ...and its size is at least this fraction of the book depth (within `book.depthTicks`) on the side it took. */
      whaleMinDepthRatio: z.number().min(0).default(0.5),
      /** Wallets whose every trade is reported (lower-case proxy wallet addresses). */
      trackedWallets: z.array(z.string()).default([]),
      /** A wallet that made a large trade is tracked from then on. */
      autoTrack: z.boolean().default(true),
      /** Wallets kept in the ranking; the least active are forgotten past this. */
      maxWallets: z.number().int().positive().default(100_000),
    })
    .prefault({}),
  /**
   * The HTTP API (`polyflow api`, or `--api` on a live run). Mutations need `Authorization: Bearer
   * <token>` with the token from env POLYFLOW_API_TOKEN; without one they are refused.
   */
  api: z
    .object({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65_535).default(8787),
      /** Secret (env POLYFLOW_API_TOKEN): redacted when printed, never a setting. */
      token: z.string().default(''),
      /** Origins allowed by CORS; empty: CORS off. */
      corsOrigins: z.array(z.string()).default([]),
      bodyLimitBytes: z.number().int().positive().default(65_536),
      /** Heavy reads (analytics) are cached this long. */
      cacheTtlMs: z.number().int().min(0).default(30_000),
      /** Records of each topic the API keeps in memory (oldest dropped first). */
      maxRecordsPerTopic: z.number().int().positive().default(200_000),
      /** `/ready` fails when the last book update is older than this (live runs only). */
      feedStaleMs: ms().default(120_000),
    })
    .prefault({}),
  /**
   * The alerts pipeline (DESIGN §1): which events become alerts and where they are delivered. No
   * targets: the pipeline does not run. Targets can also come from env POLYFLOW_ALERTS_TARGETS (JSON).
   */
  alerts: z
    .object({
      /** `webhookUrl` is a secret: redacted when printed, never logged. */
      targets: z
        .array(
          z.object({
            name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
            kind: z.enum(['generic', 'slack', 'discord']),
            webhookUrl: z.url({ protocol: /^https?$/ }),
            /** Alerts below this severity are not sent to this target. */
            minSeverity: z.enum(['info', 'warning', 'critical']).default('info'),
          }),
        )
        .default([])
        .refine((targets) => new Set(targets.map((t) => t.name)).size === targets.length, 'target names must be unique'),
      /** Signal strengths that alert (STRONG: warning, others: info). */
      signalStrengths: z.array(z.enum(['STRONG', 'MEDIUM', 'WEAK'])).default(['STRONG']),
      /** Every fill alerts (info). */
      fills: z.boolean().default(true),
      /** Risk events alert when both their rule and their action are listed (trip: critical, block/resize: warning, reset: info). */
      riskRules: z.array(z.enum(RISK_RULES)).default([...RISK_RULES]),
      riskActions: z.array(z.enum(['block', 'resize', 'trip', 'reset'])).default(['trip', 'reset']),
      /** Arbitrage kinds that alert (warning). */
      arbitrageKinds: z.array(z.enum(ARBITRAGE_KINDS)).default([...ARBITRAGE_KINDS]),
      /** Whale kinds that alert (large_trade: warning, tracked_wallet: info). */
      whaleKinds: z.array(z.enum(['large_trade', 'tracked_wallet'])).default(['large_trade']),
      /** Per target: sustained requests per second and burst (every attempt, retries included, takes a token). */
      ratePerSecond: z.number().positive().default(1),
      rateBurst: z.number().int().min(1).default(5),
      /** Attempts per alert and target, the first included; then the alert goes to `dlq.alerts`. */
      maxAttempts: z.number().int().min(1).default(5),
      retryBaseMs: ms().default(500),
      retryMaxMs: ms().default(30_000),
      /** A 429/503 asking to wait longer than this is not waited for: the alert goes to `dlq.alerts`. */
      maxRetryAfterMs: ms().default(120_000),
      timeoutMs: ms().default(10_000),
      /** Alert ids remembered per target so a redelivered event is not sent twice (least recent forgotten first). */
      dedupeCapacity: z.number().int().positive().default(10_000),
      /** Alerts waiting per target; past it new alerts go to `dlq.alerts` (memory stays bounded). */
      maxQueue: z.number().int().positive().default(1_000),
      /** After this many alerts in a row are dead-lettered, a target is skipped (its alerts dead-lettered at once) for `breakerCooldownMs`. */
      breakerFailures: z.number().int().min(1).default(5),
      breakerCooldownMs: ms().default(60_000),
    })
    .prefault({}),
  /**
   * The bus between pipelines (DESIGN §5; env POLYFLOW_BUS_KIND): `memory`, one process over the
   * in-process bus; `kafka`, the broker of the `kafka` section: `polyflow run ingest|watch|alerts`
   * publish to and consume from it as the other pipelines do, and `replay` defaults to `--bus kafka`.
   */
  bus: z.object({ kind: z.enum(['memory', 'kafka']).default('memory') }).prefault({}),
  /**
   * Prometheus endpoint of a `polyflow run <pipeline>` process (env POLYFLOW_METRICS_PORT): `GET
   * /metrics` on `port` (0: none; processes with the HTTP API serve it there instead).
   */
  metrics: z.object({ port: z.number().int().min(0).max(65_535).default(0), host: z.string().default('0.0.0.0') }).prefault({}),
  /**
   * The Kafka bus (`--bus kafka`, `polyflow run <pipeline>`, `polyflow topics`): brokers from here or
   * env KAFKA_BROKERS (comma-separated), schema registry from SCHEMA_REGISTRY_URL (empty: an
   * in-process mock registry, fine for one process, not across processes of one deployment).
   */
  kafka: z
    .object({
      brokers: z.array(z.string()).default(['127.0.0.1:9092']),
      clientId: z.string().default('polyflow'),
      /** Consumer groups are `<groupIdPrefix>.<pipeline>`. */
      groupIdPrefix: z.string().default('polyflow'),
      /** Prepended to every topic name (one broker, many isolated runs). */
      topicPrefix: z.string().default(''),
      schemaRegistryUrl: z.string().default(''),
      partitions: z.number().int().positive().default(4),
      replicationFactor: z.number().int().positive().default(1),
      retentionMs: z.number().int().min(-1).default(7 * 86_400_000),
      sessionTimeoutMs: ms().default(10_000),
      /**
       * How long the coordinator waits in a rebalance for every member to join again. A member joins
       * once the batch in hand has settled (alerts: deliveries with retries and backoff), so this is
       * longer than the session: a member still settling is not evicted (then joining again, a second
       * rebalance, and its batch delivered again by the new owner).
       */
      rebalanceTimeoutMs: ms().default(60_000),
      /**
       * How long a `polyflow run` process may take to read the reference topics, and then to join its
       * consumer group: past either it exits 1 (a supervisor starts it again).
       */
      joinTimeoutMs: ms().default(60_000),
      /** How long the broker may hold a fetch with no data: the latency bound of each hop between pipelines. */
      fetchMaxWaitMs: ms().default(50),
      /**
       * A consumer commits its offsets at most this often while records keep coming (once their
       * outputs are acknowledged), not after every fetched batch: a trickle of input would otherwise
       * be hundreds of commits a second per process. A process that dies reads at most about this
       * much input again (its outputs come again with the same ids and are dropped downstream);
       * stop, checkpoints and rebalances commit at once. 0: after every batch.
       */
      commitIntervalMs: z.number().int().min(0).default(100),
      /** Records per produce request. */
      batchSize: z.number().int().positive().default(500),
      /**
       * Compression of produced record batches: `gzip` (kafkajs's own; consumers of any client read
       * it) stores and moves a fraction of the bytes for CPU on both sides; `none` is the fastest.
       */
      compression: z.enum(['none', 'gzip']).default('none'),
      /** Consumption pauses while more than this many published records await their ack (backpressure). */
      maxBufferedRecords: z.number().int().positive().default(10_000),
      /**
       * At most this many published records wait for the broker: past it the bus fails (the process
       * exits 1 for its supervisor) rather than grow without bound. Consumers pause long before it
       * (`maxBufferedRecords`); it bounds a source (`run ingest`) that cannot pause its feed when
       * the broker is slow but not failing.
       */
      maxQueuedRecords: z.number().int().positive().default(200_000),
      /**
       * Ids remembered per consumed topic: a redelivered record (an id among them) is dropped. A
       * redelivery repeats what an upstream process published but had not committed: at most about
       * its `maxBufferedRecords` plus a batch, so twice that is kept (~4 MB per topic with ids).
       */
      dedupeCapacity: z.number().int().positive().default(20_000),
      /**
       * How long a features member waits for a book or trade record that ingest published before the
       * ones it has fetched (they are handed over in ingest's order, key by key) before it goes on
       * without it: a record lost when ingest died, or a key's first record while the other topic is quiet.
       */
      orderWaitMs: ms().default(500),
      /**
       * A publisher of books and trades marks its progress on every partition of them (progress
       * markers, forwarded by features and predict) soon after it published some (progressPromptMs,
       * at most this long after), and live ingest this often while its markets are quiet. With them
       * (on every process), a trade process places predictions among the books as the embedded run
       * does; 0 turns them off, and trade then acts on each prediction as it arrives.
       */
      progressIntervalMs: z.number().int().min(0).default(100),
      /**
       * With progress markers on: the time between two rounds of them, on average (two may go within
       * it after a quieter spell). A round goes with the books and trades it covers (in their produce
       * request) when it may, else on its own once it may (live, mostly on its own: once the latest
       * book's millisecond is over, so that it covers that book): a book then waits at trade about
       * the stages' latency plus up to this, not a marker interval. Each round is one marker per
       * partition of pm.book, pm.trade and pm.resolution, so a busy publisher writes at most 1000 /
       * progressPromptMs rounds a second. Above progressIntervalMs it is that interval.
       */
      progressPromptMs: z.number().int().min(1).default(20),
      /**
       * With progress markers on: how long a trade process holds a book for the predictions due before
       * it (prediction.v1's progress) before it goes on without them, until predict's progress moves again.
       */
      progressWaitMs: ms().default(5_000),
      /** A consumer-group process with state (`state.kind` not off) checkpoints its operators this often, and on stop. */
      checkpointIntervalMs: ms().default(10_000),
      /**
       * How often a consumer asks the broker for its partitions' lag (polyflow_kafka_consumer_lag_records):
       * one ListOffsets and one OffsetFetch request each time. Prometheus scrapes every 15 s.
       */
      lagProbeMs: ms().default(5_000),
    })
    .prefault({}),
  output: z
    .object({
      /** Topics written as `<out>/<topic>.jsonl` by a replay. */
      topics: z
        .array(z.string())
        .default(['prediction.v1', 'signal.v1', 'order.v1', 'fill.v1', 'portfolio.v1', 'risk.event', 'pm.resolution', 'dlq.ingest', 'arbitrage.v1', 'whale.v1']),
    })
    .prefault({}),
});

export type Config = z.infer<typeof ConfigSchema>;

/**
 * The defaults of `polyflow replay` (memory bus), layered under the file, env, settings and flags:
 * a replay has a run folder, so it keeps its state in PGlite under `<out>/pglite` and its analytics
 * in chDB under `<out>/chdb`, and `polyflow report --out <dir>` works after the one-command run.
 * They are not the schema's defaults because the other commands have no run folder to put them
 * in (live, run, api, settings) or cannot write them yet (`replay --bus kafka`).
 * `POLYFLOW_STATE_KIND=off` / `POLYFLOW_ANALYTICS_MODE=files` (or the file, or `--state off`,
 * `--analytics files`) turn them off.
 */
export const REPLAY_DEFAULTS = { state: { kind: 'pglite' }, analytics: { mode: 'clickhouse' } } as const satisfies {
  readonly state: Partial<Config['state']>;
  readonly analytics: Partial<Config['analytics']>;
};

/** Keys whose values are never printed or logged. */
const SECRET_KEY = /token|secret|password|apikey|api_key|webhook/i;

/**
 * POLYFLOW_<SECTION>_<FIELD> for every leaf of the defaults. A variable naming a known section but
 * no field of it is refused (a typo such as POLYFLOW_RISK_KILLSWITCH must not be silently ignored);
 * POLYFLOW_* variables of no section (POLYFLOW_CONFIG, test settings) are left alone.
 */
export function envOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const defaults = ConfigSchema.parse({}) as Record<string, unknown>;
  const known = new Set<string>();
  for (const [section, fields] of Object.entries(defaults)) {
    if (fields === null || typeof fields !== 'object') continue;
    for (const [field, fallback] of Object.entries(fields as Record<string, unknown>)) {
      const name = `POLYFLOW_${snake(section)}_${snake(field)}`;
      known.add(name);
      const raw = env[name];
      if (raw === undefined) continue;
      const value = typeof fallback === 'string' ? raw : parseEnvValue(name, raw);
      ((out[section] ??= {}) as Record<string, unknown>)[field] = value;
    }
  }
  const sections = Object.keys(defaults).map((section) => `POLYFLOW_${snake(section)}_`);
  for (const name of Object.keys(env)) {
    if (!known.has(name) && sections.some((prefix) => name.startsWith(prefix))) {
      throw new ConfigError(`${name}: no such setting (the ${name.split('_')[1]?.toLowerCase()} section's fields: ${listFields(defaults, name)})`);
    }
  }
  return out;
}

function listFields(defaults: Record<string, unknown>, envName: string): string {
  const section = Object.keys(defaults).find((s) => envName.startsWith(`POLYFLOW_${snake(s)}_`));
  const fields = section === undefined ? {} : (defaults[section] as Record<string, unknown>);
  return Object.keys(fields)
    .map((f) => `POLYFLOW_${snake(section ?? '')}_${snake(f)}`)
    .join(', ');
}

/** Keys of a config file (or override) that name no section or no field of one: typos, refused. */
function unknownKeys(input: Record<string, unknown>): string[] {
  const defaults = ConfigSchema.parse({}) as Record<string, unknown>;
  const unknown: string[] = [];
  for (const [section, fields] of Object.entries(input)) {
    const known = defaults[section];
    if (known === undefined) {
      unknown.push(section);
      continue;
    }
    if (fields === null || typeof fields !== 'object' || Array.isArray(fields) || known === null || typeof known !== 'object') continue;
    for (const field of Object.keys(fields)) if (!(field in known)) unknown.push(`${section}.${field}`);
  }
  return unknown;
}

/** The live endpoints' and secrets' own variables (POLYMARKET_*_URL, NEWSAPI_KEY), plain strings. */
export function liveEnvOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const names: Record<string, string> = {
    POLYMARKET_WS_URL: 'wsUrl',
    POLYMARKET_GAMMA_URL: 'gammaUrl',
    POLYMARKET_CLOB_URL: 'clobUrl',
    POLYMARKET_DATA_URL: 'dataUrl',
    NEWSAPI_KEY: 'newsapiKey',
  };
  const live: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(names)) {
    const value = env[name];
    if (value !== undefined && value !== '') live[field] = value;
  }
  return Object.keys(live).length === 0 ? {} : { live };
}

/** Kafka's own variables: KAFKA_BROKERS (comma-separated host:port), SCHEMA_REGISTRY_URL. */
export function kafkaEnvOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const kafka: Record<string, unknown> = {};
  const brokers = env['KAFKA_BROKERS'];
  if (brokers !== undefined && brokers.trim() !== '') kafka['brokers'] = brokers.split(',').map((b) => b.trim()).filter((b) => b !== '');
  const registry = env['SCHEMA_REGISTRY_URL'];
  if (registry !== undefined && registry !== '') kafka['schemaRegistryUrl'] = registry;
  return Object.keys(kafka).length === 0 ? {} : { kafka };
}

/** ClickHouse's own variables: CLICKHOUSE_URL (which also turns `analytics.mode` to clickhouse), CLICKHOUSE_USER, CLICKHOUSE_PASSWORD. */
export function analyticsEnvOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const analytics: Record<string, unknown> = {};
  const url = env['CLICKHOUSE_URL'];
  if (url !== undefined && url !== '') Object.assign(analytics, { url, mode: 'clickhouse' });
  const user = env['CLICKHOUSE_USER'];
  if (user !== undefined && user !== '') analytics['username'] = user;
  const password = env['CLICKHOUSE_PASSWORD'];
  if (password !== undefined && password !== '') analytics['password'] = password;
  return Object.keys(analytics).length === 0 ? {} : { analytics };
}

function parseEnvValue(name: string, raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    // The value may hold a secret (POLYFLOW_ALERTS_TARGETS carries webhook URLs): never echo those.
    const shown = SECRET_KEY.test(name) || name === 'POLYFLOW_ALERTS_TARGETS' ? '[redacted]' : JSON.stringify(raw);
    throw new ConfigError(`${name}: not a JSON value: ${shown}`);
  }
}

const snake = (key: string): string => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

function mergeDeep(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      v !== null && typeof v === 'object' && !Array.isArray(v) && b !== null && typeof b === 'object' && !Array.isArray(b)
        ? mergeDeep(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/**
 * Reads, merges and validates; throws ConfigError naming every invalid path. Layers, last wins:
 * the schema's defaults, a command's `defaults` (REPLAY_DEFAULTS), the file, env, `overrides`.
 */
export function loadConfig(
  opts: { file?: string | undefined; env?: NodeJS.ProcessEnv; defaults?: Readonly<Record<string, unknown>>; overrides?: Record<string, unknown> } = {},
): Config {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env['POLYFLOW_CONFIG'];
  let fromFile: Record<string, unknown> = {};
  if (file !== undefined && file !== '') {
    try {
      fromFile = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`config file ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const merged = mergeDeep(
    mergeDeep(mergeDeep(mergeDeep(mergeDeep(mergeDeep(opts.defaults ?? {}, fromFile), envOverrides(env)), liveEnvOverrides(env)), analyticsEnvOverrides(env)), kafkaEnvOverrides(env)),
    opts.overrides ?? {},
  );
  const typos = unknownKeys(merged);
  if (typos.length > 0) throw new ConfigError(`invalid config:\n  ${typos.map((k) => `${k}: no such setting`).join('\n  ')}`);
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid config:\n  ${issues.join('\n  ')}`);
  }
  const strengths = parsed.data.signal;
  if (!(strengths.minEdge <= strengths.mediumEdge && strengths.mediumEdge <= strengths.strongEdge)) {
    throw new ConfigError('invalid config:\n  signal: need minEdge <= mediumEdge <= strongEdge');
  }
  return deepFreeze(parsed.data);
}

/** A copy safe to print: secret-looking keys are masked. */
export function redactConfig(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactConfig);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && v !== '' ? '[redacted]' : typeof v === 'string' ? redactUrlPassword(v) : redactConfig(v)]),
  );
}

/** `postgres://user:secret@host/db` -> `postgres://user:[redacted]@host/db`. */
const redactUrlPassword = (s: string): string => s.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]+):[^@\s]+@/i, '$1:[redacted]@');

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
