/** What a market-channel connection reports about itself (for logs, metrics and resync). */
export type MarketChannelStatus =
  /** Connected and subscribed; `reconnect` is true after a gap, when every book of `assets` needs a resync. */
  | { readonly type: 'open'; readonly connection: number; readonly assets: readonly string[]; readonly reconnect: boolean }
  /** The socket is gone (closed by the server, failed, or dropped by the heartbeat or watchdog); a retry follows. */
  | { readonly type: 'closed'; readonly connection: number; readonly reason: string; readonly retryInMs: number }
  /** A heartbeat PING went out. */
  | { readonly type: 'ping'; readonly connection: number };
