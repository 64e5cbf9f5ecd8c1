import type { SchedulerLike } from 'rxjs';
import type { Clock } from '../http/clock.js';

/**
 * The sources/http Clock on an RxJS scheduler: `now` is the scheduler's time and `sleep` a
 * scheduled action. Live sources pass `asyncScheduler`; tests pass a virtual-time scheduler, so
 * HTTP backoff, Retry-After waits and rate limiting run on the same clock as the websocket's
 * heartbeats and reconnects, and nothing really waits.
 */
export function schedulerClock(scheduler: SchedulerLike): Clock {
  return {
    now: () => scheduler.now(),
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted === true) {
          reject(signal.reason);
          return;
        }
        const onAbort = (): void => {
          timer.unsubscribe();
          reject(signal?.reason);
        };
        const timer = scheduler.schedule(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, Math.max(0, ms));
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
  };
}
