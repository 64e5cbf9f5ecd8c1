import { describe, expect, it } from 'vitest';
import { formatThroughput } from './format-summary.js';

describe('formatThroughput', () => {
  it('rates every event of a run from the first record', () => {
    expect(formatThroughput(30_000, undefined, 2.5)).toBe('30,000 events in 2.50 s (12,000 events/s)');
  });

  it('rates only the events after the checkpoint of a resumed run', () => {
    expect(formatThroughput(30_000, 20_000, 2)).toBe('30,000 events; resumed after event 20,000: 10,000 events in 2.00 s (5,000 events/s)');
  });

  it('gives no rate when the checkpoint was at the end of the input', () => {
    expect(formatThroughput(30_000, 30_000, 0.01)).toBe('30,000 events; resumed at the end of the input, nothing left to replay (0.01 s)');
  });
});
