import fc from 'fast-check';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { InFlight } from '../runtime/in-flight.js';
import { InputClock } from '../runtime/input-clock.js';
import { advanceAndScore, endOfInput, ReplayScheduler } from '../runtime/replay-scheduler.js';
import { StateRegistry, stateSlot } from '../runtime/state-registry.js';
import { FEATURE_INDEX, FEATURE_SPEC } from '../schemas/feature-spec.js';
import type { FeatureVector } from '../schemas/feature-vector.js';
import type { Prediction } from '../schemas/prediction.js';
import { vectorWithMid } from '../test/helpers/feature-vectors.js';
import { dueClockOf, MAX_HOLD_MS, predictionDue } from './prediction-due.js';
import { scoreBatches, toPrediction, type BatchScorer } from './score-batches.js';

/** A prediction of asset `asset`'s vector received at `recvTs`, due `delayMs` later. */
const predictionAt = (asset: string, recvTs: number, delayMs: number): Prediction => toPrediction({ ...vectorWithMid(asset, recvTs, 0.5), recvTs }, 0.6, 'm', 1, delayMs);

/** Runs predictionDue on a replay clock; `out` lists what left, with the clock at the time. */
function harness(registry?: StateRegistry) {
  const scheduler = new ReplayScheduler(0);
  const input = new Subject<Prediction>();
  const out: string[] = [];
  const sub = input.pipe(predictionDue({ clock: dueClockOf(scheduler) }, stateSlot(registry, 'due'))).subscribe((p) => out.push(`${p.assetId}@${scheduler.now()}`));
  return { scheduler, input, out, sub };
}

