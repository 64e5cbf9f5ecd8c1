/**
 * The CLOB market channel over as many websockets as the subscription needs: assets are spread
 * over connections of at most `maxAssetsPerConnection` (POLYMARKET.md §0 fact 5: about 500 per
 * connection works, NautilusTrader defaults to 200), and `setAssets` turns a new wanted set into
 * `operation` subscribe/unsubscribe frames on the live sockets (B.1 "Change subscriptions on a
 * live socket"), opening a connection when the others are full and closing one left empty.
 * Heartbeat, watchdog and reconnect are per connection (market-channel-connection.ts).
 */
import type { SchedulerLike } from 'rxjs';
import WebSocket from 'ws';
import { DEFAULT_MAX_FRAME_BYTES } from './market-channel-messages.js';
import { DEFAULT_MARKET_CHANNEL_TIMING, MarketChannelConnection, type MarketChannelTiming } from './market-channel-connection.js';
import type { MarketChannelStatus } from './market-channel-status.js';

export interface MarketChannelClientOptions {
  /** e.g. `wss://ws-subscriptions-clob.polymarket.com/ws/market` (B.0). */
  readonly url: string;
  readonly scheduler: SchedulerLike;
  readonly onFrame: (frame: string, recvTs: number) => void;
  readonly onStatus?: (status: MarketChannelStatus) => void;
  readonly onCallbackError?: (err: unknown) => void;
  /** Default 200 (NautilusTrader); at most ~500 work (fact 5). */
  readonly maxAssetsPerConnection?: number;
  readonly timing?: Partial<MarketChannelTiming>;
  /** Default true: `market_resolved` comes only with custom features (B.1). */
  readonly customFeatures?: boolean;
  readonly maxFrameBytes?: number;
  /** [0,1) jitter source. */
  readonly random?: () => number;
  readonly createSocket?: (url: string) => WebSocket;
}

export const DEFAULT_ASSETS_PER_CONNECTION = 200;

export class MarketChannelClient {
  private readonly connections: MarketChannelConnection[] = [];
  private nextId = 0;
  private readonly max: number;
  private stopped = false;

  constructor(private readonly options: MarketChannelClientOptions) {
    this.max = options.maxAssetsPerConnection ?? DEFAULT_ASSETS_PER_CONNECTION;
    if (!(Number.isInteger(this.max) && this.max >= 1)) throw new RangeError(`maxAssetsPerConnection must be a positive integer, got ${this.max}`);
  }

  /** Every asset subscribed (or to be, once its connection is up). */
  assets(): string[] {
    return this.connections.flatMap((c) => [...c.assets]);
  }

  /** Assets per connection id. */
  connectionAssets(): Map<number, string[]> {
    return new Map(this.connections.map((c) => [c.id, [...c.assets]]));
  }

  /** Makes the subscription exactly `ids`; says what changed. */
  setAssets(ids: Iterable<string>): { added: string[]; removed: string[] } {
    if (this.stopped) return { added: [], removed: [] };
    const wanted = new Set(ids);
    const removed: string[] = [];
    const have = new Set<string>();
    for (const conn of this.connections) {
      const gone = [...conn.assets].filter((id) => !wanted.has(id));
      if (gone.length > 0) {
        conn.remove(gone);
        removed.push(...gone);
      }
      for (const id of conn.assets) have.add(id);
    }
    for (let i = this.connections.length - 1; i >= 0; i--) {
      const conn = this.connections[i] as MarketChannelConnection;
      if (conn.assets.size === 0) {
        conn.stop();
        this.connections.splice(i, 1);
      }
    }
    const added = [...wanted].filter((id) => !have.has(id));
    let next = 0;
    for (const conn of this.connections) {
      if (next >= added.length) break;
      const room = this.max - conn.assets.size;
      if (room <= 0) continue;
      conn.add(added.slice(next, next + room));
      next += room;
    }
    while (next < added.length) {
      const conn = this.newConnection();
      conn.add(added.slice(next, next + this.max));
      next += this.max;
      conn.start();
    }
    return { added, removed };
  }

  stop(): void {
    this.stopped = true;
    for (const conn of this.connections) conn.stop();
    this.connections.length = 0;
  }

  private newConnection(): MarketChannelConnection {
    const o = this.options;
    const conn = new MarketChannelConnection({
      id: this.nextId++,
      url: o.url,
      scheduler: o.scheduler,
      timing: { ...DEFAULT_MARKET_CHANNEL_TIMING, ...o.timing },
      customFeatures: o.customFeatures ?? true,
      maxFrameBytes: o.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      random: o.random ?? Math.random,
      createSocket: o.createSocket ?? ((url) => new WebSocket(url, { perMessageDeflate: false })),
      onFrame: o.onFrame,
      onStatus: o.onStatus ?? (() => undefined),
      onCallbackError: o.onCallbackError ?? (() => undefined),
    });
    this.connections.push(conn);
    return conn;
  }
}
