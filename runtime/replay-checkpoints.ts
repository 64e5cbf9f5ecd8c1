import { InputError } from './errors.js';
import { decodeReplayState, type ReplayCommit, type ReplayDurability } from './replay-state.js';
import type { PipelineCheckpoint, StateRows, StateStore } from './state-store.js';

export interface ReplayCheckpointsOptions {
  /** The pipeline's checkpoint row, e.g. `replay:<absolute out dir>`. */
  readonly pipeline: string;
  /** What is replayed, with the config that shapes its outputs: an unfinished run of another input is not resumed. */
  readonly inputId: string;
  readonly everyRecords: number;
  readonly maxBufferedRows: number;
  /** Drop any checkpoint and start from the first record. */
  readonly fresh?: boolean;
  /**
   * The store holds this run only (a replay's `<out>/pglite`): a start from the first record also
   * deletes the rows of the run before (they would otherwise outlive a change of config).
   */
  readonly ownStore?: boolean;
  /** Told after every commit (progress, tests that stop a run at the k-th checkpoint). */
  readonly onCommit?: (checkpoint: PipelineCheckpoint) => void;
}

/**
 * How a replay starts. `new`: no checkpoint. `resume`: the last run stopped before the end of its
 * input (killed), and this one has the same input and config: it goes on from the checkpoint.
 * `rerun`: the last run finished, so there is nothing to resume: this one starts from the first
 * record and replaces its outputs, whatever its input and config. `fresh`: asked for (--fresh).
 */
export type ReplayStart = 'new' | 'resume' | 'rerun' | 'fresh';

export interface ReplayCheckpoints {
  readonly durability: ReplayDurability;
  readonly start: ReplayStart;
  /** The checkpoint resumed from (`start` is `resume`); open the output files at its `outputPositions`. */
  readonly resumedFrom: PipelineCheckpoint | undefined;
  /** The last checkpoint found, resumed from or not (a `rerun`: the finished run's final one). */
  readonly previous: PipelineCheckpoint | undefined;
}

/** Which start the last checkpoint calls for; throws on an unfinished run of another input or config. */
export function replayStart(last: PipelineCheckpoint | undefined, opts: { readonly inputId: string; readonly fresh?: boolean; readonly pipeline: string }): ReplayStart {
  if (opts.fresh === true) return 'fresh';
  if (last === undefined) return 'new';
  if (last.complete) return 'rerun';
  if (last.inputId !== opts.inputId) {
    throw new InputError(
      `${opts.pipeline}: an unfinished run of another input or config is checkpointed there (${last.inputId.slice(0, 12)}, now ${opts.inputId.slice(0, 12)}, stopped at record ${last.inputOffset}); ` +
        'run it again with its input and config to resume it, or start over with --fresh (or use another --out)',
    );
  }
  return 'resume';
}

/**
 * Checkpoints of one replay in a StateStore (DESIGN §4): loads the last one to resume from, and
 * commits each new one with the rows produced since the previous, in one transaction. A start
 * that is not a resume deletes the last checkpoint first, so a run killed before its own first
 * checkpoint starts from the first record again.
 */
export async function replayCheckpoints(store: StateStore, opts: ReplayCheckpointsOptions): Promise<ReplayCheckpoints> {
  const previous = await store.loadCheckpoint(opts.pipeline);
  const start = replayStart(previous, opts);
  if (start !== 'resume') {
    if (opts.ownStore === true) await store.resetRun(opts.pipeline);
    else if (previous !== undefined) await store.deleteCheckpoint(opts.pipeline);
  }
  const last = start === 'resume' ? previous : undefined;
  let seq = previous?.seq ?? 0;
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
  return { durability, start, resumedFrom: last, previous };
}
