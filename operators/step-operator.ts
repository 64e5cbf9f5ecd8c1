import { Observable, type OperatorFunction } from 'rxjs';

/**
 * The thin RxJS layer of a stateful operator: state made fresh per subscription, every input run
 * through the operator's pure step, every output emitted in order, synchronously. No inner
 * subscription per event (a `concatMap` returning arrays costs one, and its garbage, per input).
 * A step that throws errors the stream: that is a bug, not bad data (bad data is a dead letter).
 */
export function stepOperator<I, O, S>(initial: () => S, step: (state: S, input: I) => O | readonly O[] | undefined): OperatorFunction<I, O> {
  return (source) =>
    new Observable<O>((subscriber) => {
      const state = initial();
      return source.subscribe({
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
    });
}
