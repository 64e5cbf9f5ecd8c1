import { createHash } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { NO_ROWS, type StateStore } from '../state-store.js';

/**
 * What a consumer-group process needs to go on after a restart without reading its partitions from
 * the beginning (DESIGN §4): its operators' states (by state id) and, for each partition it was
 * assigned, the offset of the next record those states have not seen.
 */
export interface KafkaCheckpoint {
  readonly operators: ReadonlyMap<string, unknown>;
  /** Next offset per `topic:partition` (broker topic names). */
  readonly offsets: ReadonlyMap<string, bigint>;
}

/** Where a consumer group's checkpoints live, one per assignment (the set of partitions they cover). */
export interface KafkaCheckpointStore {
  load(partitions: readonly string[]): Promise<KafkaCheckpoint | undefined>;
  save(partitions: readonly string[], checkpoint: KafkaCheckpoint): Promise<void>;
}

interface Stored {
  readonly version: 1;
  readonly operators: ReadonlyMap<string, unknown>;
  readonly offsets: ReadonlyMap<string, bigint>;
}

/**
 * Checkpoints of consumer group `group` in a StateStore's pipeline checkpoints: one row per
 * assignment, `kafka:<group>:<hash of its partitions>`. A member restarted with the partitions it
 * had resumes from its row; after a rebalance that changed its partitions it finds none and
 * rebuilds from the topic. State is v8 structured clone (Maps, typed arrays survive), deflated.
 */
export function kafkaCheckpoints(store: StateStore, group: string): KafkaCheckpointStore {
  const rowOf = (partitions: readonly string[]): { pipeline: string; inputId: string } => {
    const inputId = [...partitions].sort().join(',');
    return { pipeline: `kafka:${group}:${createHash('sha256').update(inputId).digest('hex').slice(0, 16)}`, inputId };
  };
  const seqs = new Map<string, number>();
  return {
    async load(partitions) {
      const { pipeline, inputId } = rowOf(partitions);
      const row = await store.loadCheckpoint(pipeline);
      if (row === undefined || row.inputId !== inputId) return undefined;
      seqs.set(pipeline, row.seq);
      const stored = deserialize(inflateRawSync(row.state)) as Stored;
      if (stored.version !== 1) throw new Error(`kafka checkpoint ${pipeline}: unknown state version ${String(stored.version)}`);
      return { operators: stored.operators, offsets: stored.offsets };
    },
    async save(partitions, checkpoint) {
      const { pipeline, inputId } = rowOf(partitions);
      const stored: Stored = { version: 1, operators: checkpoint.operators, offsets: checkpoint.offsets };
      // Serialized before the first await: the operators go on changing their state.
      const state = deflateRawSync(serialize(stored), { level: 1 });
      const seq = (seqs.get(pipeline) ?? (await store.loadCheckpoint(pipeline))?.seq ?? 0) + 1;
      await store.commit(NO_ROWS, {
        pipeline,
        seq,
        inputId,
        inputOffset: 0,
        outputPositions: {},
        clockMs: Date.now(),
        complete: false,
        state,
      });
      seqs.set(pipeline, seq);
    },
  };
}
