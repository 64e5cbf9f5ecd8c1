import { describe, expect, it } from 'vitest';
import { ReplayScheduler } from './replay-scheduler.js';

describe('ReplayScheduler', () => {
  it('fires timers due by the new time in time order, then sits at that time', () => {
    const s = new ReplayScheduler(1_000);
    const fired: Array<[string, number]> = [];
    s.schedule(() => fired.push(['b', s.now()]), 300);
    s.schedule(() => fired.push(['a', s.now()]), 100);
    s.schedule(() => fired.push(['c', s.now()]), 900);
    s.advanceTo(1_500);
    expect(fired).toEqual([
      ['a', 1_100],
      ['b', 1_300],
    ]);
    expect(s.now()).toBe(1_500);
    s.advanceTo(1_900);
    expect(fired.at(-1)).toEqual(['c', 1_900]);
  });

  it('never goes back in time', () => {
    const s = new ReplayScheduler(5_000);
    s.advanceTo(4_000);
    expect(s.now()).toBe(5_000);
  });

  it('schedules relative to the current virtual time', () => {
    const s = new ReplayScheduler(0);
    s.advanceTo(10_000);
    let at = -1;
    s.schedule(() => (at = s.now()), 250);
    s.advanceTo(10_249);
    expect(at).toBe(-1);
    s.advanceTo(10_250);
    expect(at).toBe(10_250);
  });
});
