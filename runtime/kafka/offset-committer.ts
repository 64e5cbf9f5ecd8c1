import type { CommitMarks, PartitionOffset } from './commit-marks.js';

/** Pause before a refused offset commit is tried again. */
const COMMIT_RETRY_MS = 200;

/** What the committer needs of its bus. */
export interface OffsetCommitterHost {
  /** Sends one commit: false when it was refused and should be tried again (the bus has put the offsets back in the marks). */
  commit(offsets: readonly PartitionOffset[]): Promise<boolean>;
  /** True while nothing may be committed (an assignment is being rebuilt). */
  paused(): boolean;
  /** Resolves once every record published so far is acknowledged. */
  flush(): Promise<void>;
}

/**
 * Commits the due marks (offsets whose outputs are all acknowledged, CommitMarks): one request in
 * flight, and at most one every `intervalMs` while records keep coming (the marks made meanwhile go
 * together, the latest offset per partition). A consumer fed a record or two per fetch would
 * otherwise commit after every batch: hundreds of requests a second per process, each a write to the
 * broker's offsets topic. What is consumed and not yet committed when a process dies is read again
 * by its successor, and its outputs come again with the same ids (dropped downstream while they are
 * among the last `kafka.dedupeCapacity` ids), so the interval bounds that replay, not what is
 * delivered; so does `maxUncommitted`: once that many records were published since the last commit,
 * the next goes without waiting. commitAll() (stop, checkpoint, rebalance) does not wait either.
 */
export class OffsetCommitter {
  private committing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Set by close(): nothing more is committed. */
  private closed = false;
  /** When the last commit request was sent (Date.now() time), and the records published by then. */
  private sentAt = Number.NEGATIVE_INFINITY;
  private publishedAtSend = 0;

  constructor(
    private readonly marks: CommitMarks,
    private readonly host: OffsetCommitterHost,
    private readonly opts: { readonly intervalMs: number; readonly maxUncommitted: number },
  ) {}

  /** Commits the due marks now, or once the interval since the last commit is up or `maxUncommitted` records were published (a commit in flight: after it). */
  commitDue(): void {
    if (this.committing !== undefined || this.closed || this.host.paused()) return;
    const waitMs = this.sentAt + this.opts.intervalMs - Date.now();
    if (waitMs > 0 && this.marks.publishedCount - this.publishedAtSend < this.opts.maxUncommitted) {
      if (this.timer === undefined) this.later(waitMs);
      return;
    }
    this.cancel();
    const due = this.marks.takeDue();
    if (due.length === 0) return;
    this.sent();
    this.committing = this.host.commit(due).then((committed) => {
      this.committing = undefined;
      if (committed) this.commitDue();
      // A refused commit is retried after a pause (the consumer may be restarting), not at once.
      else this.later(COMMIT_RETRY_MS);
    });
  }

  /** Every mark committed, the interval not waited for: waits for outstanding acknowledgements and the commit in flight. */
  async commitAll(): Promise<void> {
    this.cancel();
    await this.host.flush();
    while (this.committing !== undefined) await this.committing;
    const due = this.marks.takeDue();
    if (due.length === 0) return;
    this.sent();
    await this.host.commit(due);
  }

  /** No more commits, a waiting one included (the consumer disconnects; stop() has committed what it had). */
  close(): void {
    this.closed = true;
    this.cancel();
  }

  private sent(): void {
    this.sentAt = Date.now();
    this.publishedAtSend = this.marks.publishedCount;
  }

  private cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private later(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.commitDue();
    }, ms);
    this.timer.unref();
  }
}
