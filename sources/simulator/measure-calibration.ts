/**
 * Measures the statistics the simulator is calibrated on, from the real data under
 * `../shared/data/polymarket` (see each folder's SOURCE.md). `calibration.ts` holds the numbers
 * this produced; the integration test recomputes them and checks the constants still match.
 * Only the shared (non-hold-out) files are read.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JUMP_LOGIT_HOURLY, LOGIT_CLIP, MID_RANGE } from './calibration.js';

export interface Quantiles {
  readonly p10: number;
  readonly p25: number;
  readonly p50: number;
  readonly p75: number;
  readonly p90: number;
}

export interface BookCalibration {
  readonly snapshots: number;
  /** Snapshots with both sides non-empty (the ones spreads are measured on). */
  readonly twoSided: number;
  /** Top-of-book spread in 0.01 ticks. */
  readonly spreadTicks: Quantiles;
  /** Share of two-sided snapshots with a spread of 1, 2, 3, 4, 5, 6..10, >10 ticks. */
  readonly spreadPmf: readonly number[];
  /** Size (shares) at level 1..5 from the top, bids and asks pooled. */
  readonly depthByLevel: readonly Quantiles[];
  /** Distance in ticks between consecutive levels (1-2 .. 4-5), pooled: share of 1, 2, 3, 4, 5+. */
  readonly levelGapPmf: readonly number[];
  /** Milliseconds between consecutive snapshots of one market. */
  readonly snapshotIntervalMs: Quantiles;
}

export interface PriceCalibration {
  /** Changes measured (pairs of consecutive points at the nominal spacing). */
  readonly steps: number;
  /** Diffusive sd (jumps excluded) of the hourly change in logit(price), both prices inside MID_RANGE. */
  readonly diffusiveLogitVol: number;
  /** Per-market diffusive sd of the change in logit, markets with >= 10 mid-range steps. */
  readonly perMarketLogitVol: Quantiles;
  readonly perMarketCount: number;
  /** Share of mid-range hourly changes with |d logit| > JUMP_LOGIT_HOURLY. */
  readonly jumpFraction: number;
  /** Median |d logit| of those jumps. */
  readonly jumpMedianAbs: number;
  /** Diffusive sd of hourly d logit by hours before close (mid-range), keyed by bucket label. */
  readonly volByHoursToClose: Readonly<Record<string, number>>;
  /** Median |price - outcome| at 24 h, 6 h and 1 h before close and at the last point. */
  readonly distanceToOutcome: Readonly<Record<string, number>>;
  /** Quantiles of the first price of each series (the state the simulator starts from). */
  readonly startPrice: Quantiles;
  /**
   * Least-squares fit of the bucket variances to vol^2(tau) = base^2 + convergence / tau (tau in
   * hours before close, bucket geometric mids, buckets from 1 h to 72 h).
   */
  readonly volFit: { readonly base: number; readonly convergence: number };
}

export interface MinuteCalibration {
  readonly steps: number;
  /** Share of 1-min steps where the price did not change. */
  readonly zeroFraction: number;
  /** Diffusive sd of the 60-minute change in logit (mid-range), comparable with the hourly series. */
  readonly diffusiveLogitVolHourly: number;
  readonly jumpFractionHourly: number;
  readonly volByHoursToClose: Readonly<Record<string, number>>;
  readonly distanceToOutcome: Readonly<Record<string, number>>;
}

export interface Calibration {
  readonly books: BookCalibration;
  readonly hourly: PriceCalibration;
  readonly minute: MinuteCalibration;
}

export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

export function quantiles(values: number[] | Float64Array): Quantiles {
  const s = Float64Array.from(values).sort();
  return { p10: quantile(s, 0.1), p25: quantile(s, 0.25), p50: quantile(s, 0.5), p75: quantile(s, 0.75), p90: quantile(s, 0.9) };
}

/**
 * Root mean square of the changes no larger than `jump` in absolute value: the sd of the diffusive
 * part of a jump-diffusion (prices that did not move count as zero changes, as they should).
 */
export function diffusiveSd(values: readonly number[], jump: number): number {
  let sum = 0;
  let n = 0;
  for (const v of values) {
    if (Math.abs(v) > jump) continue;
    sum += v * v;
    n++;
  }
  return n === 0 ? NaN : Math.sqrt(sum / n);
}

export const logit = (p: number): number => {
  const c = Math.min(1 - LOGIT_CLIP, Math.max(LOGIT_CLIP, p));
  return Math.log(c / (1 - c));
};

