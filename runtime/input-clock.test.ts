import { describe, expect, it } from 'vitest';
import { InputClock } from './input-clock.js';

describe('InputClock', () => {
  it('has no time before its first advance, then never goes back', () => {
    const clock = new InputClock();
    expect(clock.now()).toBeNaN();
    clock.advanceTo(100);
    clock.advanceTo(50);
    clock.advanceTo(Number.NaN);
    expect(clock.now()).toBe(100);
  });

  it('runs waiting work once it passes its time, in time order, with the new time already set; cancelled work never runs', () => {
    const clock = new InputClock();
    const ran: string[] = [];
    clock.after(30, () => ran.push(`b@${clock.now()}`));
    clock.after(10, () => ran.push(`a@${clock.now()}`));
    clock.after(30, () => ran.push(`c@${clock.now()}`));
    clock.after(20, () => ran.push('cancelled')).unsubscribe();
    clock.after(Number.NEGATIVE_INFINITY, () => ran.push(`first@${clock.now()}`));
    clock.advanceTo(30);
    expect(ran).toEqual(['first@30', 'a@30']);
    clock.advanceTo(31);
    expect(ran).toEqual(['first@30', 'a@30', 'b@31', 'c@31']);
  });

  it('runs work that work added, when its time has passed too', () => {
    const clock = new InputClock();
    const ran: number[] = [];
    clock.after(5, () => {
      ran.push(5);
      clock.after(8, () => ran.push(8));
      clock.after(50, () => ran.push(50));
    });
    clock.advanceTo(10);
    expect(ran).toEqual([5, 8]);
  });
});
