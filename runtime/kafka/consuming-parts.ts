import type { CommitMarks } from './commit-marks.js';
import type { ConsumedMarkers } from './consumed-markers.js';
import type { ConsumptionHolds } from './consumption-holds.js';
import type { MergedIntake } from './merged-intake.js';
import type { OffsetCommitter } from './offset-committer.js';
import type { OperatorCheckpoints } from './operator-checkpoints.js';
import type { PartitionPositions } from './partition-positions.js';

/** The parts of a KafkaBus's consuming side that its batch consumption and its assignment hand-over share. */
export interface ConsumingParts {
  readonly holds: ConsumptionHolds;
  /** Where the operators are in each assigned partition, and up to where each only rebuilds state. */
  readonly positions: PartitionPositions;
  /** Offsets to commit once the outputs published before them are acknowledged. */
  readonly marks: CommitMarks;
  readonly committer: OffsetCommitter;
  /** What the progress markers consumed say. */
  readonly markers: ConsumedMarkers;
  readonly checkpoints: OperatorCheckpoints;
  /** With `ingestOrder` or `eventOrder`: where co-partitioned records wait for their place. */
  readonly intake: MergedIntake | undefined;
}
