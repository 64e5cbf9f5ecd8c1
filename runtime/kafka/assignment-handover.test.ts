import type { Admin } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import type { Logger } from '../logger.js';
import { AssignmentHandover, type HandoverHost } from './assignment-handover.js';
import { CommitMarks } from './commit-marks.js';
import { ConsumedMarkers } from './consumed-markers.js';
import { ConsumptionHolds } from './consumption-holds.js';
import type { KafkaRebuild } from './kafka-bus-options.js';
import { OffsetCommitter } from './offset-committer.js';
import { OperatorCheckpoints } from './operator-checkpoints.js';
import { PartitionPositions } from './partition-positions.js';

/** A hand-over over real parts (no consumer, no intake) whose host records its seeks, fresh starts and failures. */
function harness(rebuild: KafkaRebuild | undefined, admin: () => Promise<Admin> = () => Promise.reject(new Error('broker away'))) {
  const holds = new ConsumptionHolds({ consumer: () => undefined, topics: () => ['t'], pausedPartitions: () => [], isFailed: () => false, heartbeatMs: 100 });
  const positions = new PartitionPositions();
  const marks = new CommitMarks();
  const committer = new OffsetCommitter(marks, { commit: () => Promise.resolve(true), paused: () => false, flush: () => Promise.resolve() }, { intervalMs: 0, maxUncommitted: 1_000 });
  const markers = new ConsumedMarkers({ eventOrder: undefined, groupId: 'g', reopenGate: () => undefined });
  const checkpoints = new OperatorCheckpoints({ holds, positions, committer, markers, bus: { rebuild } });
  const seeks: { topic: string; partition: number; offset: string }[] = [];
  const host = {
    batchInHand: () => Promise.resolve(),
    consumed: (kafkaTopic: string) => kafkaTopic === 't',
    local: () => false,
    admin: vi.fn(admin),
    seek: (seek: { topic: string; partition: number; offset: string }) => void seeks.push(seek),
    lagProbe: () => undefined,
    startedOver: vi.fn(),
    fail: vi.fn(),
  } satisfies HandoverHost;
  const info = vi.fn();
  const logger = { info, warn: vi.fn(), child: () => logger } as unknown as Logger;
  const handover = new AssignmentHandover(host, { holds, positions, marks, committer, markers, checkpoints, intake: undefined, bus: { groupId: 'g', rebuild, logger } });
  return { handover, holds, positions, host, seeks, info };
}

describe('AssignmentHandover', () => {
  it('without rebuild counts the joins, keeps the active time while topics are assigned, and forgets where the operators were', () => {
    const { handover, positions } = harness(undefined);
    positions.passed('t', 0, '4');
    handover.joined({ t: [0] });
    const since = handover.activeSince;
    expect(since).toBeTypeOf('number');
    expect(positions.of('t', 0)).toBeUndefined();
    handover.joined({ t: [0, 1] });
    expect(handover.activeSince).toBe(since);
    handover.joined({});
    expect(handover.activeSince).toBeUndefined();
    expect(handover.joins).toBe(3);
  });

  it('with rebuild, resumes an unchanged assignment where the operators are (after the offset they saw last), keeping their state', async () => {
    const reset = vi.fn();
    const { handover, holds, positions, host, seeks, info } = harness({ reset });
    positions.rebuild({ seeks: [{ topic: 't', partition: 0, offset: '5' }], until: new Map() });
    positions.passed('t', 0, '9');
    handover.joined({ t: [0] });
    expect(holds.has('assignment')).toBe(true);
    await handover.handedOver();
    expect(seeks).toEqual([{ topic: 't', partition: 0, offset: '10' }]);
    expect(reset).not.toHaveBeenCalled();
    expect(host.startedOver).not.toHaveBeenCalled();
    expect(holds.has('assignment')).toBe(false);
    expect(info).toHaveBeenCalledWith({ group: 'g', partitions: 1 }, 'assignment unchanged: operator state kept');
  });

  it('with rebuild, resets the operators on a new assignment and reads it again from the earliest offset, silently up to the commit', async () => {
    const reset = vi.fn();
    // Partition 0 of t: offsets 0 to 50 retained, the group committed 30.
    const admin = {
      fetchOffsets: () => Promise.resolve([{ topic: 't', partitions: [{ partition: 0, offset: '30' }] }]),
      fetchTopicOffsets: () => Promise.resolve([{ partition: 0, offset: '50', high: '50', low: '0' }]),
    } as unknown as Admin;
    const { handover, holds, positions, host, seeks, info } = harness({ reset }, () => Promise.resolve(admin));
    handover.joined({ t: [0] });
    expect(holds.has('assignment')).toBe(true);
    await handover.handedOver();
    expect(reset).toHaveBeenCalledWith(undefined);
    expect(host.startedOver).toHaveBeenCalledTimes(1);
    expect(seeks).toEqual([{ topic: 't', partition: 0, offset: '0' }]);
    expect(positions.rebuildBound('t', 0)).toBe(30n);
    expect(info).toHaveBeenCalledWith({ group: 'g', partitions: 1, records: 30, from: 'earliest retained offsets' }, 'rebuilding operator state from the assigned partitions');
    expect(holds.has('assignment')).toBe(false);
    expect(host.fail).not.toHaveBeenCalled();
  });

  it('lets a newer assignment supersede one that has not started', async () => {
    const { handover, positions, seeks } = harness({ reset: vi.fn() });
    positions.rebuild({ seeks: [{ topic: 't', partition: 0, offset: '5' }], until: new Map() });
    handover.joined({ t: [0] });
    handover.joined({ t: [0] });
    await handover.handedOver();
    // Only the second assignment resumed the partition.
    expect(seeks).toEqual([{ topic: 't', partition: 0, offset: '5' }]);
  });

  it('keeps consumption held and reports the failure when the rebuild cannot be planned', async () => {
    const { handover, holds, host } = harness({ reset: vi.fn() });
    handover.joined({ t: [0] });
    await handover.handedOver();
    expect(host.admin).toHaveBeenCalledTimes(1);
    expect(host.fail).toHaveBeenCalledWith(new Error('broker away'), 'kafka bus: could not rebuild state on assignment (consumption stays held)');
    expect(holds.has('assignment')).toBe(true);
  });
});
