/**
 * What a recording holds, in receive-time order: market-channel frames exactly as the websocket
 * delivered them, and Gamma market records as fetched. Live ingestion produces the same records,
 * so the ingest pipeline cannot tell a replay from a live run. A line of a recording that is not
 * even a record arrives as `invalid`, so ingest dead-letters it with the reason.
 */
export type ReplayRecord =
  | { readonly kind: 'frame'; readonly recvTs: number; readonly frame: string }
  | { readonly kind: 'market'; readonly recvTs: number; readonly market: unknown }
  | { readonly kind: 'invalid'; readonly recvTs: number; readonly raw: string; readonly reason: string };
