import { VirtualTimeScheduler } from 'rxjs';

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
