import { describe, expect, it } from 'vitest';
import { assetId, marketId } from '../schemas/ids.js';
import type { Resolution } from '../schemas/resolution.js';
import { MemoryBus } from './memory-bus.js';

const resolution = (n: number): Resolution => ({ market: marketId(`0x${n}`), ts: n, winningAssetId: assetId(`${n}`), winningOutcome: 'Yes' });

describe('MemoryBus', () => {
  it('delivers synchronously, in publish order, to every subscriber of the topic only', () => {
    const bus = new MemoryBus();
    const seenA: number[] = [];
    const seenB: number[] = [];
    bus.topic('pm.resolution').subscribe((r) => seenA.push(r.ts));
    bus.topic('pm.resolution').subscribe((r) => seenB.push(r.ts));
    let other = 0;
    bus.topic('signal.v1').subscribe(() => other++);
    bus.publish('pm.resolution', '0x1', resolution(1));
    expect(seenA).toEqual([1]); // before publish returned
    bus.publish('pm.resolution', '0x2', resolution(2));
    expect(seenA).toEqual([1, 2]);
    expect(seenB).toEqual([1, 2]);
    expect(other).toBe(0);
    expect(bus.counts().get('pm.resolution')).toBe(2);
  });

  it('runs a publish made inside a subscriber depth-first, before later subscribers see the first record', () => {
    const bus = new MemoryBus();
    const order: string[] = [];
    bus.topic('pm.resolution').subscribe((r) => {
      order.push(`first:${r.ts}`);
      if (r.ts === 1) bus.publish('pm.resolution', '0x9', resolution(9));
    });
    bus.topic('pm.resolution').subscribe((r) => order.push(`second:${r.ts}`));
    bus.publish('pm.resolution', '0x1', resolution(1));
    expect(order).toEqual(['first:1', 'first:9', 'second:9', 'second:1']);
  });

  it('completes subscribers on close', async () => {
    const bus = new MemoryBus();
    let completed = false;
    bus.topic('fill.v1').subscribe({ complete: () => (completed = true) });
    await bus.close();
    expect(completed).toBe(true);
  });
});
