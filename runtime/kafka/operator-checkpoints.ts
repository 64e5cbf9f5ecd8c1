import type { ConsumedMarkers } from './consumed-markers.js';
import type { ConsumptionHolds } from './consumption-holds.js';
import { INPUT_PROGRESS_STATE } from './input-progress.js';
import type { KafkaBusOptions } from './kafka-bus-options.js';
import type { OffsetCommitter } from './offset-committer.js';
import type { PartitionPositions } from './partition-positions.js';

export interface OperatorCheckpointsOptions {
  readonly holds: ConsumptionHolds;
  readonly positions: PartitionPositions;
  readonly committer: OffsetCommitter;
  readonly markers: ConsumedMarkers;
  readonly bus: Pick<KafkaBusOptions, 'rebuild' | 'metrics'>;
}

/**
 * A KafkaBus's checkpoints of its operators' states (with `rebuild.checkpoints`): saved with the
 * offsets they reflect at most every `rebuild.checkpointIntervalMs` while live records are consumed,
 * and when the bus stops; an assignment's rebuild (AssignmentHandover) restores from the latest.
 */
export class OperatorCheckpoints {
  private checkpointedAt = Date.now();

  constructor(private readonly opts: OperatorCheckpointsOptions) {}

  /** A checkpoint once `rebuild.checkpointIntervalMs` has passed since the last (or since the assignment was rebuilt). */
  async saveIfDue(): Promise<void> {
    if (Date.now() - this.checkpointedAt >= (this.opts.bus.rebuild?.checkpointIntervalMs ?? 10_000)) await this.save();
  }

  /** The operators' state was rebuilt: the next checkpoint is due an interval from now. */
  restartInterval(): void {
    this.checkpointedAt = Date.now();
  }

  /** Saves the operators' states with the offsets they reflect (with `rebuild.checkpoints`; not while an assignment is being rebuilt). */
  async save(): Promise<void> {
    const { holds, positions, committer, markers, bus } = this.opts;
    const rebuild = bus.rebuild;
    if (rebuild?.checkpoints === undefined || rebuild.snapshot === undefined || holds.has('assignment') || positions.assigned.length === 0) return;
    this.checkpointedAt = Date.now();
    // A restart resumes after the checkpoint's offsets: what the records before them published must be acknowledged.
    await committer.commitAll();
    const operators = new Map(rebuild.snapshot());
    // How far the markers had progressed, so a member restored from it gives the operators the input times a rebuild from the start would.
    const progress = markers.snapshot();
    if (progress !== undefined) operators.set(INPUT_PROGRESS_STATE, progress);
    await rebuild.checkpoints.save(positions.assigned, { operators, offsets: positions.snapshot() });
    bus.metrics?.checkpoints.inc();
  }
}
