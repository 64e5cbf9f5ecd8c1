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
});
