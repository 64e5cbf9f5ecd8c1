/**
 * One websocket of the CLOB market channel with its own set of assets, kept alive on an injected
 * RxJS scheduler (the real one live, a virtual one in tests). Documented behaviour followed
 * (POLYMARKET.md §0 facts 3, 5, 6 and B.1 "Heartbeat", "Limits and health"):
 * - first frame after connect subscribes every asset of the connection with
 *   `custom_feature_enabled` (kept on reconnect, rs-clob-client PR #186); later changes use
 *   `{"operation":"subscribe"|"unsubscribe"}` frames; frames stay under ~200 KB (fact 5);
 * - text `PING` every `pingIntervalMs` (10 s, rs-clob-client default); the connection is dead when
 *   nothing (no `PONG`, no data) was heard for `pongTimeoutMs` (30 s, rs-clob-client);
 * - a data watchdog (py-clob-client#292 "silent freeze": PONGs keep coming, data stops) drops the
 *   connection when none of its assets sent anything for `dataTimeoutMs`; it watches the whole
 *   subscription, not one quiet market (poly-maker "False HALT");
 * - reconnect with exponential backoff from 1 s x2 up to 60 s with equal jitter, forever
 *   (rs-clob-client `config.rs`); the failure count resets once a connection has stayed up for
 *   `stableAfterMs`; the server re-sends a `book` snapshot per asset on every resubscribe (fact 6)
 *   and the `open` status with `reconnect: true` tells the caller to resync from REST as well;
 * - the websocket library's own protocol ping is not used (B.1: "disable protocol-level ping").
 * Frames go to `onFrame` exactly as received, with CR/LF replaced by spaces so that a frame is
 * always one line of a recording (Polymarket's JSON frames contain none). Nothing here throws to
 * the caller: socket errors become a `closed` status and a retry.
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import WebSocket, { type RawData } from 'ws';
import { backoffDelay, type BackoffPolicy } from '../../runtime/http/backoff-delay.js';
import { initialSubscribeFrame, operationFrames, PING_FRAME, PONG_FRAME } from './market-channel-messages.js';
import type { MarketChannelStatus } from './market-channel-status.js';

export interface MarketChannelTiming {
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  readonly dataTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** A connection up this long resets the backoff. */
  readonly stableAfterMs: number;
  readonly backoff: BackoffPolicy;
}

export const DEFAULT_MARKET_CHANNEL_TIMING: MarketChannelTiming = {
  pingIntervalMs: 10_000,
  pongTimeoutMs: 30_000,
  dataTimeoutMs: 120_000,
  connectTimeoutMs: 15_000,
  stableAfterMs: 60_000,
  backoff: { baseDelayMs: 1_000, maxDelayMs: 60_000 },
};

export interface MarketChannelConnectionOptions {
  readonly id: number;
  readonly url: string;
  readonly scheduler: SchedulerLike;
  readonly timing: MarketChannelTiming;
  readonly customFeatures: boolean;
  readonly maxFrameBytes: number;
  readonly random: () => number;
  readonly createSocket: (url: string) => WebSocket;
  readonly onFrame: (frame: string, recvTs: number) => void;
  readonly onStatus: (status: MarketChannelStatus) => void;
  /** Told about an exception thrown by `onFrame`/`onStatus` (they never reach the socket). */
  readonly onCallbackError: (err: unknown) => void;
}

const LINE_BREAK = /[\r\n]/g;

export class MarketChannelConnection {
  readonly assets = new Set<string>();
  private socket: WebSocket | undefined;
  private isOpen = false;
  private initialSent = false;
  private stopped = false;
  private everOpened = false;
  private failures = 0;
  private openedAt = 0;
  private lastHeard = 0;
  private lastData = 0;
  private socketTimers: Subscription | undefined;
  private retryTimer: Subscription | undefined;

  constructor(private readonly options: MarketChannelConnectionOptions) {}

  get id(): number {
    return this.options.id;
  }

  get open(): boolean {
    return this.isOpen;
  }

  /** Connects unless already connected, connecting or waiting to retry. */
  start(): void {
    if (this.stopped || this.socket !== undefined || this.retryTimer !== undefined) return;
    this.connect();
  }

  add(ids: readonly string[]): void {
    const fresh = ids.filter((id) => !this.assets.has(id));
    for (const id of fresh) this.assets.add(id);
    if (fresh.length === 0 || !this.isOpen) return;
    if (!this.initialSent) this.sendInitial();
    else for (const frame of operationFrames('subscribe', fresh, this.options.customFeatures, this.options.maxFrameBytes)) this.send(frame);
  }

  remove(ids: readonly string[]): void {
    const gone = ids.filter((id) => this.assets.delete(id));
    if (gone.length === 0 || !this.isOpen || !this.initialSent) return;
    for (const frame of operationFrames('unsubscribe', gone, this.options.customFeatures, this.options.maxFrameBytes)) this.send(frame);
  }

  /** Closes for good: no retry. */
  stop(): void {
    this.stopped = true;
    this.retryTimer?.unsubscribe();
    this.retryTimer = undefined;
    const socket = this.detach();
    if (socket !== undefined) closeQuietly(socket);
  }

