import type { SchedulerLike } from 'rxjs';
import { abortableSleep, type Clock } from '../../runtime/http/clock.js';

/**
 * The runtime/http Clock on an RxJS scheduler: `now` is the scheduler's time and `sleep` a
 * scheduled action. Live sources pass `asyncScheduler`; tests pass a virtual-time scheduler, so
 * HTTP backoff, Retry-After waits and rate limiting run on the same clock as the websocket's
 * heartbeats and reconnects, and nothing really waits.
 */
export function schedulerClock(scheduler: SchedulerLike): Clock {
  return {
    now: () => scheduler.now(),
    sleep: (ms, signal) =>
      abortableSleep(
        (fire, delay) => {
          const action = scheduler.schedule(fire, delay);
          return () => action.unsubscribe();
        },
        ms,
        signal,
      ),
  };
}
