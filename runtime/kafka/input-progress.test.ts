import { describe, expect, it } from 'vitest';
import { AwaitedProgress } from './awaited-progress.js';
import { InputProgress } from './input-progress.js';

describe('InputProgress', () => {
  it('gives the least progress of the books and the predictions once every partition of both is marked, rising only', () => {
    const predictions = new AwaitedProgress(2);
    const input = new InputProgress(2, predictions);
    expect(input.orderedMarker(0, 500)).toBeUndefined();
    expect(input.orderedMarker(1, 400)).toBeUndefined();
    // The predictions have not been marked on every partition: nothing is known of them yet.
    predictions.saw(0, 1_000);
    expect(input.awaitedMoved()).toBeUndefined();
    predictions.saw(1, 450);
    expect(input.awaitedMoved()).toBe(400);
    // Books behind the predictions: the books' least progress.
    expect(input.orderedMarker(1, 700)).toBe(450);
    expect(input.orderedMarker(0, 800)).toBeUndefined();
    predictions.saw(1, 900);
    expect(input.awaitedMoved()).toBe(700);
    // A marker behind what was seen moves nothing.
    expect(input.orderedMarker(1, 600)).toBeUndefined();
  });

  it("after clear(), reads the books again from their markers (the predictions' progress is cleared by its owner)", () => {
    const predictions = new AwaitedProgress(1);
    const input = new InputProgress(1, predictions);
    predictions.saw(0, 2_000);
    expect(input.orderedMarker(0, 1_500)).toBe(1_500);
    input.clear();
    expect(input.orderedMarker(0, 1_200)).toBe(1_200);
  });

  it('restores the markers a checkpoint saw, of both topics, and gives only times past them', () => {
    const predictions = new AwaitedProgress(2);
    const input = new InputProgress(2, predictions);
    predictions.saw(0, 900);
    predictions.saw(1, 800);
    input.orderedMarker(0, 700);
    expect(input.orderedMarker(1, 750)).toBe(700);
    const saved = input.snapshot();
    expect(saved).toEqual({ ordered: [[0, 700], [1, 750]], awaited: [[0, 900], [1, 800]], alongside: [] });

    // A member restored from it: the bus clears both, then restores.
    const restoredPredictions = new AwaitedProgress(2);
    const restored = new InputProgress(2, restoredPredictions);
    restored.restore(saved);
    expect(restoredPredictions.progress).toBe(800);
    // Without the restore one marker of one partition would give nothing (the other's unknown).
    expect(restored.orderedMarker(0, 760)).toBe(750);
    expect(restored.orderedMarker(1, 740)).toBeUndefined();
  });

  it('waits for every partition of the topics merged with the books (the resolutions), and keeps them in a checkpoint', () => {
    const predictions = new AwaitedProgress(1);
    const input = new InputProgress(1, predictions, new Map([['pm.resolution', 2]]));
    predictions.saw(0, 5_000);
    expect(input.awaitedMoved()).toBeUndefined();
    expect(input.orderedMarker(0, 3_000)).toBeUndefined();
    expect(input.alongsideMarker('pm.resolution', 0, 2_500)).toBeUndefined();
    // A resolution received before 3 s may still come on partition 1.
    expect(input.alongsideMarker('pm.resolution', 1, 3_200)).toBe(2_500);
    expect(input.alongsideMarker('pm.resolution', 0, 3_400)).toBe(3_000);
    const saved = input.snapshot();
    expect(saved.alongside).toEqual([['pm.resolution', [[0, 3_400], [1, 3_200]]]]);

    const restored = new InputProgress(1, new AwaitedProgress(1), new Map([['pm.resolution', 2]]));
    restored.restore(saved);
    expect(restored.orderedMarker(0, 4_000)).toBe(3_200);
    // A checkpoint taken before the resolutions counted: they had progressed as far as the books then
    // (its markers are not read again, and after a finished input no other marker may come).
    const { alongside: _, ...older } = saved;
    const fromOlder = new InputProgress(1, new AwaitedProgress(1), new Map([['pm.resolution', 2]]));
    fromOlder.restore(older);
    expect(fromOlder.snapshot().alongside).toEqual([['pm.resolution', [[0, 3_000], [1, 3_000]]]]);
    expect(fromOlder.orderedMarker(0, 4_000)).toBeUndefined();
    fromOlder.alongsideMarker('pm.resolution', 0, 4_100);
    expect(fromOlder.alongsideMarker('pm.resolution', 1, 4_200)).toBe(4_000);
  });
});
