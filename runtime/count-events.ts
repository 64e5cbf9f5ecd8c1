import { Observable, type OperatorFunction } from 'rxjs';
import type { PipelineMetrics } from './metrics.js';

/**
 * Wraps an operator with in/out counters labelled by its name. Counting is batched locally and
 * pushed to prom-client on completion and every 4096 events, so the hot path stays a `++`.
 */
export function countEvents<I, O>(metrics: PipelineMetrics, name: string, op: OperatorFunction<I, O>): OperatorFunction<I, O> {
  return (source) =>
    new Observable<O>((subscriber) => {
      const inc = metrics.operatorIn.labels(name);
      const outc = metrics.operatorOut.labels(name);
      let pendingIn = 0;
      let pendingOut = 0;
      const drain = (): void => {
        if (pendingIn > 0) inc.inc(pendingIn);
        if (pendingOut > 0) outc.inc(pendingOut);
        pendingIn = 0;
        pendingOut = 0;
      };
      const counted = new Observable<I>((inner) =>
        source.subscribe({
          next: (v) => {
            if (++pendingIn >= 4096) drain();
            inner.next(v);
          },
          error: (e: unknown) => inner.error(e),
          complete: () => inner.complete(),
        }),
      );
      const sub = op(counted).subscribe({
        next: (v) => {
          pendingOut++;
          subscriber.next(v);
        },
        error: (e: unknown) => {
          drain();
          subscriber.error(e);
        },
        complete: () => {
          drain();
          subscriber.complete();
        },
      });
      return () => {
        drain();
        sub.unsubscribe();
      };
    });
}
