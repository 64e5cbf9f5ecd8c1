import { describe, expect, it } from 'vitest';
import { HostRateLimiter } from './host-rate-limiter.js';
import { ManualClock } from './manual-clock.js';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('serves a burst, then queues callers at the refill rate', () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket({ capacity: 3, refillPerSecond: 2 }, clock);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 0]);
    expect(bucket.reserve()).toBe(500);
    expect(bucket.reserve()).toBe(1_000);
    clock.advance(1_000);
    expect(bucket.available()).toBeCloseTo(0);
    expect(bucket.reserve()).toBe(500);
  });

  it('tells how long until a token is there without taking it', () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket({ capacity: 2, refillPerSecond: 200 }, clock);
    expect(bucket.waitMs()).toBe(0);
    bucket.reserve();
    bucket.reserve();
    expect(bucket.waitMs()).toBe(5);
    expect(bucket.waitMs()).toBe(5);
    // Refilled a millisecond at a time: a fifth of a token each (not exact in binary), whole after 5.
    for (let ms = 1; ms < 5; ms++) {
      clock.advance(1);
      expect(bucket.waitMs()).toBe(5 - ms);
    }
    clock.advance(1);
    expect(bucket.waitMs()).toBe(0);
    expect(bucket.reserve()).toBe(0);
    expect(bucket.waitMs(2)).toBe(10);
    // A shortfall of 0.6 tokens at 20 a second is 30 ms, though 0.6 comes out a hair over in binary.
    const slow = new TokenBucket({ capacity: 2, refillPerSecond: 20 }, clock);
    slow.reserve();
    clock.advance(60);
    slow.reserve();
    clock.advance(10);
    slow.reserve();
    clock.advance(10);
    expect(slow.waitMs()).toBe(30);
  });

  it('refills up to capacity, not beyond', () => {
    const clock = new ManualClock(0);
    const bucket = new TokenBucket({ capacity: 2, refillPerSecond: 10 }, clock);
    bucket.reserve();
    bucket.reserve();
    clock.advance(60_000);
    expect(bucket.available()).toBe(2);
  });

  it('refuses a bucket that can never serve', () => {
    const clock = new ManualClock(0);
    expect(() => new TokenBucket({ capacity: 0, refillPerSecond: 1 }, clock)).toThrow(RangeError);
    expect(() => new TokenBucket({ capacity: 1, refillPerSecond: 0 }, clock)).toThrow(RangeError);
  });
});

describe('HostRateLimiter', () => {
  it('keeps one bucket per host and sleeps on the injected clock', async () => {
    const clock = new ManualClock(0);
    const limiter = new HostRateLimiter({ clock, limits: { 'a.example': { capacity: 1, refillPerSecond: 4 } } });
    await limiter.acquire('a.example');
    await limiter.acquire('a.example');
    await limiter.acquire('a.example');
    // unlimited host: no waits
    for (let i = 0; i < 100; i++) await limiter.acquire('b.example');
    expect(clock.sleeps).toEqual([250, 250]);
    expect(clock.now()).toBe(500);
  });

  it('applies the default limit to unknown hosts, each with its own bucket', async () => {
    const clock = new ManualClock(0);
    const limiter = new HostRateLimiter({ clock, defaultLimit: { capacity: 1, refillPerSecond: 1 } });
    await limiter.acquire('x');
    await limiter.acquire('y');
    expect(clock.sleeps).toEqual([]);
    await limiter.acquire('x');
    expect(clock.sleeps).toEqual([1_000]);
  });

  it('is sustained at the configured rate over many requests', async () => {
    const clock = new ManualClock(0);
    const limiter = new HostRateLimiter({ clock, defaultLimit: { capacity: 10, refillPerSecond: 100 } });
    for (let i = 0; i < 1_010; i++) await limiter.acquire('h');
    // 10 free, then 1,000 at 100/s
    expect(clock.now()).toBeGreaterThanOrEqual(10_000);
    expect(clock.now()).toBeLessThanOrEqual(10_000 + 1_000);
  });
});
