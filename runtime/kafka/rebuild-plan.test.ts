// planRebuild on a fake admin client: where each assigned partition is read from, up to where it
// only rebuilds state, and what a failure to read the offsets costs.
import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { KafkaJSNonRetriableError, KafkaJSTopicMetadataNotLoaded } from './kafkajs.js';
import type { KafkaCheckpoint } from './kafka-checkpoints.js';
import { planRebuild, type RebuildPlanOptions } from './rebuild-plan.js';

interface TopicState {
  /** Per partition: earliest retained offset, end offset and the group's committed offset (-1: none). */
  readonly partitions: { low: number; high: number; commit: number }[];
}

/**
 * An admin client over `topics` (or what they are at the n-th offset read, from 0), failing its
 * first `failures.length` offset reads with those errors.
 */
function fakeAdmin(topics: Record<string, TopicState> | ((read: number) => Record<string, TopicState>), failures: Error[] = []): { admin: Admin; reads: () => number } {
  let reads = 0;
  const now = (): Record<string, TopicState> => (typeof topics === 'function' ? topics(reads) : topics);
  const admin = {
    fetchOffsets: async ({ topics: names }: { topics: string[] }) =>
      names.map((topic) => ({ topic, partitions: (now()[topic]?.partitions ?? []).map((p, partition) => ({ partition, offset: String(p.commit) })) })),
    fetchTopicOffsets: async (topic: string) => {
      const failure = failures[reads];
      const listed = now()[topic]?.partitions ?? [];
      reads++;
      if (failure !== undefined) throw failure;
      return listed.map((p, partition) => ({ partition, offset: String(p.high), high: String(p.high), low: String(p.low) }));
    },
  };
  return { admin: admin as unknown as Admin, reads: () => reads };
}

const features = { partitions: [{ low: 0, high: 50, commit: 30 }, { low: 10, high: 40, commit: -1 }] };
const local = { partitions: [{ low: 5, high: 25, commit: -1 }] };

/** Options whose retry waits are recorded in `slept` (none really waited). */
function options(extra: Partial<RebuildPlanOptions> = {}, attempts?: number): RebuildPlanOptions & { slept: number[] } {
  const slept: number[] = [];
  return {
    groupId: 'g',
    consumed: (topic) => topic !== 'other',
    local: (topic) => topic === 'local',
    fromBeginning: false,
    retry: { attempts, backoff: { baseDelayMs: 100, maxDelayMs: 400 }, sleep: async (ms) => void slept.push(ms) },
    slept,
    ...extra,
  };
}

describe('planRebuild', () => {
  it('reads a committed partition from its earliest offset, silently up to the commit; a new one from its end; a local topic wholly silently', async () => {
    const { admin } = fakeAdmin({ features, local });
    const plan = await planRebuild(admin, { features: [0, 1], local: [0], other: [0] }, options());
    expect(plan.seeks).toEqual([
      { topic: 'features', partition: 0, offset: '0' },
      { topic: 'features', partition: 1, offset: '40' },
      { topic: 'local', partition: 0, offset: '25' },
    ]);
    // Partition 1 never committed and starts at its end: nothing to rebuild. The local topic never committed either.
    expect([...plan.until]).toEqual([['features:0', 30n]]);
    expect(plan.records).toBe(30);
    expect(plan.restored).toBeUndefined();
  });

  it('starts from a checkpoint that covers every partition within retention, and restores its states', async () => {
    const { admin } = fakeAdmin({ features });
    const operators = new Map([['book', { bids: 1 }]]);
    const checkpoint: KafkaCheckpoint = { operators, offsets: new Map([['features:0', 20n], ['features:1', 12n]]) };
    const plan = await planRebuild(admin, { features: [0, 1] }, options({ checkpoints: { load: async () => checkpoint, save: async () => undefined } }));
    expect(plan.seeks.map((s) => s.offset)).toEqual(['20', '12']);
    expect([...plan.until]).toEqual([['features:0', 30n]]);
    expect(plan.records).toBe(10);
    expect(plan.restored).toBe(operators);
  });

  it('reads the offsets again after a retriable failure (metadata not loaded yet), waiting longer each time', async () => {
    const { admin, reads } = fakeAdmin({ features }, [new KafkaJSTopicMetadataNotLoaded('Topic metadata not loaded'), new KafkaJSTopicMetadataNotLoaded('Topic metadata not loaded')]);
    const opts = options();
    const plan = await planRebuild(admin, { features: [0, 1] }, opts);
    expect(reads()).toBe(3);
    expect(plan.seeks.map((s) => s.offset)).toEqual(['0', '40']);
    // Equal jitter: the n-th wait is between half and all of 100 * 2^(n-1).
    expect(opts.slept).toHaveLength(2);
    expect(opts.slept[0]).toBeGreaterThanOrEqual(50);
    expect(opts.slept[0]).toBeLessThanOrEqual(100);
    expect(opts.slept[1]).toBeGreaterThanOrEqual(100);
    expect(opts.slept[1]).toBeLessThanOrEqual(200);
  });

  it('treats an assigned partition the metadata does not list as not loaded yet', async () => {
    const grown = { partitions: [...features.partitions, { low: 0, high: 7, commit: 3 }] };
    const { admin, reads } = fakeAdmin((read) => ({ features: read === 0 ? features : grown }));
    const opts = options();
    const plan = await planRebuild(admin, { features: [2] }, opts);
    expect(reads()).toBe(2);
    expect(opts.slept).toHaveLength(1);
    expect(plan.seeks).toEqual([{ topic: 'features', partition: 2, offset: '0' }]);
    expect([...plan.until]).toEqual([['features:2', 3n]]);
  });

  it('gives up with the last error after its attempts, and at once on an error the client does not call retriable', async () => {
    const notLoaded = (): Error => new KafkaJSTopicMetadataNotLoaded('Topic metadata not loaded');
    const stubborn = fakeAdmin({ features }, [notLoaded(), notLoaded(), notLoaded()]);
    const opts = options({}, 3);
    await expect(planRebuild(stubborn.admin, { features: [0] }, opts)).rejects.toThrow('Topic metadata not loaded');
    expect(stubborn.reads()).toBe(3);
    expect(opts.slept).toHaveLength(2);

    const fatal = fakeAdmin({ features }, [new KafkaJSNonRetriableError('not authorized')]);
    const once = options();
    await expect(planRebuild(fatal.admin, { features: [0] }, once)).rejects.toThrow('not authorized');
    expect(fatal.reads()).toBe(1);
    expect(once.slept).toEqual([]);
  });
});
