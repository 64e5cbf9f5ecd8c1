import type { Clock } from './clock.js';
import { TokenBucket, type TokenBucketLimit } from './token-bucket.js';

export interface HostRateLimiterOptions {
  /** Limits per key (a host such as "clob.polymarket.com", or a caller-chosen bucket name). */
  limits?: Record<string, TokenBucketLimit>;
  /** For keys without their own limit; none means such keys are not limited. */
  defaultLimit?: TokenBucketLimit;
  clock: Clock;
}

/**
 * One token bucket per host (or per caller-chosen key), shared by every HttpClient given the same
 * limiter, so two clients of one host stay under its limit together.
 */
export class HostRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly options: HostRateLimiterOptions) {}

  /** Waits until `key` may send one more request. */
  async acquire(key: string, signal?: AbortSignal): Promise<void> {
    const bucket = this.bucketFor(key);
    if (bucket === undefined) return;
    const wait = bucket.reserve();
    if (wait > 0) await this.options.clock.sleep(wait, signal);
  }

  private bucketFor(key: string): TokenBucket | undefined {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      const limit = this.options.limits?.[key] ?? this.options.defaultLimit;
      if (limit === undefined) return undefined;
      bucket = new TokenBucket(limit, this.options.clock);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }
}
