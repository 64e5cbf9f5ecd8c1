import { Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { DueClock } from '../runtime/input-clock.js';
import type { StateSlot } from '../runtime/state-registry.js';
import type { Prediction } from '../schemas/prediction.js';

/** The longest predictionDue holds a prediction: far beyond any scoring wait. */
export const MAX_HOLD_MS = 3_600_000;

/** A scheduler as a due clock (live: the real one): work runs once its time has passed. */
export const dueClockOf = (scheduler: SchedulerLike): DueClock => ({
  now: () => scheduler.now(),
  after: (time, work) => scheduler.schedule(work, Math.max(0, time + 1 - scheduler.now())),
  maxHoldMs: MAX_HOLD_MS,
});

/** Where a prediction is held: its due time (one that is not a number first). */
const dueKey = (p: Prediction): number => (Number.isNaN(p.dueTs) ? Number.NEGATIVE_INFINITY : p.dueTs);

/** True when `a` leaves after `b`: later due, or due together and of a later asset id. */
const leavesAfter = (a: Prediction, b: Prediction): boolean => dueKey(a) > dueKey(b) || (dueKey(a) === dueKey(b) && a.assetId > b.assetId);

/**
 * Holds each prediction until the clock has passed its `dueTs` (its vector's receive time plus
 * `scoring.maxWaitMs`), then passes it on: the trade stage acts on every prediction exactly that
 * long after the input it came from, before the first input received later. So fills and the
 * portfolio do not depend on how scoring cut its batches (`maxBatch`, a batch's timer) or how fast
 * the model ran, and a replay trades as the live run did. A prediction that arrives past its due
 * time (scoring slower than the wait, or a record written before `dueTs` existed) goes at once.
 * Predictions leave in due order; those due together by asset id, an asset's in arrival order (an
 * order a consumer of partitioned predictions can keep). The clock is a replay's or a trade
 * process's input clock (InputClock: the books' receive times; nothing is due before it starts), or
 * the real one live (dueClockOf). A `dueTs` that is not a number (a vector restored from a
 * checkpoint written before the field existed) counts as due. So does one more than the clock's
 * `maxHoldMs` ahead of it: on the real clock MAX_HOLD_MS (no scoring wait is that long: a bad clock
 * or record), so what is held stays within one scoring wait of predictions. An input clock has no
 * such bound: a process reading predictions from Kafka may get them hours of event time ahead of
 * the books it has placed (a replay's pace), and each must still wait for its place.
 */
export function predictionDue({ clock }: { clock: DueClock }, slot?: StateSlot): OperatorFunction<Prediction, Prediction> {
  const { maxHoldMs } = clock;
  /** Due: the clock (once started) has passed its due time (NaN included), or the due time is implausibly far ahead. */
  const due = (p: Prediction): boolean => {
    const now = clock.now();
    return !Number.isNaN(now) && !(p.dueTs >= now && p.dueTs - now <= maxHoldMs);
  };
  return (source) =>
    new Observable<Prediction>((subscriber) => {
      /** Held predictions in the order they leave. */
      let held: Prediction[] = [];
      let timer: Subscription | null = null;
      let timerDue = Number.NaN;

      /** Passes on every held prediction whose due time the clock has passed, then waits for the next. */
      const release = (): void => {
        let n = 0;
        while (n < held.length && due(held[n] as Prediction)) n++;
        if (n > 0) {
          const due = held.slice(0, n);
          held = held.slice(n);
          for (const p of due) subscriber.next(p);
        }
        arm();
      };
      /** One call, for the earliest held prediction: once the clock is past that due time. */
      const arm = (): void => {
        const next = held[0];
        if (next === undefined || timerDue === dueKey(next)) return;
        timer?.unsubscribe();
        timerDue = dueKey(next);
        timer = clock.after(timerDue, () => {
          timer = null;
          timerDue = Number.NaN;
          release();
        });
      };

      // A checkpoint holds what waits; its call is armed again on restore.
      const attached = slot?.registry.attach(slot.id, () => held);
      if (attached?.restored !== undefined) {
        held = [...(attached.restored as Prediction[])];
        arm();
      }

      const subscription = source.subscribe({
        next: (p) => {
          // Those already due go first, so a late arrival does not overtake them; what still waits
          // is due later than a late arrival.
          if (held.length > 0 && due(held[0] as Prediction)) release();
          if (due(p)) {
            subscriber.next(p);
            return;
          }
          let at = held.length;
          while (at > 0 && leavesAfter(held[at - 1] as Prediction, p)) at--;
          held.splice(at, 0, p);
          arm();
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => {
          // The input ended: what it left waiting goes now, in order.
          for (const p of held) subscriber.next(p);
          held = [];
          subscriber.complete();
        },
      });
      return () => {
        attached?.detach();
        timer?.unsubscribe();
        subscription.unsubscribe();
      };
    });
}
