import { Subscription, type SchedulerLike } from 'rxjs';

/**
 * Runs `task` now (or after `initialDelayMs`) and then `periodMs` after each run finishes, on the
 * injected scheduler; runs never overlap, and a failed run is reported to `onError` and the loop
 * goes on. Unsubscribing stops it (a run in progress finishes, but no next one is scheduled).
 */
export function pollLoop(
  scheduler: SchedulerLike,
  periodMs: number,
  task: () => Promise<void>,
  onError: (err: unknown) => void,
  initialDelayMs = 0,
): Subscription {
  let stopped = false;
  let timer: Subscription | undefined;
  const run = (): void => {
    timer = undefined;
    let running: Promise<void>;
    try {
      running = task();
    } catch (err) {
      running = Promise.reject(err);
    }
    running
      .catch((err: unknown) => onError(err))
      .finally(() => {
        if (!stopped) timer = scheduler.schedule(run, periodMs);
      });
  };
  timer = scheduler.schedule(run, initialDelayMs);
  return new Subscription(() => {
    stopped = true;
    timer?.unsubscribe();
  });
}