const inMid = (p: number): boolean => p >= MID_RANGE[0] && p <= MID_RANGE[1];

function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

type Level = [number, number];
interface BookLine {
  snapshots: [number, Level[], Level[]][];
}

export function measureBooks(file: string): BookCalibration {
  const spreads: number[] = [];
  const pmf = [0, 0, 0, 0, 0, 0, 0];
  const depth: number[][] = [[], [], [], [], []];
  const gaps = [0, 0, 0, 0, 0];
  const intervals: number[] = [];
  let snapshots = 0;
  for (const line of readJsonl<BookLine>(file)) {
    let prevTs = -1;
    for (const [ts, bids, asks] of line.snapshots) {
      snapshots++;
      if (prevTs >= 0) intervals.push(ts - prevTs);
      prevTs = ts;
      for (const side of [bids, asks]) {
        side.forEach(([price, size], i) => {
          if (i < 5) (depth[i] as number[]).push(size);
          const next = side[i + 1];
          if (next !== undefined && i < 4) {
            const g = Math.round(Math.abs(price - next[0]) * 100);
            gaps[Math.min(5, Math.max(1, g)) - 1]! += 1;
          }
        });
      }
      const bb = bids[0];
      const ba = asks[0];
      if (bb === undefined || ba === undefined) continue;
      const ticks = Math.round((ba[0] - bb[0]) * 100);
      spreads.push(ticks);
      pmf[ticks <= 5 ? Math.max(0, ticks - 1) : ticks <= 10 ? 5 : 6]! += 1;
    }
  }
  const gapTotal = gaps.reduce((a, b) => a + b, 0);
  return {
    snapshots,
    twoSided: spreads.length,
    spreadTicks: quantiles(spreads),
    spreadPmf: pmf.map((c) => c / spreads.length),
    depthByLevel: depth.map((d) => quantiles(d)),
    levelGapPmf: gaps.map((c) => c / gapTotal),
    snapshotIntervalMs: quantiles(intervals),
  };
}

interface SeriesLine {
  market_id: string;
  outcome: string;
  series: [number, number][];
}
interface MarketLine {
  market_id: string;
  end_date: string;
  winning_outcome: string;
}

const HOUR_BUCKETS: readonly [string, number, number][] = [
  ['48-72h', 48, 72],
  ['24-48h', 24, 48],
  ['6-24h', 6, 24],
  ['1-6h', 1, 6],
  ['0-1h', 0, 1],
];

interface SeriesStats {
  steps: number;
  mid: number[];
  perMarket: number[];
  jumps: number[];
  byBucket: Map<string, number[]>;
  distance: Map<string, number[]>;
  starts: number[];
  zeroSteps: number;
}

/**
 * Changes of logit(YES price) between points `lag` apart (seconds, +-15%) for each YES series of
 * `dir`, with hours-to-close measured from the market's end_date.
 */
function seriesStats(dir: string, lag: number): SeriesStats {
  const markets = new Map(readJsonl<MarketLine>(join(dir, 'markets.jsonl')).map((m) => [m.market_id, m]));
  const out: SeriesStats = { steps: 0, mid: [], perMarket: [], jumps: [], byBucket: new Map(), distance: new Map(), starts: [], zeroSteps: 0 };
  for (const [label] of HOUR_BUCKETS) out.byBucket.set(label, []);
  for (const label of ['24h', '6h', '1h', 'last']) out.distance.set(label, []);
  for (const s of readJsonl<SeriesLine>(join(dir, 'prices.jsonl'))) {
    if (s.outcome !== 'Yes') continue;
    const m = markets.get(s.market_id);
    if (m === undefined || s.series.length < 2) continue;
    const end = Date.parse(m.end_date) / 1000;
    const y = m.winning_outcome === 'Yes' ? 1 : 0;
    out.starts.push((s.series[0] as [number, number])[1]);
    const own: number[] = [];
    // Points are regularly spaced; step by index and check the gap.
    const stride = Math.max(1, Math.round(lag / Math.max(1, (s.series[1] as [number, number])[0] - (s.series[0] as [number, number])[0])));
    for (let i = stride; i < s.series.length; i++) {
      const [t0, p0] = s.series[i - stride] as [number, number];
      const [t1, p1] = s.series[i] as [number, number];
      const dt = t1 - t0;
      if (dt < lag * 0.85 || dt > lag * 1.15) continue;
      out.steps++;
      const d = logit(p1) - logit(p0);
      if (p1 === p0) out.zeroSteps++;
      if (!inMid(p0) || !inMid(p1)) continue;
      out.mid.push(d);
      own.push(d);
      if (Math.abs(d) > JUMP_LOGIT_HOURLY * Math.sqrt(lag / 3600)) out.jumps.push(Math.abs(d));
      const hoursLeft = (end - t1) / 3600;
      for (const [label, lo, hi] of HOUR_BUCKETS) if (hoursLeft >= lo && hoursLeft < hi) out.byBucket.get(label)!.push(d);
    }
    if (own.length >= 10) out.perMarket.push(diffusiveSd(own, JUMP_LOGIT_HOURLY * Math.sqrt(lag / 3600)));
    const at = (hoursBefore: number): number | undefined => {
      const target = end - hoursBefore * 3600;
      let best: number | undefined;
      for (const [t, p] of s.series) if (t <= target && t > target - 2 * 3600) best = p;
      return best;
    };
    for (const [label, h] of [['24h', 24], ['6h', 6], ['1h', 1]] as const) {
      const p = at(h);
      if (p !== undefined) out.distance.get(label)!.push(Math.abs(p - y));
    }
    out.distance.get('last')!.push(Math.abs((s.series[s.series.length - 1] as [number, number])[1] - y));
  }
  return out;
}

