import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff-delay.js';

const policy = { baseDelayMs: 100, maxDelayMs: 1_000 };

describe('backoffDelay', () => {
  it('doubles per retry between half and all of the ceiling', () => {
    expect(backoffDelay(1, policy, () => 0)).toBe(50);
    expect(backoffDelay(1, policy, () => 0.999999)).toBe(100);
    expect(backoffDelay(2, policy, () => 0)).toBe(100);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(300);
  });

  it('never exceeds maxDelayMs', () => {
    for (let retry = 1; retry < 40; retry++) expect(backoffDelay(retry, policy, () => 0.999999)).toBeLessThanOrEqual(1_000);
    expect(backoffDelay(30, policy, () => 0)).toBe(500);
  });
});
