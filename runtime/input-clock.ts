import { Subscription } from 'rxjs';

/** What a stage waits on: a time, and a call once that time has passed. */
export interface DueClock {
  /** The time (ms); NaN before the clock has started (nothing has come due then). */
  now(): number;
  /** Calls `work` once the clock is past `time`; unsubscribing cancels the call. */
  after(time: number, work: () => void): Subscription;
  /** How far ahead of the clock a due time is still believed (further: a bad clock or record, due at once). */
  readonly maxHoldMs: number;
}

/**
 * A clock moved by the input's receive times (trade's: each book's, before the book goes to the
 * operators; a replay also moves it past the end of its input). Work waiting for a time the clock
 * passes runs inside advanceTo(), in the order of those times, after the clock took its new time.
 * So what comes due is decided by the records alone, never by how fast they were processed: a
 * process reading them from Kafka decides what the embedded run decided.
 */
export class InputClock implements DueClock {
  /** No bound: a process reading predictions from Kafka may get them hours of event time ahead of the books it has placed (a replay's pace). */
  readonly maxHoldMs = Number.POSITIVE_INFINITY;
  private time = Number.NaN;
  /** Waiting work, by time (the order it came in among equal times). */
  private waiting: { readonly time: number; readonly work: () => void }[] = [];

  now(): number {
    return this.time;
  }

  after(time: number, work: () => void): Subscription {
    const entry = { time, work };
    let at = this.waiting.length;
    while (at > 0 && (this.waiting[at - 1] as { time: number }).time > time) at--;
    this.waiting.splice(at, 0, entry);
    return new Subscription(() => {
      const i = this.waiting.indexOf(entry);
      if (i >= 0) this.waiting.splice(i, 1);
    });
  }

  /** Moves the clock to `ms` (never back), then runs the work waiting for a time before `ms`. */
  advanceTo(ms: number): void {
    if (Number.isNaN(ms) || ms <= this.time) return;
    this.time = ms;
    while (this.waiting.length > 0 && (this.waiting[0] as { time: number }).time < ms) (this.waiting.shift() as { work: () => void }).work();
  }
}