/** Regresses bucket variance on 1/tau over the buckets between 1 h and 72 h before close. */
export function fitConvergence(vol: Readonly<Record<string, number>>): { base: number; convergence: number } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const [label, lo, hi] of HOUR_BUCKETS) {
    const v = vol[label];
    if (lo < 1 || v === undefined || !Number.isFinite(v)) continue;
    xs.push(1 / Math.sqrt(lo * hi));
    ys.push(v * v);
  }
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    sxx += ((xs[i] as number) - mx) ** 2;
  }
  const slope = sxy / sxx;
  return { base: Math.sqrt(Math.max(0, my - slope * mx)), convergence: slope };
}

const median = (v: number[]): number => quantile(Float64Array.from(v).sort(), 0.5);

export function measureHourly(dir: string): PriceCalibration {
  const s = seriesStats(dir, 3600);
  return {
    steps: s.steps,
    diffusiveLogitVol: diffusiveSd(s.mid, JUMP_LOGIT_HOURLY),
    perMarketLogitVol: quantiles(s.perMarket),
    perMarketCount: s.perMarket.length,
    jumpFraction: s.jumps.length / s.mid.length,
    jumpMedianAbs: median(s.jumps),
    volByHoursToClose: Object.fromEntries([...s.byBucket].map(([k, v]) => [k, diffusiveSd(v, JUMP_LOGIT_HOURLY)])),
    distanceToOutcome: Object.fromEntries([...s.distance].map(([k, v]) => [k, median(v)])),
    startPrice: quantiles(s.starts),
    volFit: fitConvergence(Object.fromEntries([...s.byBucket].map(([k, v]) => [k, diffusiveSd(v, JUMP_LOGIT_HOURLY)]))),
  };
}

export function measureMinute(dir: string): MinuteCalibration {
  const oneMin = seriesStats(dir, 60);
  const hourly = seriesStats(dir, 3600);
  return {
    steps: oneMin.steps,
    zeroFraction: oneMin.zeroSteps / oneMin.steps,
    diffusiveLogitVolHourly: diffusiveSd(hourly.mid, JUMP_LOGIT_HOURLY),
    jumpFractionHourly: hourly.jumps.length / hourly.mid.length,
    volByHoursToClose: Object.fromEntries([...hourly.byBucket].filter(([, v]) => v.length > 0).map(([k, v]) => [k, diffusiveSd(v, JUMP_LOGIT_HOURLY)])),
    distanceToOutcome: Object.fromEntries([...hourly.distance].map(([k, v]) => [k, median(v)])),
  };
}

/** All calibration statistics from `dataRoot` (the `data/polymarket` folder). */
export function measureCalibration(dataRoot: string): Calibration {
  return {
    books: measureBooks(join(dataRoot, 'yxf9tv-mlb-orderbooks', 'books_top5.jsonl')),
    hourly: measureHourly(join(dataRoot, 'emre-agentic-research-platform')),
    minute: measureMinute(join(dataRoot, 'ochaff-fated-btc-daily-bands')),
  };
}
