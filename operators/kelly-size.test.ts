import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PriceMicros, UsdMicros } from '../schemas/units.js';
import { kellyFraction, kellyLogGrowth, kellyStake, sizeForStake } from './kelly-size.js';

const prob = fc.double({ min: 0, max: 1, noNaN: true });
const cost = fc.double({ min: 0.001, max: 0.999, noNaN: true });
const priceMicros = fc.integer({ min: 1_000, max: 999_000 });
const feePerShare = fc.double({ min: 0, max: 0.02, noNaN: true });
const equity = fc.integer({ min: 0, max: 1e12 });
const kellyMult = fc.double({ min: 0, max: 1, noNaN: true });
const maxStake = fc.oneof(fc.integer({ min: 0, max: 1e12 }), fc.constant(Number.POSITIVE_INFINITY));

describe('kellyFraction', () => {
  it('matches f* = (p - c) / (1 - c) on hand-computed cases', () => {
    expect(kellyFraction(0.75, 0.5)).toBe(0.5);
    expect(kellyFraction(0.6, 0.2)).toBeCloseTo(0.5, 15);
    // p 0.7 at $0.50 plus the crypto fee 0.072 × 0.25 = 0.018: (0.7 - 0.518) / 0.482 = 91/241.
    expect(kellyFraction(0.7, 0.518)).toBeCloseTo(91 / 241, 15);
    expect(kellyFraction(1, 0.3)).toBe(1);
  });

  it('is 0 for no edge, a cost of 1 or more, and NaN', () => {
    expect(kellyFraction(0.5, 0.5)).toBe(0);
    expect(kellyFraction(0.4, 0.5)).toBe(0);
    expect(kellyFraction(1, 1)).toBe(0);
    expect(kellyFraction(Number.NaN, 0.5)).toBe(0);
    expect(kellyFraction(0.7, Number.NaN)).toBe(0);
  });

  it('is zero when p <= c', () => {
    fc.assert(
      fc.property(cost, prob, (c, u) => {
        expect(kellyFraction(u * c, c)).toBe(0);
      }),
    );
  });

  it('stays in [0, 1] and is monotone in p', () => {
    fc.assert(
      fc.property(prob, prob, cost, (a, b, c) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const fLo = kellyFraction(lo, c);
        const fHi = kellyFraction(hi, c);
        expect(fLo).toBeGreaterThanOrEqual(0);
        expect(fHi).toBeLessThanOrEqual(1);
        expect(fLo).toBeLessThanOrEqual(fHi);
      }),
    );
  });

  it('maximises expected log-growth: G(f*) >= G(f) for nearby and arbitrary f', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (p, c, other) => {
          const fStar = kellyFraction(p, c);
          const g = kellyLogGrowth(p, c, fStar);
          const tol = 1e-12;
          for (const d of [-1e-3, -1e-6, 1e-6, 1e-3]) {
            const f = fStar + d;
            if (f >= 0 && f < 1) expect(g).toBeGreaterThanOrEqual(kellyLogGrowth(p, c, f) - tol);
          }
          expect(g).toBeGreaterThanOrEqual(kellyLogGrowth(p, c, other) - tol);
        },
      ),
    );
  });
});

describe('kellyStake', () => {
  it('sizes quarter Kelly on equity, floored to micro units', () => {
    // f* = 0.5; 0.25 × 0.5 × $1000 = $125, which buys 250 shares at $0.50.
    expect(kellyStake({ probability: 0.75, price: 500_000 as PriceMicros, feePerShare: 0, equity: 1e9 as UsdMicros, fraction: 0.25, maxStake: Infinity })).toEqual({
      kellyFraction: 0.5,
      cost: 0.5,
      stake: 125_000_000,
      size: 250_000_000,
    });
    // With the crypto fee: cost 0.518, f* = 91/241, stake = floor(0.25 × 91/241 × 1e9) = floor(94_398_340.24),
    // size = floor(94_398_340 / 0.518) = floor(182_236_177.6).
    const k = kellyStake({ probability: 0.7, price: 500_000 as PriceMicros, feePerShare: 0.018, equity: 1e9 as UsdMicros, fraction: 0.25, maxStake: Infinity });
    expect(k.stake).toBe(94_398_340);
    expect(k.size).toBe(182_236_177);
    expect(k.kellyFraction).toBeCloseTo(91 / 241, 15);
  });

  it('caps at maxStake and stakes nothing without equity or edge', () => {
    const base = { probability: 0.75, price: 500_000 as PriceMicros, feePerShare: 0, equity: 1e9 as UsdMicros, fraction: 0.25 };
    expect(kellyStake({ ...base, maxStake: 40_000_000 })).toMatchObject({ stake: 40_000_000, size: 80_000_000 });
    expect(kellyStake({ ...base, maxStake: Infinity, equity: -5 as UsdMicros })).toMatchObject({ stake: 0, size: 0 });
    expect(kellyStake({ ...base, maxStake: Infinity, probability: 0.5 })).toMatchObject({ stake: 0, size: 0, kellyFraction: 0 });
  });

  it('sizeForStake floors to whole micro-shares', () => {
    expect(sizeForStake(10_000_000, 0.52)).toBe(19_230_769);
    expect(sizeForStake(0, 0.5)).toBe(0);
    expect(sizeForStake(10, 0)).toBe(0);
  });

  it('never exceeds fraction · equity nor maxStake, and the shares never cost more than the stake', () => {
    fc.assert(
      fc.property(prob, priceMicros, feePerShare, equity, kellyMult, maxStake, (p, price, fee, eq, mult, max) => {
        const k = kellyStake({ probability: p, price: price as PriceMicros, feePerShare: fee, equity: eq as UsdMicros, fraction: mult, maxStake: max });
        expect(Number.isInteger(k.stake)).toBe(true);
        expect(Number.isInteger(k.size)).toBe(true);
        expect(k.stake).toBeGreaterThanOrEqual(0);
        expect(k.stake).toBeLessThanOrEqual(mult * eq);
        expect(k.stake).toBeLessThanOrEqual(max);
        expect(k.size * k.cost).toBeLessThanOrEqual(k.stake * (1 + 1e-12));
      }),
    );
  });

  it('is zero when p <= all-in cost', () => {
    fc.assert(
      fc.property(priceMicros, feePerShare, prob, equity, (price, fee, u, eq) => {
        const c = price / 1e6 + fee;
        const k = kellyStake({ probability: Math.min(1, u * c), price: price as PriceMicros, feePerShare: fee, equity: eq as UsdMicros, fraction: 1, maxStake: Infinity });
        expect(k.stake).toBe(0);
        expect(k.size).toBe(0);
      }),
    );
  });

  it('stake is monotone in p', () => {
    fc.assert(
      fc.property(prob, prob, priceMicros, feePerShare, equity, kellyMult, maxStake, (a, b, price, fee, eq, mult, max) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const at = (p: number) =>
          kellyStake({ probability: p, price: price as PriceMicros, feePerShare: fee, equity: eq as UsdMicros, fraction: mult, maxStake: max });
        expect(at(lo).stake).toBeLessThanOrEqual(at(hi).stake);
        expect(at(lo).size).toBeLessThanOrEqual(at(hi).size);
      }),
    );
  });
});
