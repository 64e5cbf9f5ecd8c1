import { Subject, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { FEATURE_INDEX, FEATURE_SPEC } from '../schemas/feature-spec.js';
import type { Prediction } from '../schemas/prediction.js';
import { InFlight } from '../runtime/in-flight.js';
import { ReplayScheduler } from '../runtime/replay-scheduler.js';
import { vectorWithMid } from '../test/helpers/feature-vectors.js';
import { scoreBatches, toPrediction, type BatchScorer } from './score-batches.js';
import type { FeatureVector } from '../schemas/feature-vector.js';

/** A scorer that returns mid + 0.1 per row and records each batch's size. */
function fakeScorer(batches: number[]): BatchScorer {
  const width = FEATURE_SPEC.names.length;
  return {
    modelVersion: 'fake-1',
    spec: FEATURE_SPEC,
    score: (rows, n) => {
      batches.push(n);
      const out = new Float32Array(n);
      for (let r = 0; r < n; r++) out[r] = (rows[r * width + FEATURE_INDEX.mid] ?? 0) + 0.1;
      return Promise.resolve(out);
    },
  };
}

/**
 * scoreBatches (batches of 3 at most, a 100 ms wait) over `scorer`, on a replay clock from 0 and an
 * InFlight: the input, the predictions and errors it gave, and the subscription.
 */
function scoring(scorer: BatchScorer) {
  const scheduler = new ReplayScheduler(0);
  const inFlight = new InFlight();
  const input = new Subject<ReturnType<typeof vectorWithMid>>();
  const got: Prediction[] = [];
  const errors: unknown[] = [];
  const sub = input.pipe(scoreBatches(scorer, { maxBatch: 3, maxWaitMs: 100, inFlight }, scheduler)).subscribe({ next: (p) => got.push(p), error: (err: unknown) => errors.push(err) });
  return { scheduler, inFlight, input, got, errors, sub };
}

describe('toPrediction', () => {
  it('makes the prediction of a vector restored without a receive time (a checkpoint from before the field) due at once', () => {
    const { recvTs: _, ...restored } = vectorWithMid('a', 5_000, 0.5);
    expect(toPrediction(restored as FeatureVector, 0.6, 'm', 1, 100).dueTs).toBe(100);
    expect(toPrediction(vectorWithMid('a', 5_000, 0.5), 0.6, 'm', 1, 100).dueTs).toBe(5_100);
  });
});

describe('scoreBatches', () => {
  it('scores a full batch at once and a partial one when its wait time comes due', async () => {
    const batches: number[] = [];
    const { scheduler, inFlight, input, got } = scoring(fakeScorer(batches));

    input.next(vectorWithMid('a', 0, 0.5));
    input.next(vectorWithMid('b', 0, 0.25));
    input.next(vectorWithMid('c', 0, 0.75)); // third asset: full batch
    expect(inFlight.busy).toBe(true);
    await inFlight.whenIdle();
    expect(batches).toEqual([3]);
    expect(got.map((p) => [p.assetId, Number(p.pModel.toFixed(5)), p.pMarket])).toEqual([
      ['a', 0.6, 0.5],
      ['b', 0.35, 0.25],
      ['c', 0.85, 0.75],
    ]);

    scheduler.advanceTo(10);
    input.next(vectorWithMid('d', 10, 0.4));
    scheduler.advanceTo(109);
    expect(batches).toEqual([3]);
    scheduler.advanceTo(110); // 100 ms after the first vector of the batch
    await inFlight.whenIdle();
    expect(batches).toEqual([3, 1]);
    // Due the longest wait after its vector's input was received, however early its batch was scored.
    expect(got.map((p) => p.dueTs)).toEqual([100, 100, 100, 110]);
    expect(got.at(-1)).toMatchObject({ assetId: 'd', id: 'pred:d:10:0', featuresId: 'd:10:0', modelVersion: 'fake-1', confidence: 1 });
  });

  it("scores the pending batch when its InFlight is drained (a consumer's commit), and no longer once unsubscribed", async () => {
    const batches: number[] = [];
    const { scheduler, inFlight, input, got, sub } = scoring(fakeScorer(batches));
    input.next(vectorWithMid('a', 0, 0.5));
    expect(inFlight.busy).toBe(false);
    await inFlight.drain();
    // Its wait had not run out: drained, it is scored now, and due as it would have been.
    expect(batches).toEqual([1]);
    expect(got.map((p) => [p.assetId, p.dueTs])).toEqual([['a', 100]]);
    scheduler.advanceTo(100);
    await inFlight.whenIdle();
    expect(batches).toEqual([1]);

    input.next(vectorWithMid('b', 10, 0.5));
    sub.unsubscribe();
    await inFlight.drain();
    expect(batches).toEqual([1]);
  });

  it('fails its InFlight when scoring throws, so a consumer draining it does not commit', async () => {
    const boom = new Error('model gone');
    const { inFlight, input, errors } = scoring({ ...fakeScorer([]), score: () => Promise.reject(boom) });
    input.next(vectorWithMid('a', 0, 0.5));
    await expect(inFlight.drain()).rejects.toBe(boom);
    expect(errors).toEqual([boom]);
  });

  it('scores every vector, an asset\'s older one in the same batch too', async () => {
    const batches: number[] = [];
    const scheduler = new ReplayScheduler(0);
    const input = new Subject<ReturnType<typeof vectorWithMid>>();
    const done = lastValueFrom(input.pipe(scoreBatches(fakeScorer(batches), { maxBatch: 10, maxWaitMs: 50 }, scheduler), toArray()));
    input.next(vectorWithMid('a', 0, 0.5, 0));
    input.next(vectorWithMid('b', 1, 0.2, 0));
    input.next(vectorWithMid('a', 2, 0.6, 1));
    input.complete(); // completion flushes what is pending
    const preds = await done;
    expect(batches).toEqual([3]);
    expect(preds.map((p) => [p.featuresId, Number(p.pModel.toFixed(5))])).toEqual([
      ['a:0:0', 0.6],
      ['b:1:0', 0.3],
      ['a:2:1', 0.7],
    ]);
  });

  it('gives each asset the same predictions whatever the batch boundaries', async () => {
    const vectors = Array.from({ length: 40 }, (_, i) => vectorWithMid(['a', 'b', 'c'][i % 3] ?? 'a', i * 7, 0.3 + (i % 5) / 20, i));
    const perAsset = async (maxBatch: number, maxWaitMs: number): Promise<{ batches: number[]; byAsset: Map<string, string[]> }> => {
      const batches: number[] = [];
      const scheduler = new ReplayScheduler(0);
      const inFlight = new InFlight();
      const input = new Subject<ReturnType<typeof vectorWithMid>>();
      const done = lastValueFrom(input.pipe(scoreBatches(fakeScorer(batches), { maxBatch, maxWaitMs, inFlight }, scheduler), toArray()));
      for (const v of vectors) {
        scheduler.advanceTo(v.ts);
        input.next(v);
        await inFlight.whenIdle();
      }
      input.complete();
      const byAsset = new Map<string, string[]>();
      for (const p of await done) byAsset.set(p.assetId, [...(byAsset.get(p.assetId) ?? []), `${p.id}=${p.pModel}`]);
      return { batches, byAsset };
    };
    const single = await perAsset(1, 0);
    expect(single.batches).toHaveLength(vectors.length);
    // Three assets, a vector every 7 ms: batches of 4 hold an asset twice; a 1 s wait holds them all.
    for (const [maxBatch, maxWaitMs] of [[4, 50], [100, 1_000]] as const) {
      const other = await perAsset(maxBatch, maxWaitMs);
      expect(other.batches).toContain(Math.min(maxBatch, vectors.length));
      expect(other.byAsset).toEqual(single.byAsset);
    }
  });

  it('errors on a vector whose width differs from the model spec', async () => {
    const input = new Subject<ReturnType<typeof vectorWithMid>>();
    const done = lastValueFrom(input.pipe(scoreBatches(fakeScorer([]), { maxBatch: 2, maxWaitMs: 1 }, new ReplayScheduler())));
    input.next({ ...vectorWithMid('a', 0, 0.5), values: [0.5] });
    await expect(done).rejects.toThrow(/is spec f1 with 1 values; the model takes spec f1 with 34/);
  });

  it('errors on a vector of another spec version even when its width matches', async () => {
    const input = new Subject<ReturnType<typeof vectorWithMid>>();
    const done = lastValueFrom(input.pipe(scoreBatches(fakeScorer([]), { maxBatch: 2, maxWaitMs: 1 }, new ReplayScheduler())));
    input.next({ ...vectorWithMid('a', 0, 0.5), specVersion: 'f0' });
    await expect(done).rejects.toThrow(/is spec f0 with 34 values; the model takes spec f1/);
  });

  it('passes a scorer failure downstream as an error', async () => {
    const failing: BatchScorer = { modelVersion: 'x', spec: FEATURE_SPEC, score: () => Promise.reject(new Error('onnx exploded')) };
    const input = new Subject<ReturnType<typeof vectorWithMid>>();
    const done = lastValueFrom(input.pipe(scoreBatches(failing, { maxBatch: 1, maxWaitMs: 1 }, new ReplayScheduler())));
    input.next(vectorWithMid('a', 0, 0.5));
    await expect(done).rejects.toThrow('onnx exploded');
  });
});
