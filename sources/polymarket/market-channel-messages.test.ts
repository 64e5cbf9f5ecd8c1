import { describe, expect, it } from 'vitest';
import { initialSubscribeFrame, operationFrames } from './market-channel-messages.js';

const id = (n: number): string => String(10n ** 76n + BigInt(n)); // 77 digits, like a real token id

describe('market channel messages', () => {
  it('builds the documented subscribe frames', () => {
    expect(JSON.parse(initialSubscribeFrame(['1', '2'], true))).toEqual({ type: 'market', assets_ids: ['1', '2'], initial_dump: true, custom_feature_enabled: true });
    expect(operationFrames('subscribe', ['1'], true)).toEqual(['{"operation":"subscribe","assets_ids":["1"],"custom_feature_enabled":true}']);
    expect(operationFrames('unsubscribe', ['1'], true)).toEqual(['{"operation":"unsubscribe","assets_ids":["1"]}']);
    expect(operationFrames('subscribe', [], true)).toEqual([]);
  });

  it('splits frames to stay under the byte limit, keeping every id once and in order', () => {
    const ids = Array.from({ length: 2_600 }, (_, i) => id(i)); // ~200 KB as one frame: the size the server drops
    const frames = operationFrames('subscribe', ids, true, 38_000);
    for (const f of frames) expect(f.length).toBeLessThanOrEqual(38_000);
    expect(frames.length).toBe(Math.ceil((ids.length * 80 + 60) / 38_000));
    expect(frames.flatMap((f) => (JSON.parse(f) as { assets_ids: string[] }).assets_ids)).toEqual(ids);
  });
});
