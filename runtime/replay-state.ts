import { deserialize, serialize } from 'node:v8';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { MarketId } from '../schemas/ids.js';
import type { Strength } from '../schemas/signal.js';
import type { TopicName } from '../schemas/topics.js';
import type { StateRows } from './state-store.js';

/**
 * Everything a replay needs to go on from a checkpoint as if it had never stopped: the operators'
 * states (by state id), the replay's own tallies, the bus's publish counts and the virtual clock.
 * Serialized with v8's structured clone (Maps, Sets, typed arrays and shared references survive),
 * then deflated: books and rings are mostly zeros (the sample's 3.3 MB state packs to ~0.4 MB).
 */
export interface ReplayState {
  readonly version: 1;
  readonly operators: ReadonlyMap<string, unknown>;
  /** Records fed: the input offset. */
  readonly fed: number;
  readonly frames: number;
  readonly lastTs: number;
  readonly clockMs: number;
  readonly markets: ReadonlySet<MarketId>;
  readonly signals: Readonly<Record<Strength, number>>;
  /** The last analytics report (operators/analytics.ts), kept opaque here. */
  readonly report: unknown;
  readonly busCounts: ReadonlyMap<TopicName, number>;
}

export const encodeReplayState = (state: ReplayState): Uint8Array => deflateRawSync(serialize(state), { level: 1 });

export function decodeReplayState(bytes: Uint8Array): ReplayState {
  const state = deserialize(inflateRawSync(bytes)) as ReplayState;
  if (state.version !== 1) throw new Error(`replay checkpoint: unknown state version ${String(state.version)}`);
  return state;
}

/** One checkpoint of a replay, as the replay hands it to be stored. */
export interface ReplayCommit {
  readonly inputOffset: number;
  readonly clockMs: number;
  readonly complete: boolean;
  readonly state: Uint8Array;
  readonly outputPositions: Readonly<Record<string, number>>;
}

/** What a replay needs to checkpoint and resume (runtime/replay-checkpoints.ts implements it over a StateStore). */
export interface ReplayDurability {
  /** A checkpoint every this many records, and one at the end... */
  readonly everyRecords: number;
  /** ...or sooner, once this many rows wait to be committed. */
  readonly maxBufferedRows: number;
  /** The state to resume from; the caller opened the output files at its positions. */
  readonly resume: ReplayState | undefined;
  /** Stores the rows and the checkpoint in one transaction; the replay waits for it (backpressure). */
  commit(rows: StateRows, checkpoint: ReplayCommit): Promise<void>;
}
