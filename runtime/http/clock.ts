/**
 * Time for runtime/http: `now` for rate limiting and Retry-After dates, `sleep` for waiting. The
 * system clock is the real one; tests pass a ManualClock so nothing really waits.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * A sleep over any timer: `start(fn, ms)` arms it and returns its cancel. Resolves when it fires;
 * rejects with the signal's reason when the signal aborts first (or already has).
 */
export function abortableSleep(start: (fire: () => void, ms: number) => () => void, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      cancel();
      reject(signal?.reason);
    };
    const cancel = start(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    abortableSleep(
      (fire, delay) => {
        const timer = setTimeout(fire, delay);
        return () => clearTimeout(timer);
      },
      ms,
      signal,
    ),
};
