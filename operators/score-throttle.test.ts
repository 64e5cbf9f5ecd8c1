import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { FeatureVector } from '../schemas/feature-vector.js';
import { vectorWithMid } from '../test/helpers/feature-vectors.js';
import { scoreThrottle } from './score-throttle.js';

describe('scoreThrottle', () => {
  const opts = { minMidChange: 0.01, maxIntervalMs: 60_000 };

  it('passes the first vector of an asset, material mid moves, and vectors after the max interval', () => {
    const a0 = vectorWithMid('a', 0, 0.5);
    const a1 = vectorWithMid('a', 1_000, 0.505); // moved 0.005 < 0.01: held back
    const a2 = vectorWithMid('a', 2_000, 0.511); // moved 0.011 from the last scored 0.5: scored
    const b0 = vectorWithMid('b', 2_500, 0.2); // another asset: its own first
    const a3 = vectorWithMid('a', 61_999, 0.511); // 59.999 s after the last score: held back
    const a4 = vectorWithMid('a', 62_000, 0.511); // 60 s after: scored
    const nan = vectorWithMid('c', 3_000, Number.NaN); // no mid: never scored
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(({ cold, expectObservable }) => {
      const input = cold('a b c d e f g|', { a: a0, b: a1, c: a2, d: b0, e: nan, f: a3, g: a4 });
      expectObservable(input.pipe(scoreThrottle(opts))).toBe('a - c d - - g|', { a: a0, c: a2, d: b0, g: a4 });
    });
  });

  it('measures a move from the last scored mid, not the last seen one', () => {
    const seen: number[] = [];
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ cold }) => {
      const mids = [0.5, 0.506, 0.512, 0.509, 0.523];
      const input = cold<FeatureVector>('abcde|', Object.fromEntries(mids.map((m, i) => ['abcde'[i], vectorWithMid('a', i * 10, m)])));
      input.pipe(scoreThrottle(opts)).subscribe((v) => seen.push(v.ts));
    });
    // 0.5 scored; 0.506 (+0.006) no; 0.512 (+0.012) yes; 0.509 (-0.003) no; 0.523 (+0.011) yes.
    expect(seen).toEqual([0, 20, 40]);
  });
});
