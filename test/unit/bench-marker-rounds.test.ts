import { describe, expect, it } from 'vitest';
import { MarkerRounds } from '../../bench/kafka/marker-rounds.js';

describe('MarkerRounds', () => {
  it('times each round that reached every partition, from the round to its first and last marker written', () => {
    const rounds = new MarkerRounds(3);
    // The round made at 1,000 (marker time 999): partitions written at 1,007, 1,008 and 1,020.
    rounds.marked('prediction.v1', 0, 999, 1_007);
    rounds.marked('prediction.v1', 2, 999, 1_020);
    rounds.marked('prediction.v1', 1, 999, 1_008);
    // The round at 1,020: all three at 1,030.
    for (const p of [0, 1, 2]) rounds.marked('prediction.v1', p, 1_019, 1_030);
    // A round that reached two partitions only (so far): not counted.
    rounds.marked('prediction.v1', 0, 1_039, 1_045);
    rounds.marked('prediction.v1', 1, 1_039, 1_045);
    for (const p of [0, 1, 2]) rounds.marked('features.v1', p, 999, 1_004);
    const all = rounds.summary(0, Number.POSITIVE_INFINITY);
    expect(all['prediction.v1']?.first).toMatchObject({ count: 2, p50: 7, max: 10 });
    expect(all['prediction.v1']?.last).toMatchObject({ count: 2, p50: 10, max: 20 });
    expect(all['features.v1']?.last).toMatchObject({ count: 1, p50: 4 });
    expect(all['fill.v1']).toBeUndefined();
    // Only the rounds made in the window.
    expect(rounds.summary(1_001, 2_000)['prediction.v1']?.last).toMatchObject({ count: 1, p50: 10 });
    expect(rounds.summary(0, 1_000)['prediction.v1']?.last.count).toBe(0);
  });

  it('counts a round passed by a later marker on a partition that skipped it (two rounds read at once, only the later forwarded)', () => {
    const rounds = new MarkerRounds(2);
    rounds.marked('features.v1', 0, 99, 110);
    rounds.marked('features.v1', 0, 119, 125);
    // Partition 1 forwards only the later round: it reached both at 131.
    rounds.marked('features.v1', 1, 119, 131);
    const { last, first } = rounds.summary(0, Number.POSITIVE_INFINITY)['features.v1'] ?? {};
    expect(last).toMatchObject({ count: 2, p50: 11, max: 31 });
    expect(first).toMatchObject({ count: 2, p50: 5, max: 10 });
    // A round first seen after a partition had passed it takes that partition's latest marker's time.
    rounds.marked('features.v1', 1, 159, 170);
    rounds.marked('features.v1', 0, 139, 150);
    rounds.marked('features.v1', 0, 159, 175);
    const later = rounds.summary(140, Number.POSITIVE_INFINITY)['features.v1'];
    expect(later?.last).toMatchObject({ count: 2, p50: 15 });
  });
});
