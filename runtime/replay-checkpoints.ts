import { InputError } from './errors.js';
import { decodeReplayState, type ReplayCommit, type ReplayDurability } from './replay-state.js';
import type { PipelineCheckpoint, StateRows, StateStore } from './state-store.js';

export interface ReplayCheckpointsOptions {
  /** The pipeline's checkpoint row, e.g. `replay:<absolute out dir>`. */
  readonly pipeline: string;
  /** What is replayed, with the config that shapes its outputs: a checkpoint of another input is refused. */
  readonly inputId: string;
  readonly everyRecords: number;
  readonly maxBufferedRows: number;
  /** Drop any checkpoint and start from the first record. */
  readonly fresh?: boolean;
  /** Told after every commit (progress, tests that stop a run at the k-th checkpoint). */
  readonly onCommit?: (checkpoint: PipelineCheckpoint) => void;
}

export interface ReplayCheckpoints {
  readonly durability: ReplayDurability;
  /** The checkpoint resumed from; open the output files at its `outputPositions`. */
  readonly resumedFrom: PipelineCheckpoint | undefined;
}

/**
 * Checkpoints of one replay in a StateStore (DESIGN §4): loads the last one to resume from, and
 * commits each new one with the rows produced since the previous, in one transaction.
 */
export async function replayCheckpoints(store: StateStore, opts: ReplayCheckpointsOptions): Promise<ReplayCheckpoints> {
  if (opts.fresh === true) await store.deleteCheckpoint(opts.pipeline);
  const last = await store.loadCheckpoint(opts.pipeline);
  if (last !== undefined && last.inputId !== opts.inputId) {
    throw new InputError(
      `${opts.pipeline}: its checkpoint is of another input or config (${last.inputId.slice(0, 12)}, now ${opts.inputId.slice(0, 12)}); use another --out or --fresh`,
    );
  }
  let seq = last?.seq ?? 0;
  const durability: ReplayDurability = {
    everyRecords: opts.everyRecords,
    maxBufferedRows: opts.maxBufferedRows,
    resume: last === undefined ? undefined : decodeReplayState(last.state),
    async commit(rows: StateRows, at: ReplayCommit): Promise<void> {
      const checkpoint: PipelineCheckpoint = { pipeline: opts.pipeline, seq: seq + 1, inputId: opts.inputId, ...at };
      await store.commit(rows, checkpoint);
      seq++;
      opts.onCommit?.(checkpoint);
    },
  };
  return { durability, resumedFrom: last };
}
