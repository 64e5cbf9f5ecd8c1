import type { Clock } from '../../runtime/http/clock.js';

/**
 * A recording's records at their recorded pace, `speed` times faster: the first goes at once, each
 * later one no sooner than (its receive time − the first's) / speed after it. A record already late
 * (the consumer of the pace was slower) goes at once: the pace never waits to catch up.
 */
export class RecordedPace {
  private start: { readonly wall: number; readonly recorded: number } | undefined;

  constructor(
    private readonly speed: number,
    private readonly clock: Clock,
  ) {
    if (!(Number.isFinite(speed) && speed > 0)) throw new RangeError(`RecordedPace: speed must be a positive number, got ${speed}`);
  }

  /** Resolves when the record received at `recvTs` is due; rejects with the signal's reason when it aborts first. */
  async due(recvTs: number, signal?: AbortSignal): Promise<void> {
    if (this.start === undefined) {
      this.start = { wall: this.clock.now(), recorded: recvTs };
      return;
    }
    const wait = this.start.wall + (recvTs - this.start.recorded) / this.speed - this.clock.now();
    if (wait > 0) await this.clock.sleep(wait, signal);
  }
}
