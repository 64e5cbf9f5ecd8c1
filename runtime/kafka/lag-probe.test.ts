import { Gauge, Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import type { OffsetsAdmin } from './assigned-offsets.js';
import { LagProbe } from './lag-probe.js';

/** A broker whose high watermarks the test moves, with the group's committed offsets. */
function broker(highs: Map<string, number[]>, committed: Map<string, number[]>, low = 0): OffsetsAdmin {
  return {
    fetchTopicOffsets: async (topic: string) =>
      (highs.get(topic) ?? []).map((high, partition) => ({ partition, offset: String(high), high: String(high), low: String(low) })),
    fetchOffsets: async ({ topics }: { groupId: string; topics?: string[] }) =>
      (topics ?? []).map((topic) => ({ topic, partitions: (committed.get(topic) ?? []).map((offset, partition) => ({ partition, offset: String(offset), metadata: null })) })),
  } as unknown as OffsetsAdmin;
}

async function series(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('lag')?.get();
  return Object.fromEntries((metric?.values ?? []).map((v) => [`${v.labels['topic']}/${v.labels['partition']}`, v.value]));
}

describe('LagProbe', () => {
  it('rises while the member hands nothing over (paused), from where it is, else from the committed offset', async () => {
    const registry = new Registry();
    const gauge = new Gauge({ name: 'lag', help: 'h', labelNames: ['topic', 'partition'], registers: [registry] });
    const highs = new Map([['p.pm.book', [100, 50]]]);
    const positions = new Map<string, bigint>([['p.pm.book:0', 90n]]);
    const probe = new LagProbe({
      admin: async () => broker(highs, new Map([['p.pm.book', [80, 20]]])),
      groupId: 'g',
      gauge,
      topicOf: (t) => (t.startsWith('p.') ? t.slice(2) : undefined),
      position: (t, p) => positions.get(`${t}:${p}`),
    });
    probe.assigned({ 'p.pm.book': [0, 1] });
    await probe.probe();
    expect(await series(registry)).toEqual({ 'pm.book/0': 10, 'pm.book/1': 30 });
    // Paused: nothing handed over while the producer goes on.
    highs.set('p.pm.book', [400, 50]);
    await probe.probe();
    expect(await series(registry)).toEqual({ 'pm.book/0': 310, 'pm.book/1': 30 });
  });

  it('drops the series of partitions another member owns now', async () => {
    const registry = new Registry();
    const gauge = new Gauge({ name: 'lag', help: 'h', labelNames: ['topic', 'partition'], registers: [registry] });
    const probe = new LagProbe({
      admin: async () => broker(new Map([['x', [5, 7, 9]]]), new Map([['x', [-1, -1, -1]]]), 2),
      groupId: 'g',
      gauge,
      topicOf: (t) => t,
      position: () => undefined,
    });
    probe.assigned({ x: [0, 1, 2] });
    await probe.probe();
    // Nothing committed: counted from the earliest retained offset (2).
    expect(await series(registry)).toEqual({ 'x/0': 3, 'x/1': 5, 'x/2': 7 });
    probe.assigned({ x: [2] });
    expect(await series(registry)).toEqual({ 'x/2': 7 });
    await probe.probe();
    expect(await series(registry)).toEqual({ 'x/2': 7 });
  });

  it("sets a consumed batch's figure from its high watermark, on the bus's topics and assigned partitions only", async () => {
    const registry = new Registry();
    const gauge = new Gauge({ name: 'lag', help: 'h', labelNames: ['topic', 'partition'], registers: [registry] });
    const probe = new LagProbe({ admin: async () => broker(new Map(), new Map()), groupId: 'g', gauge, topicOf: (t) => (t.startsWith('p.') ? t.slice(2) : undefined), position: () => undefined });
    probe.assigned({ 'p.pm.book': [3], 'p.pm.trade': [0, 1], other: [0] });
    probe.consumed('p.pm.book', 3, '120', '99');
    probe.consumed('p.pm.trade', 0, '8', '7');
    probe.consumed('other', 0, '50', '1');
    // A high watermark behind the batch (a stale one) counts as caught up, never as negative.
    probe.consumed('p.pm.trade', 1, '5', '7');
    expect(await series(registry)).toEqual({ 'pm.book/3': 20, 'pm.trade/0': 0, 'pm.trade/1': 0 });
    // A batch of a partition another member owns now, fetched before the rebalance: its series stays gone.
    probe.assigned({ 'p.pm.book': [3], 'p.pm.trade': [0] });
    probe.consumed('p.pm.trade', 1, '9', '2');
    expect(await series(registry)).toEqual({ 'pm.book/3': 20, 'pm.trade/0': 0 });
  });

  it('probes on its timer until stopped, and hands a failed probe to its handler', async () => {
    vi.useFakeTimers();
    try {
      const registry = new Registry();
      const gauge = new Gauge({ name: 'lag', help: 'h', labelNames: ['topic', 'partition'], registers: [registry] });
      let asked = 0;
      const failures: unknown[] = [];
      const probe = new LagProbe({
        admin: async () => {
          asked++;
          if (asked === 2) throw new Error('broker gone');
          return broker(new Map([['x', [4]]]), new Map([['x', [1]]]));
        },
        groupId: 'g',
        gauge,
        topicOf: (t) => t,
        position: () => undefined,
      });
      probe.assigned({ x: [0] });
      probe.every(1_000, (err) => failures.push(err));
      await vi.advanceTimersByTimeAsync(2_500);
      expect(asked).toBe(2);
      expect(failures).toEqual([new Error('broker gone')]);
      expect(await series(registry)).toEqual({ 'x/0': 3 });
      probe.stop();
      await vi.advanceTimersByTimeAsync(5_000);
      expect(asked).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
