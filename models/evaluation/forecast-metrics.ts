// Proper scores and calibration of probability forecasts against 0/1 outcomes.

export interface Forecast {
  readonly p: number;
  readonly y: 0 | 1;
}

const EPS = 1e-15;

export function brier(ps: readonly number[], ys: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < ps.length; i++) s += (ps[i]! - ys[i]!) ** 2;
  return s / ps.length;
}

export function logLoss(ps: readonly number[], ys: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < ps.length; i++) {
    const q = Math.min(Math.max(ps[i]!, EPS), 1 - EPS);
    s -= ys[i]! === 1 ? Math.log(q) : Math.log(1 - q);
  }
  return s / ps.length;
}

export interface CalibrationBin {
  readonly lo: number;
  readonly hi: number;
  readonly n: number;
  readonly meanP: number;
  readonly freq: number;
}

/** Equal-width bins over [0, 1] (p = 1 falls in the last); empty bins have n = 0 and NaN means. */
export function calibrationTable(ps: readonly number[], ys: readonly number[], bins = 10): CalibrationBin[] {
  const n = new Array<number>(bins).fill(0);
  const sp = new Array<number>(bins).fill(0);
  const sy = new Array<number>(bins).fill(0);
  for (let i = 0; i < ps.length; i++) {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(ps[i]! * bins)));
    n[b]!++;
    sp[b]! += ps[i]!;
    sy[b]! += ys[i]!;
  }
  return n.map((c, b) => ({ lo: b / bins, hi: (b + 1) / bins, n: c, meanP: c > 0 ? sp[b]! / c : NaN, freq: c > 0 ? sy[b]! / c : NaN }));
}

/** Expected calibration error: row-weighted mean |mean p - frequency| over the bins. */
export function ece(table: readonly CalibrationBin[]): number {
  let total = 0;
  let s = 0;
  for (const b of table) {
    if (b.n === 0) continue;
    total += b.n;
    s += b.n * Math.abs(b.meanP - b.freq);
  }
  return total > 0 ? s / total : NaN;
}

/** Seeded PRNG (mulberry32): the bootstrap is reproducible. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Paired bootstrap of mean(brier_model - brier_market) over rows, resampling whole groups (events)
 * with replacement: rows of one event are correlated, so they move together. Percentile 95% CI.
 */
export function pairedBootstrapBrierDiff(
  rows: readonly { readonly group: string; readonly pModel: number; readonly pMarket: number; readonly y: number }[],
  opts: { readonly iterations?: number; readonly seed?: number } = {},
): { diff: number; low: number; high: number; iterations: number; groups: number } {
  const byGroup = new Map<string, { sum: number; n: number }>();
  let total = 0;
  for (const r of rows) {
    const d = (r.pModel - r.y) ** 2 - (r.pMarket - r.y) ** 2;
    total += d;
    const g = byGroup.get(r.group) ?? { sum: 0, n: 0 };
    g.sum += d;
    g.n++;
    byGroup.set(r.group, g);
  }
  const groups = [...byGroup.values()];
  const iterations = opts.iterations ?? 2000;
  const rand = mulberry32(opts.seed ?? 1);
  const stats: number[] = [];
  for (let b = 0; b < iterations; b++) {
    let s = 0;
    let n = 0;
    for (let i = 0; i < groups.length; i++) {
      const g = groups[Math.floor(rand() * groups.length)]!;
      s += g.sum;
      n += g.n;
    }
    stats.push(s / n);
  }
  stats.sort((a, b) => a - b);
  const q = (f: number): number => stats[Math.min(stats.length - 1, Math.max(0, Math.round(f * (stats.length - 1))))]!;
  return { diff: total / rows.length, low: q(0.025), high: q(0.975), iterations, groups: groups.length };
}
