/**
 * Client -> server messages of the CLOB market channel (POLYMARKET.md §0 fact 3, B.1):
 * - the first frame after connect: `{"type":"market","assets_ids":[...],"initial_dump":true,
 *   "custom_feature_enabled":true}` (custom features bring `market_resolved`; rs-clob-client PR
 *   #186: the flag is kept on every reconnect, which this does by building the frame anew);
 * - later changes on a live socket: `{"operation":"subscribe"|"unsubscribe","assets_ids":[...]}`;
 * - keepalive: the text `PING` (the server answers `PONG`).
 * Subscribe frames above ~200 KB are silently dropped by the server (fact 5), so every frame is
 * split to stay under `maxFrameBytes` (ids are ASCII digits: bytes = characters).
 */
export const PING_FRAME = 'PING';
export const PONG_FRAME = 'PONG';

/** Well under the ~200 KB the server silently drops (aliplayer1: 500 tokens ~ 38 KB). */
export const DEFAULT_MAX_FRAME_BYTES = 100_000;

export function initialSubscribeFrame(assetIds: readonly string[], customFeatures: boolean): string {
  return JSON.stringify({ type: 'market', assets_ids: assetIds, initial_dump: true, custom_feature_enabled: customFeatures });
}

/** `operation` frames for `assetIds`, as many as needed to keep each under `maxFrameBytes`. */
export function operationFrames(
  operation: 'subscribe' | 'unsubscribe',
  assetIds: readonly string[],
  customFeatures: boolean,
  maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES,
): string[] {
  const frames: string[] = [];
  const build = (ids: readonly string[]): string =>
    JSON.stringify(operation === 'subscribe' ? { operation, assets_ids: ids, custom_feature_enabled: customFeatures } : { operation, assets_ids: ids });
  let chunk: string[] = [];
  let bytes = build([]).length;
  for (const id of assetIds) {
    const cost = id.length + 3; // quotes and comma
    if (chunk.length > 0 && bytes + cost > maxFrameBytes) {
      frames.push(build(chunk));
      chunk = [];
      bytes = build([]).length;
    }
    chunk.push(id);
    bytes += cost;
  }
  if (chunk.length > 0) frames.push(build(chunk));
  return frames;
}
