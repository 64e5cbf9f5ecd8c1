import { describe, expect, it } from 'vitest';
import { parseLatencyCases, parseOptions } from '../../bench/kafka/options.js';
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

describe('bench:kafka --latency', () => {
  it('reads fetch wait, scoring wait, and the optional marker interval and spacing of each case', () => {
    expect(parseLatencyCases('50:1000,5:0:0,5:0:100:20')).toEqual([
      { fetchWaitMs: 50, scoreWaitMs: 1000, markersMs: undefined, promptMs: undefined },
      { fetchWaitMs: 5, scoreWaitMs: 0, markersMs: 0, promptMs: undefined },
      { fetchWaitMs: 5, scoreWaitMs: 0, markersMs: 100, promptMs: 20 },
    ]);
    expect(parseLatencyCases('')).toEqual([]);
  });

  it('refuses a fifth field, an empty or negative one, and a fractional interval or spacing', () => {
    for (const spec of ['5:0:100:20:1', '5::100', '5:0:-1', '5:0:100:-5', '5:0:100:2.5', '0:0']) {
      expect(() => parseLatencyCases(spec)).toThrow(/--latency: expected fetchMaxWaitMs:scoringMaxWaitMs\[:progressIntervalMs\[:progressPromptMs\]\]/);
    }
  });
});
