import type { Clock } from './clock.js';

export interface TokenBucketLimit {
  /** Burst: tokens available at once. */
  capacity: number;
  /** Sustained rate. */
  refillPerSecond: number;
}

/**
 * A token bucket that hands out reservations: `reserve()` takes a token now and says how long the
 * caller must wait before using it (0 when one was available). The level may go negative, which
 * queues callers in arrival order without any timer of its own.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly limit: TokenBucketLimit,
    private readonly clock: Pick<Clock, 'now'>,
  ) {
    if (!(limit.capacity >= 1) || !(limit.refillPerSecond > 0)) {
      throw new RangeError(`token bucket: capacity must be >= 1 and refillPerSecond > 0, got ${JSON.stringify(limit)}`);
    }
    this.tokens = limit.capacity;
    this.updatedAt = clock.now();
  }

  /** Takes `cost` tokens; returns the ms to wait before they are really available. */
  reserve(cost = 1): number {
    this.refill();
    this.tokens -= cost;
    return this.msFor(-this.tokens);
  }

  /** The whole ms until `cost` tokens are available, without taking them (0: now). */
  waitMs(cost = 1): number {
    return this.msFor(cost - this.available());
  }

  /** Tokens available now (negative while callers are queued). */
  available(): number {
    this.refill();
    return this.tokens;
  }

  /** The whole ms the refill takes to make up `shortfall` tokens (0: none short); float residue of the refill (1e-6 ms) does not add a millisecond. */
  private msFor(shortfall: number): number {
    return Math.max(0, Math.ceil((shortfall / this.limit.refillPerSecond) * 1000 - 1e-6));
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.updatedAt);
    this.updatedAt = now;
    this.tokens = Math.min(this.limit.capacity, this.tokens + (elapsed / 1000) * this.limit.refillPerSecond);
  }
}
