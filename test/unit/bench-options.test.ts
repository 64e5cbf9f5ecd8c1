import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../bench/kafka/options.js';
import { STAGES } from '../../bench/kafka/origin-clock.js';

describe('bench:kafka --stages', () => {
  it('reads every stage by default, and the ones listed when given', () => {
    expect(parseOptions([]).stages).toEqual(STAGES);
    expect(parseOptions(['--stages', 'fill.v1']).stages).toEqual(['fill.v1']);
    expect(parseOptions(['--stages', 'prediction.v1, fill.v1']).stages).toEqual(['prediction.v1', 'fill.v1']);
  });

  it('refuses a stage it does not measure, or none', () => {
    expect(() => parseOptions(['--stages', 'signal.v1'])).toThrow(/--stages: some of features\.v1, prediction\.v1, fill\.v1, not "signal\.v1"/);
    expect(() => parseOptions(['--stages', ''])).toThrow(/--stages/);
  });
});
