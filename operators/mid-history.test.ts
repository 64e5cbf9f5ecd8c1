import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { advanceMidHistory, createMidHistory, midMomentum, midRealizedVol, recordMid } from './mid-history.js';

describe('mid history', () => {
  it('is NaN before any mid and 0 vol with a single one', () => {
    const h = createMidHistory([1_000]);
    expect(midRealizedVol(h, 0)).toBeNaN();
    expect(midMomentum(h, 0, 1_000_000)).toBeNaN();
    recordMid(h, 0, 1_000_000);
    expect(midRealizedVol(h, 0)).toBe(0);
    expect(midMomentum(h, 0, 1_000_000)).toBeNaN(); // nothing at or before -1 000
    advanceMidHistory(h, 1_000);
    expect(midMomentum(h, 0, 1_100_000)).toBeCloseTo(0.05, 15); // anchor: the sample exactly at 0
  });

  it('equals a brute-force recomputation over the full sample list', () => {
    const stepArb = fc.record({
      dt: fc.oneof(fc.integer({ min: 0, max: 3_000 }), fc.integer({ min: 0, max: 3 }).map((k) => k * 1_000)),
      mid2: fc.integer({ min: 2, max: 1_999_998 }),
      query: fc.boolean(),
    });
    const windowsArb = fc.uniqueArray(fc.oneof(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 10 }).map((k) => k * 1_000)), {
      minLength: 1,
      maxLength: 3,
    });
    fc.assert(
      fc.property(windowsArb, fc.array(stepArb, { maxLength: 120 }), (windows, steps) => {
        const h = createMidHistory(windows, 1);
        const all: { ts: number; mid2: number }[] = [];
        let now = 0;
        for (const s of steps) {
          now += s.dt;
          if (s.query) advanceMidHistory(h, now);
          else {
            recordMid(h, now, s.mid2);
            all.push({ ts: now, mid2: s.mid2 });
          }
          const current = all[all.length - 1]?.mid2 ?? NaN;
          windows.forEach((w, i) => {
            const anchor = all.filter((x) => x.ts <= now - w).pop();
            const mom = anchor === undefined ? NaN : (current - anchor.mid2) / 2e6;
            let sq = 0;
            all.forEach((x, k) => {
              if (k > 0 && x.ts > now - w) sq += (x.mid2 - all[k - 1]!.mid2) ** 2;
            });
            const vol = all.length === 0 ? NaN : Math.sqrt(sq) / 2e6;
            const gotMom = midMomentum(h, i, current);
            if (Number.isNaN(mom)) expect(gotMom).toBeNaN();
            else expect(gotMom).toBeCloseTo(mom, 12);
            if (Number.isNaN(vol)) expect(midRealizedVol(h, i)).toBeNaN();
            else expect(midRealizedVol(h, i)).toBeCloseTo(vol, 12);
          });
        }
      }),
      { numRuns: 200 },
    );
  });
});
