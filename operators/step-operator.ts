import { Observable, type OperatorFunction } from 'rxjs';
import type { StateSlot } from '../runtime/state-registry.js';

/** Checkpointing of a step operator's state (see runtime/state-registry.ts). */
export interface StepStateOptions<S> {
  /** Where the state is exposed and restored from; none: the state lives and dies with the subscription. */
  readonly slot?: StateSlot | undefined;
  /** Turns a restored (structured-cloned) state back into a live one, e.g. re-attaches class prototypes. */
  readonly revive?: (restored: S) => S;
}

/**
 * The thin RxJS layer of a stateful operator: state made fresh per subscription (or restored from
 * a checkpoint), every input run through the operator's pure step, every output emitted in order,
 * synchronously. No inner subscription per event (a `concatMap` returning arrays costs one, and its
 * garbage, per input). A step that throws errors the stream: that is a bug, not bad data (bad data
 * is a dead letter).
 */
export function stepOperator<I, O, S>(
  initial: () => S,
  step: (state: S, input: I) => O | readonly O[] | undefined,
  persist: StepStateOptions<S> = {},
): OperatorFunction<I, O> {
  return (source) =>
    new Observable<O>((subscriber) => {
      let state: S;
      const slot = persist.slot;
      const attached = slot?.registry.attach(slot.id, () => state);
      if (attached?.restored !== undefined) {
        const restored = attached.restored as S;
        state = persist.revive === undefined ? restored : persist.revive(restored);
      } else state = initial();
      const subscription = source.subscribe({
        next(input) {
          let out: O | readonly O[] | undefined;
          try {
            out = step(state, input);
          } catch (err: unknown) {
            subscriber.error(err);
            return;
          }
          if (out === undefined) return;
          if (Array.isArray(out)) for (const o of out as readonly O[]) subscriber.next(o);
          else subscriber.next(out as O);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
      return () => {
        attached?.detach();
        subscription.unsubscribe();
      };
    });
}
