import { describe, expect, it } from 'vitest';
import { financeSentiment } from './finance-sentiment.js';

describe('financeSentiment', () => {
  it('scores (positive - negative) / matched words', () => {
    expect(financeSentiment('Shares surge after record profit')).toBe(1);
    expect(financeSentiment('Bank collapse deepens crisis')).toBe(-1);
    expect(financeSentiment('Strong growth despite lawsuit')).toBeCloseTo((2 - 1) / 3);
    expect(financeSentiment('The committee meets on Tuesday')).toBe(0);
  });

  it('flips a word within three tokens after a negator', () => {
    expect(financeSentiment('Earnings did not beat estimates')).toBe(-1);
    expect(financeSentiment("Regulators won't approve the merger")).toBe(-1);
    expect(financeSentiment('No recession expected')).toBe(1);
  });

  it('leaves finance-neutral words alone (tax, cost, liability)', () => {
    expect(financeSentiment('Tax liability and cost of capital')).toBe(0);
  });
});
