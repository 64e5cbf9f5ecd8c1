/** Topic `pm.market.raw` (key: connection or file): one frame as received, for recording and replay. */
export interface RawMessage {
  readonly recvTs: number;
  readonly payload: string;
}
