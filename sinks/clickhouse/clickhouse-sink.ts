import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import { PolyflowError } from '../../runtime/errors.js';
import type { ClickHouseSinkMetrics } from './clickhouse-sink-metrics.js';
import { isRetriableClickHouseError } from './retriable-error.js';

export type Row = Record<string, unknown>;

/** Where batches go: `@clickhouse/client` in production (see `clickhouseInserter`), a fake in tests. */
export interface RowInserter {
  insert(table: string, rows: readonly Row[]): Promise<void>;
}

export interface ClickHouseSinkOptions {
  /** Stamped on every row: the run's name, the sink's start (ms), and a receive-order counter. */
  readonly run: string;
  readonly session: number;
  /** An insert is sent when a table holds this many rows... */
  readonly maxBatchRows: number;
  /** ...or this long (wall time) after the first unsent row arrived. */
  readonly flushIntervalMs: number;
  /** At this many buffered rows `pressure` turns on and producers should await `whenWritable()`. */
  readonly maxBufferRows: number;
  /** Retries of one batch on retriable errors, with backoff retryBaseMs * 2^n, capped at retryMaxMs. */
  readonly maxRetries: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly scheduler?: SchedulerLike;
  readonly metrics?: ClickHouseSinkMetrics;
  readonly isRetriable?: (err: unknown) => boolean;
  /** Told about every failed attempt (for logging); the sink itself decides what happens next. */
  readonly onInsertError?: (err: unknown, info: { table: string; rows: number; attempt: number; willRetry: boolean }) => void;
}

/** The sink gave up on a batch: every later flush, `whenWritable` and `close` rejects with this. */
export class ClickHouseSinkError extends PolyflowError {
  constructor(message: string, cause: unknown) {
    super('CLICKHOUSE_SINK_FAILED', message, { cause });
  }
}

/**
 * Batches rows per table and inserts them by size and by time, one insert at a time, retrying
 * retriable failures with exponential backoff. The buffer is bounded by cooperation: `write` never
 * blocks (bus subscribers are synchronous), and past `maxBufferRows` the sink reports `pressure`
 * until enough is written; the producer awaits `whenWritable()` before it feeds more input.
 */
export class ClickHouseSink {
  private readonly tables = new Map<string, Row[]>();
  private buffered = 0;
  private seq = 0;
  private draining: Promise<void> | undefined;
  private drainAll = false;
  private timer: Subscription | undefined;
  private failed: ClickHouseSinkError | undefined;
  private closed = false;
  private waiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];
  private readonly scheduler: SchedulerLike;
  private readonly isRetriable: (err: unknown) => boolean;

  constructor(
    private readonly inserter: RowInserter,
    private readonly opts: ClickHouseSinkOptions,
  ) {
    this.scheduler = opts.scheduler ?? asyncScheduler;
    this.isRetriable = opts.isRetriable ?? isRetriableClickHouseError;
    opts.metrics?.observeBuffer(() => this.buffered);
  }

  /** Rows accepted and not yet written (including the batch being inserted). */
  get bufferedRows(): number {
    return this.buffered;
  }

  /** True while the buffer is full: the producer should await `whenWritable()`. */
  get pressure(): boolean {
    return this.buffered >= this.opts.maxBufferRows;
  }

  get failure(): Error | undefined {
    return this.failed;
  }

  /** The producer must await `whenWritable()` before it feeds more: the buffer is full, or the sink failed (it rejects then, so a run stops at once). */
  get blocked(): boolean {
    return this.pressure || this.failed !== undefined;
  }

  /** Buffers one row for `table`, stamped with run, session and seq. Dropped once the sink has failed or closed. */
  write(table: string, row: Row): void {
    if (this.failed !== undefined || this.closed) return;
    let rows = this.tables.get(table);
    if (rows === undefined) {
      rows = [];
      this.tables.set(table, rows);
    }
    rows.push({ ...row, run: this.opts.run, session: this.opts.session, seq: this.seq++ });
    this.buffered++;
    if (rows.length >= this.opts.maxBatchRows || this.pressure) this.kick(this.pressure);
    else this.armTimer();
  }

  /** Resolves once the buffer is below its bound (at once if it is); rejects if the sink failed. */
  whenWritable(): Promise<void> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    if (!this.pressure) return Promise.resolve();
    this.kick(true);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Writes everything buffered so far. */
  async flush(): Promise<void> {
    while (this.buffered > 0 && this.failed === undefined) {
      this.kick(true);
      await this.draining;
    }
    if (this.failed !== undefined) throw this.failed;
  }

  /** Flushes, then stops the timer; later writes are dropped. */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      this.closed = true;
      this.timer?.unsubscribe();
      this.timer = undefined;
    }
  }

  private armTimer(): void {
    if (this.timer !== undefined || this.buffered === 0) return;
    this.timer = this.scheduler.schedule(() => {
      this.timer = undefined;
      this.kick(true);
    }, this.opts.flushIntervalMs);
  }

  private kick(all: boolean): void {
    if (all) this.drainAll = true;
    if (this.draining !== undefined || this.failed !== undefined) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.failed === undefined) this.armTimer();
    });
  }

  private nextBatch(): { table: string; rows: Row[] } | undefined {
    for (const [table, rows] of this.tables) {
      if (rows.length >= this.opts.maxBatchRows || (this.drainAll && rows.length > 0)) {
        return { table, rows: rows.splice(0, this.opts.maxBatchRows) };
      }
    }
    return undefined;
  }

  private async drain(): Promise<void> {
    for (let batch = this.nextBatch(); batch !== undefined; batch = this.nextBatch()) {
      try {
        await this.insertWithRetry(batch.table, batch.rows);
      } catch (err) {
        this.fail(new ClickHouseSinkError(`ClickHouse insert into ${batch.table} failed: ${err instanceof Error ? err.message : String(err)}`, err));
        return;
      }
      this.buffered -= batch.rows.length;
      if (!this.pressure) this.wakeWriters();
    }
    this.drainAll = false;
  }

  private async insertWithRetry(table: string, rows: readonly Row[]): Promise<void> {
    const { metrics } = this.opts;
    for (let attempt = 0; ; attempt++) {
      const started = process.hrtime.bigint();
      try {
        await this.inserter.insert(table, rows);
        metrics?.insertSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
        metrics?.rowsWritten.labels(table).inc(rows.length);
        return;
      } catch (err) {
        const willRetry = attempt < this.opts.maxRetries && this.isRetriable(err);
        this.opts.onInsertError?.(err, { table, rows: rows.length, attempt, willRetry });
        if (!willRetry) {
          metrics?.insertFailures.labels(table).inc();
          throw err;
        }
        metrics?.insertRetries.labels(table).inc();
        await this.sleep(Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** attempt));
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.scheduler.schedule(() => resolve(), ms));
  }

  private fail(err: ClickHouseSinkError): void {
    this.failed = err;
    this.timer?.unsubscribe();
    this.timer = undefined;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(err);
  }

  private wakeWriters(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.resolve();
  }
}
