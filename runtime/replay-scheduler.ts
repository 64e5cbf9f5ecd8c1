import { VirtualTimeScheduler } from 'rxjs';
import type { InFlight } from './in-flight.js';
import type { InputClock } from './input-clock.js';

/**
 * The replay clock: an RxJS virtual-time scheduler whose time is moved forward by the replay to
 * each record's receive time before the record is emitted. Timers due by then fire first, in
 * time order (NautilusTrader's `_advance_time` rule), so replay runs as fast as the CPU allows and
 * still sees the same timer interleaving a live run would.
 */
export class ReplayScheduler extends VirtualTimeScheduler {
  constructor(startMs = 0) {
    super();
    this.frame = startMs;
  }

  /** Runs every action due at or before `ms`, then sets the clock to `ms`. Time never goes back. */
  advanceTo(ms: number): void {
    if (ms < this.frame) return;
    this.maxFrames = ms;
    this.flush();
    this.frame = ms;
  }
}

/**
 * Moves the replay clock to a record's receive time and waits for the model scoring that the timers
 * due by then started: its predictions are published before the record enters, as live, where the
 * batch was scored while the clock ran (the trade stage then holds each until due: predictionDue).
 * With trade's input clock, moves it too, once the scoring is in: what comes due acts before the
 * record (a replay whose trade stage reads its own outputs back through a broker settles that
 * before it feeds the record; on a memory bus it runs to its end inside advanceTo).
 */
export async function advanceAndScore(scheduler: ReplayScheduler, inFlight: InFlight, ms: number, tradeClock?: InputClock): Promise<void> {
  scheduler.advanceTo(ms);
  if (inFlight.busy) await inFlight.whenIdle();
  if (tradeClock === undefined) return;
  tradeClock.advanceTo(ms);
  if (inFlight.busy) await inFlight.whenIdle();
}

/**
 * The replay clock's time after the last record: past the last vector's batch and the last
 * prediction's due time (both at most `maxWaitMs` after it), so everything the input gave is out.
 */
export const endOfInput = (lastRecvTs: number, maxWaitMs: number): number => lastRecvTs + maxWaitMs + 1;

/**
 * Ends a replay's input: the clock moves past it (the last scoring batch comes due), then trade's
 * input clock (the last predictions act), each with the work it set off settled.
 */
export const finishInput = (scheduler: ReplayScheduler, inFlight: InFlight, tradeClock: InputClock, lastRecvTs: number, maxWaitMs: number): Promise<void> =>
  advanceAndScore(scheduler, inFlight, endOfInput(lastRecvTs, maxWaitMs), tradeClock);
