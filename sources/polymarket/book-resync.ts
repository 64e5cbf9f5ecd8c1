/**
 * Resyncs order books from CLOB REST `GET /book?token_id=` (POLYMARKET.md B.5: the answer is an
 * OrderBookSummary `{market, asset_id, timestamp, bids[], asks[], min_order_size, tick_size,
 * neg_risk, hash, last_trade_price}`) after a gap: a reconnect, a delta whose `best_bid`/`best_ask`
 * disagree with the rebuilt book, or a tick-size change (B.1 "Book reconstruction" steps 4-6;
 * fact 5: "REST backfill"). The answer is emitted as a market-channel `book` frame (the same
 * fields plus `"event_type":"book"` and `"polyflow_source":"rest /book"`), so ingest applies it as
 * a snapshot and a recording replays it unchanged.
 *
 * Hash compare (B.1 step 4: "`hash` identifies the book state"): the caller reports every book
 * update it applies (`noteUpdate`). A delta's hash is the server's state after it, which after a
 * missed delta is not the state we hold, so only a snapshot's hash is known to describe our book:
 * a REST book whose hash equals that of a snapshot applied since with no delta after it is the book
 * already held and is not emitted (the usual case after a reconnect, whose resubscribe re-sends
 * every snapshot, fact 6). A REST book older than the last update seen
 * (REST served a stale book, py-clob-client#180, or deltas overtook the request) is not emitted
 * either, because it would undo newer deltas; it is asked again after the cooldown, up to
 * `maxAttempts` times. Requests are per asset at most once per `cooldownMs` (later ones are
 * deferred to the end of the cooldown), `concurrency` at a time, through runtime/http (timeouts,
 * retries, Retry-After, the per-host limit of `/book`: 1,500 per 10 s, B.5 "Rate limits").
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import type { HttpClient } from '../../runtime/http/http-client.js';

export type BookResyncOutcome = 'emitted' | 'same_hash' | 'older' | 'invalid' | 'failed';

export interface BookResyncOptions {
  readonly clob: HttpClient;
  readonly scheduler: SchedulerLike;
  /** Receives the `book` frame built from the REST answer, with its receive time. */
  readonly emit: (frame: string, recvTs: number) => void;
  readonly cooldownMs?: number;
  readonly concurrency?: number;
  /** REST answers older than the feed are asked again this many times in all. */
  readonly maxAttempts?: number;
  readonly onResult?: (assetId: string, outcome: BookResyncOutcome, detail: string) => void;
}

export const REST_BOOK_SOURCE = 'rest /book';

interface Seen {
  hash: string;
  ts: number;
}

export class BookResync {
  private readonly seen = new Map<string, Seen>();
  private readonly lastRequest = new Map<string, number>();
  private readonly attempts = new Map<string, number>();
  private readonly deferred = new Map<string, Subscription>();
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private inFlight = 0;
  private readonly idleWaiters: Array<() => void> = [];
  private readonly abort = new AbortController();
  private readonly cooldownMs: number;
  private readonly concurrency: number;
  private readonly maxAttempts: number;

  constructor(private readonly options: BookResyncOptions) {
    this.cooldownMs = options.cooldownMs ?? 5_000;
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  }

  /** An update applied to the asset's book: its kind, the hash the feed gave with it, exchange ms. */
  noteUpdate(assetId: string, kind: 'snapshot' | 'delta' | 'tick_size', hash: string, ts: number): void {
    const ours = kind === 'snapshot' ? hash : '';
    const s = this.seen.get(assetId);
    if (s === undefined) this.seen.set(assetId, { hash: ours, ts });
    else {
      s.hash = ours;
      if (ts > s.ts) s.ts = ts;
    }
  }

  /** Forgets an asset no longer subscribed. */
  forget(assetId: string): void {
    this.seen.delete(assetId);
    this.lastRequest.delete(assetId);
    this.attempts.delete(assetId);
    this.deferred.get(assetId)?.unsubscribe();
    this.deferred.delete(assetId);
  }

  /** Asks for a REST snapshot of each asset (deduplicated, rate limited per asset). */
  request(assetIds: readonly string[]): void {
    if (this.abort.signal.aborted) return;
    const now = this.options.scheduler.now();
    for (const id of assetIds) {
      if (this.queued.has(id) || this.deferred.has(id)) continue;
      const last = this.lastRequest.get(id);
      if (last !== undefined && now - last < this.cooldownMs) {
        this.deferred.set(
          id,
          this.options.scheduler.schedule(() => {
            this.deferred.delete(id);
            this.request([id]);
          }, last + this.cooldownMs - now),
        );
        continue;
      }
      this.attempts.set(id, 1);
      this.enqueue(id);
    }
  }

  /** Requests queued or in flight. */
  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  /** Resolves when nothing is queued or in flight. */
  whenIdle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.abort.abort(new Error('book resync stopped'));
    for (const timer of this.deferred.values()) timer.unsubscribe();
    this.deferred.clear();
    this.queue.length = 0;
    this.queued.clear();
  }

  private enqueue(id: string): void {
    this.queued.add(id);
    this.queue.push(id);
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < this.concurrency && this.queue.length > 0) {
      const id = this.queue.shift() as string;
      this.inFlight++;
      this.lastRequest.set(id, this.options.scheduler.now());
      this.fetch(id)
        .catch((err: unknown) => this.result(id, 'failed', err instanceof Error ? err.message : String(err)))
        .finally(() => {
          this.queued.delete(id);
          this.inFlight--;
          this.pump();
          if (this.pending === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
        });
    }
  }

  private async fetch(id: string): Promise<void> {
    const body = await this.options.clob.getJson('/book', { query: { token_id: id }, signal: this.abort.signal, rateLimitKey: 'clob/book' });
    if (this.abort.signal.aborted) return;
    if (typeof body !== 'object' || body === null || Array.isArray(body) || (body as { asset_id?: unknown }).asset_id !== id) {
      this.result(id, 'invalid', `not an order book of ${id}: ${JSON.stringify(body).slice(0, 120)}`);
      return;
    }
    const book = body as Record<string, unknown>;
    const hash = typeof book.hash === 'string' ? book.hash : '';
    const ts = Number(book.timestamp);
    const seen = this.seen.get(id);
    if (seen !== undefined && hash !== '' && hash === seen.hash) {
      this.result(id, 'same_hash', hash);
      return;
    }
    if (seen !== undefined && Number.isFinite(ts) && ts < seen.ts) {
      const attempt = this.attempts.get(id) ?? 1;
      this.result(id, 'older', `REST book at ${ts} is older than the feed at ${seen.ts} (attempt ${attempt}/${this.maxAttempts})`);
      if (attempt < this.maxAttempts) {
        this.attempts.set(id, attempt + 1);
        this.deferred.set(
          id,
          this.options.scheduler.schedule(() => {
            this.deferred.delete(id);
            this.enqueue(id);
          }, this.cooldownMs),
        );
      }
      return;
    }
    const { event_type: _ignored, ...fields } = book;
    this.options.emit(JSON.stringify({ event_type: 'book', ...fields, polyflow_source: REST_BOOK_SOURCE }), this.options.scheduler.now());
    this.result(id, 'emitted', hash);
  }

  private result(id: string, outcome: BookResyncOutcome, detail: string): void {
    this.options.onResult?.(id, outcome, detail);
  }
}
