/**
 * Counts asynchronous work a graph has started and not finished (model scoring batches). A replay
 * waits for it to drain before it feeds the next record, so an async stage sees the same inputs in
 * the same order on every run: replays stay deterministic while scoring stays async.
 *
 * A stage may also hold work back until later (a scoring batch waiting to fill): a Kafka consumer
 * hands that on with drain() before it commits its input's offsets, since a record whose output is
 * not published yet must not be committed (a member that rebuilds after a crash takes what is below
 * the committed offset as published, and mutes it).
 */
export class InFlight {
  private count = 0;
  private waiters: Array<() => void> = [];
  private readonly handOns = new Set<() => void>();
  /** The first failure of any work (a scoring batch that threw): its outputs will never come. */
  private failure: { readonly err: unknown } | undefined;

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

  /** Work failed: what it would have published never comes, so drain() rejects from now on. */
  fail(err: unknown): void {
    this.failure ??= { err };
  }

  /** Registers how a stage hands on the work it holds back (starting it now); the returned function unregisters it. */
  holdsBack(handOn: () => void): () => void {
    this.handOns.add(handOn);
    return () => this.handOns.delete(handOn);
  }

  /**
   * Hands on the work every stage holds back, and resolves once all work has finished; rejects once
   * any work failed (a consumer must not commit the input of outputs that never came). One pass: a
   * stage that held work back from another's hand-on would keep it (none does).
   */
  async drain(): Promise<void> {
    for (const handOn of this.handOns) handOn();
    await this.whenIdle();
    if (this.failure !== undefined) throw this.failure.err;
  }

  whenIdle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
