/**
 * The numbers the simulator is calibrated on, each with the data and statistic it came from
 * (`measureCalibration` in measure-calibration.ts computes them from ../shared/data/polymarket;
 * test/integration/simulator-calibration.test.ts recomputes and compares). Constants marked
 * "assumption" have no source in the available data and are chosen, not measured.
 */

// ---- Measurement conventions (shared by the measurement and the simulator's own statistics) ----

/** Prices are clipped to [0.001, 0.999] before logit, the finest tick in use. */
export const LOGIT_CLIP = 0.001;
/** Volatility is measured only where both prices of a change lie in this range. */
export const MID_RANGE: readonly [number, number] = [0.05, 0.95];
/** An hourly |change in logit| above this is a jump (scaled by sqrt(lag) for other lags). */
export const JUMP_LOGIT_HOURLY = 1.0;

// ---- Order books: yxf9tv-mlb-orderbooks/books_top5.jsonl, 3,227 markets, 217,972 snapshots ----

/** Median top-of-book spread 1 tick (0.01); p90 also 1 tick (217,953 two-sided snapshots). */
export const SPREAD_TICKS_MEDIAN = 1;
/** Share of snapshots with spread 1, 2, 3, 4, 5, 6..10, >10 ticks (same snapshots). */
export const SPREAD_TICKS_PMF: readonly number[] = [0.9694, 0.0241, 0.0037, 0.0012, 0.0002, 0.0008, 0.0006];
/**
 * Size in shares at levels 1..5 from the top, bids and asks pooled: [p25, p50, p75].
 * These MLB books are deep (market makers quote tens of thousands of shares).
 */
export const DEPTH_BY_LEVEL: readonly (readonly [number, number, number])[] = [
  [11_329, 47_099, 111_070],
  [30_560, 77_298, 149_928],
  [14_423, 30_543, 54_864],
  [3_122, 8_549, 21_514],
  [1_043, 2_392, 6_140],
];
/** Distance between consecutive levels (1-2 .. 4-5) of 1, 2, 3, 4, 5+ ticks: 99.3 % are adjacent. */
export const LEVEL_GAP_PMF: readonly number[] = [0.993, 0.004, 0.0005, 0.0002, 0.0022];
/** Interval between snapshots of one market, ms: p10 45,772, p50 67,232, p90 469,543. */
export const SNAPSHOT_INTERVAL_MS: readonly [number, number, number] = [45_772, 67_232, 469_543];

// ---- Price dynamics: emre-agentic-research-platform/prices.jsonl (400 markets, hourly YES, last 72 h) ----

/** Diffusive (|d| <= 1 excluded as jumps) sd of hourly d logit, mid-range, pooled: 0.205 (23,843 steps). */
export const HOURLY_LOGIT_VOL_POOLED = 0.205;
/** Per-market diffusive hourly logit vol (186 markets with >= 10 mid-range steps): median 0.191. */
export const HOURLY_LOGIT_VOL_MEDIAN = 0.191;
/** Per-market dispersion: ln(p75 / p25) / 1.349 with p25 0.113, p75 0.285 -> lognormal sigma. */
export const HOURLY_LOGIT_VOL_SIGMA = 0.685;
/** Share of mid-range hourly steps with |d logit| > 1: 2.27 % (emre); 3.44 % in ochaff 60-min steps. */
export const JUMP_FRACTION_HOURLY = 0.0227;
/** Median |d logit| of those jumps: 1.38. */
export const JUMP_MEDIAN_ABS_LOGIT = 1.38;
/**
 * Hourly logit variance rises toward the close as vol^2(tau) = base^2 + C / tau (tau hours before
 * close): least squares over the 1-6, 6-24, 24-48, 48-72 h bucket variances gives base 0.153,
 * C = 0.379 (bucket vols 0.421, 0.248, 0.194, 0.148).
 */
export const CONVERGENCE_LOGIT_VAR_HOURS = 0.379;
/**
 * Prices have converged by the last point: median |price - outcome| is 0.0005 at the last point
 * and 0.0005 one hour before close (emre), 0.00075 one hour before (ochaff). The simulator reveals
 * the outcome over this final window (variance collapsing linearly to zero).
 */
export const REVEAL_WINDOW_MS = 3_600_000;
/** First price of each series (about 72 h before close): p10 0.0015, p25 0.0065, p50 0.1075, p75 0.411, p90 0.505. */
export const START_PRICE_QUANTILES: readonly number[] = [0.0015, 0.0065, 0.1075, 0.411, 0.505];

// ---- ochaff-fated-btc-daily-bands/prices.jsonl (1,152 series, 1-min, last 24 h) ----

/** Share of 1-minute steps with no change: 76.2 % (828,864 steps). */
export const MINUTE_ZERO_FRACTION = 0.762;
/** Diffusive sd of 60-minute d logit, mid-range: 0.306 (cross-check of the hourly figure). */
export const HOURLY_LOGIT_VOL_MINUTE_SOURCE = 0.306;

// ---- Assumptions (no order-flow or trade stream in the shared data) ----

/** Mispricing of the market against the latent probability: OU in logit, sd and half-life. */
export const MISPRICING_LOGIT_SD = 0.08;
export const MISPRICING_HALF_LIFE_MS = 2 * 3_600_000;
/** How strongly takers lean toward the latent side: P(buy YES) = 0.5 + k * (p_true - p_market). */
export const INFORMED_TAKER_SLOPE = 2;
/** Median taker size in shares (nautilus last_trade_price fixture: 85.36). */
export const TRADE_SIZE_MEDIAN = 80;
export const TRADE_SIZE_SIGMA = 1.3;
/**
 * The live server sends no periodic snapshots (only on subscribe and when trades hit the book);
 * the simulator re-sends a market's books at this multiple of the recorder cadence above.
 */
export const SNAPSHOT_CADENCE_SCALE = 5;
/** Probability that a book snapshot follows a trade (the server sends `book` when a trade hits it). */
export const SNAPSHOT_AFTER_TRADE = 0.25;
/** Websocket receive latency: lognormal median and sigma, ms. */
export const LATENCY_MEDIAN_MS = 45;
export const LATENCY_SIGMA = 0.5;
/** Client PING period; each becomes a `PONG` line. */
export const PING_INTERVAL_MS = 10_000;
/** Tick sizes move to 0.001 when a price passes these bounds (Polymarket's rule near the extremes). */
export const FINE_TICK_BOUNDS: readonly [number, number] = [0.04, 0.96];
