/**
 * One asset's mid-price history for momentum and realized volatility over event-time windows.
 *
 * The mid is kept as `bid + ask` in micros (twice the mid, an exact integer) and sampled when it
 * changes. A sample's change is its difference from the previous sample. For a window w at event
 * time `now`:
 * - momentum = mid now - mid at the window's start, the last sample at or before `now - w`
 *   (NaN when the history does not reach back that far);
 * - realized vol = sqrt(sum of squared simple mid changes of the samples in (now - w, now]), in
 *   price units (fraction of 1). Simple changes rather than log-odds: they are integers here, so
 *   the running sum of squares is exact under eviction. The first change in the window is taken
 *   from the sample before it, so momentum is the sum of the same changes vol squares.
 * Samples stay in a growable typed-array ring; each window keeps a tail and a running sum, so
 * recording and advancing are O(windows) amortised.
 */

export interface MidHistory {
  /** Number of windows. */
  readonly size: number;
  /**
   * Samples interleaved, `REC` numbers each: ts, bid + ask (micros), squared change of that from
   * the previous sample (0 for the first). One array per asset: a cold asset costs a cache miss per
   * array touched. Absolute position p lives at `(p & mask) * REC`.
   */
  ring: Float64Array;
  mask: number;
  /** Retained absolute positions are [start, head); the sample before each tail is kept as its anchor. */
  start: number;
  head: number;
  /** Per window, `WIN` numbers: length, tail (first sample inside), sum of squared changes inside. */
  readonly win: Float64Array;
  /** Newest event time seen, -Infinity before any. */
  nowTs: number;
}

const REC = 3;
const R_TS = 0;
const R_MID2 = 1;
const R_SQ = 2;
const WIN = 3;
const W_LEN = 0;
const W_TAIL = 1;
const W_SUM = 2;

export function createMidHistory(windowsMs: readonly number[], initialCapacity = 16): MidHistory {
  for (const w of windowsMs) {
    if (!(w > 0) || !Number.isFinite(w)) throw new RangeError(`window length must be positive and finite, got ${w}`);
  }
  let cap = 1;
  while (cap < initialCapacity) cap *= 2;
  const win = new Float64Array(windowsMs.length * WIN);
  windowsMs.forEach((w, i) => (win[i * WIN + W_LEN] = w));
  return { size: windowsMs.length, ring: new Float64Array(cap * REC), mask: cap - 1, start: 0, head: 0, win, nowTs: -Infinity };
}

function grow(h: MidHistory): void {
  const cap = (h.mask + 1) * 2;
  const mask = cap - 1;
  const ring = new Float64Array(cap * REC);
  for (let p = h.start; p < h.head; p++) {
    const from = (p & h.mask) * REC;
    ring.set(h.ring.subarray(from, from + REC), (p & mask) * REC);
  }
  h.mask = mask;
  h.ring = ring;
}

/** Moves event time to `ts` (if later) and evicts samples that left every window. */
export function advanceMidHistory(h: MidHistory, ts: number): void {
  if (ts <= h.nowTs) return;
  h.nowTs = ts;
  const { win, ring, mask, head } = h;
  let keep = head;
  for (let o = 0; o < h.size * WIN; o += WIN) {
    const edge = ts - win[o + W_LEN]!;
    let tail = win[o + W_TAIL]!;
    let sum = win[o + W_SUM]!;
    while (tail < head) {
      const r = (tail & mask) * REC;
      if (ring[r + R_TS]! > edge) break;
      sum -= ring[r + R_SQ]!;
      tail++;
    }
    win[o + W_TAIL] = tail;
    win[o + W_SUM] = sum;
    if (tail - 1 < keep) keep = tail - 1;
  }
  if (keep > h.start) h.start = keep;
}

/**
 * Records the mid (as bid + ask, micros) at event time `ts`; a ts earlier than the newest seen is
 * taken as the newest (the history stays in time order). An unchanged mid adds nothing: the
 * previous sample already stands for it.
 */
export function recordMid(h: MidHistory, ts: number, mid2: number): void {
  advanceMidHistory(h, ts);
  const hasPrev = h.head > h.start;
  const prev = hasPrev ? h.ring[((h.head - 1) & h.mask) * REC + R_MID2]! : NaN;
  if (hasPrev && prev === mid2) return;
  if (h.head - h.start > h.mask) grow(h);
  const d = hasPrev ? mid2 - prev : 0;
  const r = (h.head & h.mask) * REC;
  h.ring[r + R_TS] = h.nowTs;
  h.ring[r + R_MID2] = mid2;
  h.ring[r + R_SQ] = d * d;
  h.head++;
  for (let o = 0; o < h.size * WIN; o += WIN) h.win[o + W_SUM]! += d * d;
}

/** Mid now minus mid at the start of window i (fraction of 1); `mid2Now` is the current bid + ask. */
export function midMomentum(h: MidHistory, i: number, mid2Now: number): number {
  const anchor = (h.win[i * WIN + W_TAIL] ?? NaN) - 1;
  if (!(anchor >= h.start) || anchor >= h.head) return NaN;
  return (mid2Now - h.ring[(anchor & h.mask) * REC + R_MID2]!) / 2_000_000;
}

/** Realized volatility over window i (fraction of 1); NaN before any mid was recorded. */
export function midRealizedVol(h: MidHistory, i: number): number {
  if (h.head === 0) return NaN;
  return Math.sqrt(Math.max(0, h.win[i * WIN + W_SUM] ?? NaN)) / 2_000_000;
}
