import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../runtime/http/manual-clock.js';
import { RecordedPace } from './recorded-pace.js';

describe('RecordedPace', () => {
  it('waits out the recorded gaps divided by the speed, from the first record on', async () => {
    const clock = new ManualClock(0);
    const pace = new RecordedPace(2, clock);
    for (const recvTs of [10_000, 10_000, 11_000, 15_000, 15_500]) await pace.due(recvTs);
    // 0, 0, 1000/2, then to (5000/2 = 2500), then to 2750.
    expect(clock.sleeps).toEqual([500, 2_000, 250]);
    expect(clock.now()).toBe(2_750);
  });

  it('does not wait for a record that is already late, nor make up for it later', async () => {
    const clock = new ManualClock(0);
    const pace = new RecordedPace(1, clock);
    await pace.due(0);
    clock.advance(5_000); // the publisher was slow
    await pace.due(1_000);
    await pace.due(6_000);
    expect(clock.sleeps).toEqual([1_000]);
  });

  it('refuses a speed that is not a positive number', () => {
    expect(() => new RecordedPace(0, new ManualClock())).toThrow(/speed must be a positive number, got 0/);
    expect(() => new RecordedPace(Number.NaN, new ManualClock())).toThrow(/positive number/);
  });
});
