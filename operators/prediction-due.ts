import { Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { StateSlot } from '../runtime/state-registry.js';
import type { Prediction } from '../schemas/prediction.js';

/** The longest predictionDue holds a prediction: far beyond any scoring wait. */
export const MAX_HOLD_MS = 3_600_000;

/**
 * Holds each prediction until the clock has passed its `dueTs` (its vector's receive time plus
 * `scoring.maxWaitMs`), then passes it on: the trade stage acts on every prediction exactly that
 * long after the input it came from, before the first input received later. So fills and the
 * portfolio do not depend on how scoring cut its batches (`maxBatch`, a batch's timer) or how fast
 * the model ran, and a replay trades as the live run did. A prediction that arrives past its due
 * time (scoring slower than the wait, or a record written before `dueTs` existed) goes at once.
 * Predictions leave in due order, those due together in arrival order. The clock is the scheduler's:
 * a replay's virtual one (each record's receive time), or the real one live. A `dueTs` that is not
 * a number (a vector restored from a checkpoint written before the field existed), or more than
 * MAX_HOLD_MS ahead of the clock (no scoring wait is that long: a bad clock or record), counts as due,
 * so what is held stays within one scoring wait of predictions.
 */
export function predictionDue({ scheduler }: { scheduler: SchedulerLike }, slot?: StateSlot): OperatorFunction<Prediction, Prediction> {
  /** Due: the clock has passed its due time (NaN included), or the due time is implausibly far ahead. */
  const due = (p: Prediction): boolean => {
    const now = scheduler.now();
    return !(p.dueTs >= now && p.dueTs - now <= MAX_HOLD_MS);
  };
  return (source) =>
    new Observable<Prediction>((subscriber) => {
      /** Held predictions in due order (arrival order within one due time). */
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
      /** One timer, for the earliest held prediction: it fires once the clock is past that due time. */
      const arm = (): void => {
        const next = held[0];
        if (next === undefined || timerDue === next.dueTs) return;
        timer?.unsubscribe();
        timerDue = next.dueTs;
        timer = scheduler.schedule(() => {
          timer = null;
          timerDue = Number.NaN;
          release();
        }, Math.max(0, next.dueTs + 1 - scheduler.now()));
      };

      // A checkpoint holds what waits; its timer is armed again on restore.
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
          while (at > 0 && (held[at - 1] as Prediction).dueTs > p.dueTs) at--;
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
