export interface BackoffPolicy {
  /** Delay before the first retry, before jitter. */
  baseDelayMs: number;
  /** Ceiling of any single delay. */
  maxDelayMs: number;
}

/**
 * Exponential backoff with "equal jitter": the n-th retry (1-based) waits between half and all of
 * min(max, base * 2^(n-1)). Half is kept so retries never collapse to zero; the random half spreads
 * clients that failed together. `random` returns [0, 1).
 */
export function backoffDelay(retry: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  const half = ceiling / 2;
  return Math.round(half + half * random());
}
