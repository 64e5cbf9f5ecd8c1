import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
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
});
