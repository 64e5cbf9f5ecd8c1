/**
 * Counts asynchronous work a graph has started and not finished (model scoring batches). A replay
 * waits for it to drain before it feeds the next record, so an async stage sees the same inputs in
 * the same order on every run: replays stay deterministic while scoring stays async.
 */
export class InFlight {
  private count = 0;
  private waiters: Array<() => void> = [];

  get busy(): boolean {
    return this.count > 0;
  }

  begin(): void {
    this.count++;
  }

  end(): void {
    if (this.count === 0) return;
    this.count--;
    if (this.count === 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  whenIdle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