describe('predictionDue', () => {
  it('holds a prediction until the clock has passed its due time, then passes it on before anything later', () => {
    const { scheduler, input, out } = harness();
    input.next(predictionAt('a', 0, 100));
    input.next(predictionAt('b', 0, 50));
    scheduler.advanceTo(50);
    // Due at 50: an input received at 50 still comes before it.
    expect(out).toEqual([]);
    scheduler.advanceTo(51);
    expect(out).toEqual(['b@51']);
    scheduler.advanceTo(400);
    expect(out).toEqual(['b@51', 'a@101']);
  });

  it('passes on at once what arrives past its due time, after what was held and is due', () => {
    const { scheduler, input, out } = harness();
    input.next(predictionAt('a', 0, 10));
    input.next(predictionAt('b', 0, 500));
    scheduler.frame = 20; // the clock moved on with no timer run yet (live: a timer not fired yet)
    input.next(predictionAt('c', 5, 10));
    expect(out).toEqual(['a@20', 'c@20']);
    // Written before the field existed: due at 0, at once.
    input.next({ ...predictionAt('d', 0, 0), dueTs: 0 });
    expect(out).toEqual(['a@20', 'c@20', 'd@20']);
    scheduler.advanceTo(501);
    expect(out).toEqual(['a@20', 'c@20', 'd@20', 'b@501']);
  });

  it('holds one that arrives at its due time to the letter, until the clock passes it', () => {
    const { scheduler, input, out } = harness();
    scheduler.advanceTo(40);
    input.next(predictionAt('a', 0, 40));
    expect(out).toEqual([]);
    scheduler.advanceTo(41);
    expect(out).toEqual(['a@41']);
  });

  it('counts a due time that is not a number, or beyond any scoring wait, as due: it neither waits nor holds back the ones after it', () => {
    const { scheduler, input, out } = harness();
    input.next({ ...predictionAt('a', 0, 100), dueTs: Number.NaN });
    input.next(predictionAt('z', 0, MAX_HOLD_MS + 1));
    input.next(predictionAt('b', 0, 10));
    scheduler.advanceTo(11);
    expect(out).toEqual(['a@0', 'z@0', 'b@11']);
  });

  it('gives what it holds, in order, when its input ends', () => {
    const { input, out } = harness();
    input.next(predictionAt('a', 0, 300));
    input.next(predictionAt('b', 0, 200));
    input.complete();
    expect(out).toEqual(['b@0', 'a@0']);
  });

  it("gives predictions due at the same time by asset id, an asset's in arrival order", () => {
    const { scheduler, input, out } = harness();
    for (const asset of ['z', 'x', 'y']) input.next(predictionAt(asset, 0, 30));
    input.next(predictionAt('w', 0, 20));
    input.next({ ...predictionAt('x', 10, 20), assetId: 'x-second' as Prediction['assetId'] });
    input.next(predictionAt('x', 10, 20));
    scheduler.advanceTo(31);
    expect(out).toEqual(['w@21', 'x@31', 'x@31', 'x-second@31', 'y@31', 'z@31']);
  });

  it("on an input clock, holds everything until the clock's first time, then gives what its inputs passed, however far ahead", () => {
    const clock = new InputClock();
    const input = new Subject<Prediction>();
    const out: string[] = [];
    input.pipe(predictionDue({ clock })).subscribe((p) => out.push(`${p.assetId}:${p.dueTs}@${clock.now()}`));
    // Before the first book: not even one far ahead of the clock's zero, or without a due time, goes.
    input.next(predictionAt('b', 1_700_000_000_000, 30));
    input.next({ ...predictionAt('n', 0, 0), dueTs: Number.NaN });
    input.next(predictionAt('a', 1_700_000_000_000, 30));
    input.next(predictionAt('c', 1_700_000_000_010, 30));
    expect(out).toEqual([]);
    clock.advanceTo(1_700_000_000_030);
    expect(out).toEqual(['n:NaN@1700000000030']);
    clock.advanceTo(1_700_000_000_031);
    expect(out).toEqual(['n:NaN@1700000000030', 'a:1700000000030@1700000000031', 'b:1700000000030@1700000000031']);
    // Late: at once.
    input.next(predictionAt('d', 1_700_000_000_000, 0));
    expect(out.at(-1)).toBe('d:1700000000000@1700000000031');
    // Hours of event time ahead of the books placed so far (a replay's pace through Kafka): it waits.
    input.next(predictionAt('e', 1_700_000_000_010 + 5 * MAX_HOLD_MS, 30));
    clock.advanceTo(1_700_000_000_100);
    expect(out.at(-1)).toBe('c:1700000000040@1700000000100');
    clock.advanceTo(1_700_000_000_041 + 5 * MAX_HOLD_MS);
    expect(out.at(-1)).toBe(`e:${1_700_000_000_040 + 5 * MAX_HOLD_MS}@${1_700_000_000_041 + 5 * MAX_HOLD_MS}`);
  });

  it('keeps what it holds in a checkpoint and gives it on, on time, after a restore', () => {
    const registry = new StateRegistry();
    const first = harness(registry);
    first.input.next(predictionAt('a', 0, 100));
    first.input.next(predictionAt('b', 0, 200));
    first.scheduler.advanceTo(150);
    expect(first.out).toEqual(['a@101']);
    const saved = structuredClone(registry.snapshot());
    first.sub.unsubscribe();

    const second = harness(new StateRegistry(saved));
    second.scheduler.advanceTo(150);
    expect(second.out).toEqual([]);
    second.scheduler.advanceTo(201);
    expect(second.out).toEqual(['b@201']);
  });

  // On the input clock (replays, a Kafka trade process). Not on the real clock driven by a virtual
  // scheduler: there one advanceTo() fires a batch's timer and a later due time together, and the
  // batch's scoring (a promise) lands after the prediction that came due later (found by this
  // property: times [0,0,0,0], batches of 2, no wait). Live, the real scheduler's timers fire as the
  // scoring runs, and the test above covers that clock.
  it('gives the same sequence of records and predictions however scoring cuts its batches', async () => {
    const width = FEATURE_SPEC.names.length;
    const scorer: BatchScorer = {
      modelVersion: 'fake',
      spec: FEATURE_SPEC,
      score: (rows, n) => Promise.resolve(Float32Array.from({ length: n }, (_, r) => rows[r * width + FEATURE_INDEX.mid] ?? 0)),
    };
    /** The replay loop: each vector is a record received at its time; the log interleaves records and the predictions trade gets. */
    const run = async (times: readonly number[], maxBatch: number, maxWaitMs: number): Promise<string[]> => {
      const scheduler = new ReplayScheduler(0);
      const inputClock = new InputClock();
      const inFlight = new InFlight();
      const input = new Subject<FeatureVector>();
      const log: string[] = [];
      input.pipe(scoreBatches(scorer, { maxBatch, maxWaitMs, inFlight }, scheduler), predictionDue({ clock: inputClock })).subscribe((p) => log.push(p.featuresId));
      let i = 0;
      for (const t of times) {
        await advanceAndScore(scheduler, inFlight, t);
        // As the trade stage moves its input clock: to the record's time before it sees the record.
        inputClock.advanceTo(t);
        log.push(`record ${i}`);
        input.next({ ...vectorWithMid(`a${i % 3}`, t, 0.5, i), recvTs: t });
        i++;
        if (inFlight.busy) await inFlight.whenIdle();
      }
      await advanceAndScore(scheduler, inFlight, endOfInput(times.at(-1) ?? 0, maxWaitMs));
      return log;
    };
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 200 }),
        async (gaps, maxBatch, maxWaitMs) => {
          const times = gaps.reduce<number[]>((acc, g) => [...acc, (acc.at(-1) ?? 0) + g], []);
          const oneByOne = await run(times, 1, maxWaitMs);
          // Those due after the last record wait (the input has not ended for the input clock).
          const dueByEnd = times.filter((t) => t + maxWaitMs < (times.at(-1) as number)).length;
          expect(oneByOne.filter((l) => !l.startsWith('record'))).toHaveLength(dueByEnd);
          expect(await run(times, maxBatch, maxWaitMs)).toEqual(oneByOne);
        },
      ),
      { numRuns: 60 },
    );
  });
});
