/**
 * Latency percentiles of one run (ms; null when there is no sample). `late`: the share of samples
 * that arrived after the input stopped. A path that keeps up with the input delivers nearly all of
 * them while it runs; a large share means it fell behind, and what was measured is mostly queueing.
 */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number | null;
  readonly p99: number | null;
  readonly max: number | null;
  readonly late: number;
}

/** Collects latencies (ms); nearest-rank percentiles. */
export class LatencySamples {
  private readonly values: number[] = [];
  private lateCount = 0;

  /** `late`: it arrived after the input stopped. */
  add(ms: number, late: boolean): void {
    this.values.push(ms);
    if (late) this.lateCount++;
  }

  summary(): LatencySummary {
    const sorted = [...this.values].sort((a, b) => a - b);
    const rank = (q: number): number | null => (sorted.length === 0 ? null : Math.round((sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? NaN) * 10) / 10);
    const late = sorted.length === 0 ? 0 : Math.round((this.lateCount / sorted.length) * 1000) / 1000;
    return { count: sorted.length, p50: rank(0.5), p99: rank(0.99), max: rank(1), late };
  }
}

/** More than 5% of the samples after the input stopped: the path fell behind the input rate. */
export const fellBehind = (s: LatencySummary): boolean => s.late > 0.05;