  private connect(): void {
    this.retryTimer = undefined;
    let socket: WebSocket;
    try {
      socket = this.options.createSocket(this.options.url);
    } catch (err) {
      this.scheduleRetry(`cannot connect: ${errorText(err)}`);
      return;
    }
    this.socket = socket;
    const timers = (this.socketTimers = this.options.scheduler.schedule(() => {
      if (this.socket === socket && !this.isOpen) this.drop(`no connection within ${this.options.timing.connectTimeoutMs} ms`);
    }, this.options.timing.connectTimeoutMs));
    let lastError = '';
    socket.on('open', () => {
      if (this.socket === socket) this.onOpen(timers);
    });
    socket.on('message', (data: RawData) => {
      if (this.socket === socket) this.onMessage(data);
    });
    socket.on('error', (err: Error) => {
      lastError = errorText(err);
    });
    socket.on('close', (code: number, reason: Buffer) => {
      if (this.socket !== socket) return;
      const why = reason.length > 0 ? `: ${reason.toString('utf8').slice(0, 100)}` : '';
      this.detach();
      this.scheduleRetry(lastError !== '' ? lastError : `closed by the server (code ${code}${why})`);
    });
  }

  private onOpen(timers: Subscription): void {
    const now = this.options.scheduler.now();
    this.isOpen = true;
    this.initialSent = false;
    this.openedAt = this.lastHeard = this.lastData = now;
    if (this.assets.size > 0) this.sendInitial();
    const interval = this.options.timing.pingIntervalMs;
    const connection = this;
    timers.add(
      this.options.scheduler.schedule(function heartbeat() {
        connection.heartbeat();
        if (connection.socketTimers === timers && connection.isOpen) this.schedule(undefined, interval);
      }, interval),
    );
    const reconnect = this.everOpened;
    this.everOpened = true;
    this.report({ type: 'open', connection: this.id, assets: [...this.assets], reconnect });
  }

  private sendInitial(): void {
    const ids = [...this.assets];
    const [first = [], ...rest] = chunkForInitial(ids, this.options.maxFrameBytes);
    this.initialSent = true;
    this.send(initialSubscribeFrame(first, this.options.customFeatures));
    for (const chunk of rest) for (const frame of operationFrames('subscribe', chunk, this.options.customFeatures, this.options.maxFrameBytes)) this.send(frame);
  }

  private heartbeat(): void {
    if (!this.isOpen) return;
    const now = this.options.scheduler.now();
    const { pongTimeoutMs, dataTimeoutMs, stableAfterMs } = this.options.timing;
    if (now - this.lastHeard > pongTimeoutMs) {
      this.drop(`no PONG or data for ${now - this.lastHeard} ms (timeout ${pongTimeoutMs} ms)`);
      return;
    }
    if (this.assets.size > 0 && now - this.lastData > dataTimeoutMs) {
      this.drop(`no data for ${now - this.lastData} ms on ${this.assets.size} assets: silent freeze (watchdog ${dataTimeoutMs} ms)`);
      return;
    }
    if (this.failures > 0 && now - this.openedAt >= stableAfterMs) this.failures = 0;
    this.send(PING_FRAME);
    this.report({ type: 'ping', connection: this.id });
  }

  private onMessage(data: RawData): void {
    const now = this.options.scheduler.now();
    let text = rawText(data);
    this.lastHeard = now;
    if (text !== PONG_FRAME) this.lastData = now;
    if (text.includes('\n') || text.includes('\r')) text = text.replace(LINE_BREAK, ' ');
    try {
      this.options.onFrame(text, now);
    } catch (err) {
      this.options.onCallbackError(err);
    }
  }

  private send(frame: string): void {
    const socket = this.socket;
    if (socket === undefined || socket.readyState !== WebSocket.OPEN) return;
    try {
      socket.send(frame);
    } catch (err) {
      this.drop(`send failed: ${errorText(err)}`);
    }
  }

  /** Drops the current socket (heartbeat, watchdog, timeout) and schedules a retry. */
  private drop(reason: string): void {
    const socket = this.detach();
    if (socket !== undefined) closeQuietly(socket, true);
    this.scheduleRetry(reason);
  }

  private detach(): WebSocket | undefined {
    const socket = this.socket;
    this.socket = undefined;
    this.isOpen = false;
    this.socketTimers?.unsubscribe();
    this.socketTimers = undefined;
    return socket;
  }

  private scheduleRetry(reason: string): void {
    if (this.stopped) return;
    this.failures++;
    const delay = backoffDelay(this.failures, this.options.timing.backoff, this.options.random);
    this.report({ type: 'closed', connection: this.id, reason, retryInMs: delay });
    this.retryTimer = this.options.scheduler.schedule(() => {
      if (!this.stopped && this.socket === undefined) this.connect();
    }, delay);
  }

  private report(status: MarketChannelStatus): void {
    try {
      this.options.onStatus(status);
    } catch (err) {
      this.options.onCallbackError(err);
    }
  }
}

/** Splits ids so the initial frame (and the operation frames after it) fit `maxFrameBytes`. */
function chunkForInitial(ids: string[], maxFrameBytes: number): string[][] {
  const chunks: string[][] = [];
  let chunk: string[] = [];
  let bytes = initialSubscribeFrame([], true).length;
  for (const id of ids) {
    if (chunk.length > 0 && bytes + id.length + 3 > maxFrameBytes) {
      chunks.push(chunk);
      chunk = [];
      bytes = initialSubscribeFrame([], true).length;
    }
    chunk.push(id);
    bytes += id.length + 3;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function closeQuietly(socket: WebSocket, hard = false): void {
  socket.removeAllListeners('message');
  // A socket may still emit 'error' while closing; an unlistened 'error' would crash the process.
  socket.on('error', () => undefined);
  try {
    if (hard || socket.readyState === WebSocket.CONNECTING) socket.terminate();
    else socket.close(1000);
  } catch {
    // already closed
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}
