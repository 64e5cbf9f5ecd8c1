import { describe, expect, it } from 'vitest';
import { InputError } from './errors.js';
import { replayCheckpoints, type ReplayCheckpointsOptions } from './replay-checkpoints.js';
import { encodeReplayState } from './replay-state.js';
import { NO_ROWS, type PipelineCheckpoint, type StateRows, type StateStore } from './state-store.js';

/** The checkpoint calls of a StateStore over a Map, counting row resets. */
function memoryStore(): StateStore & { readonly checkpoints: Map<string, PipelineCheckpoint>; resets: number; rows: number } {
  const checkpoints = new Map<string, PipelineCheckpoint>();
  const unused = (): never => {
    throw new Error('not used by replayCheckpoints');
  };
  const store = {
    kind: 'pglite' as const,
    checkpoints,
    resets: 0,
    rows: 0,
    migrate: unused,
    async commit(rows: StateRows, checkpoint?: PipelineCheckpoint) {
      store.rows += rows.fills.length;
      if (checkpoint !== undefined) checkpoints.set(checkpoint.pipeline, checkpoint);
    },
    loadCheckpoint: async (pipeline: string) => checkpoints.get(pipeline),
    deleteCheckpoint: async (pipeline: string) => void checkpoints.delete(pipeline),
    async resetRun(pipeline: string) {
      store.resets++;
      store.rows = 0;
      checkpoints.delete(pipeline);
    },
    getSetting: unused,
    setSetting: unused,
    deleteSetting: unused,
    listSettings: unused,
    deliveredAlerts: unused,
    recordAlertDelivery: unused,
    query: unused,
    close: async () => undefined,
  };
  return store;
}

const PIPELINE = 'replay:/out/sample';
const state = encodeReplayState({
  version: 1,
  operators: new Map(),
  fed: 5_000,
  frames: 4_990,
  lastTs: 1,
  clockMs: 1,
  markets: new Set(),
  signals: { STRONG: 0, MEDIUM: 0, WEAK: 0 },
  report: undefined,
  busCounts: new Map(),
});
const checkpoint = (at: Partial<PipelineCheckpoint>): PipelineCheckpoint => ({
  pipeline: PIPELINE,
  seq: 3,
  inputId: 'input-a',
  inputOffset: 5_000,
  outputPositions: { 'fill.v1': 120 },
  clockMs: 1,
  complete: false,
  state,
  ...at,
});
const open = (store: StateStore, opts: Partial<ReplayCheckpointsOptions> = {}) =>
  replayCheckpoints(store, { pipeline: PIPELINE, inputId: 'input-a', everyRecords: 100, maxBufferedRows: 100, ...opts });

describe('replayCheckpoints: how a replay starts', () => {
  it('new: no checkpoint, nothing to resume', async () => {
    const store = memoryStore();
    const c = await open(store);
    expect(c.start).toBe('new');
    expect(c.resumedFrom).toBeUndefined();
    expect(c.durability.resume).toBeUndefined();
  });

  it('resume: an unfinished run of the same input and config goes on from its checkpoint', async () => {
    const store = memoryStore();
    store.checkpoints.set(PIPELINE, checkpoint({}));
    const c = await open(store, { ownStore: true });
    expect(c.start).toBe('resume');
    expect(c.resumedFrom?.outputPositions).toEqual({ 'fill.v1': 120 });
    expect(c.durability.resume?.fed).toBe(5_000);
    expect(store.resets).toBe(0);
    // Its next checkpoint follows the one resumed from.
    await c.durability.commit(NO_ROWS, { inputOffset: 5_100, clockMs: 2, complete: false, state, outputPositions: {} });
    expect(store.checkpoints.get(PIPELINE)?.seq).toBe(4);
  });

  it('refuses an unfinished run of another input or config, naming the way out', async () => {
    const store = memoryStore();
    store.checkpoints.set(PIPELINE, checkpoint({ inputId: 'input-b' }));
    const err = await open(store).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(String(err)).toMatch(/unfinished run of another input or config.*stopped at record 5000.*--fresh/);
    expect(store.checkpoints.has(PIPELINE)).toBe(true);
  });

  it('rerun: after a finished run, starts from the first record whatever the input and config, and drops the old checkpoint', async () => {
    for (const inputId of ['input-a', 'input-b']) {
      const store = memoryStore();
      store.checkpoints.set(PIPELINE, checkpoint({ inputId, complete: true, inputOffset: 30_040 }));
      const c = await open(store);
      expect(c.start).toBe('rerun');
      expect(c.resumedFrom).toBeUndefined();
      expect(c.durability.resume).toBeUndefined();
      expect(c.previous?.inputOffset).toBe(30_040);
      expect(store.checkpoints.has(PIPELINE)).toBe(false);
    }
  });

  it("a store of this run only (the replay's PGlite) loses the previous run's rows on any start but a resume", async () => {
    const store = memoryStore();
    store.checkpoints.set(PIPELINE, checkpoint({ complete: true }));
    store.rows = 7;
    expect((await open(store, { ownStore: true })).start).toBe('rerun');
    expect({ resets: store.resets, rows: store.rows }).toEqual({ resets: 1, rows: 0 });
  });

  it('fresh: --fresh starts over even from an unfinished run of another input', async () => {
    const store = memoryStore();
    store.checkpoints.set(PIPELINE, checkpoint({ inputId: 'input-b' }));
    const c = await open(store, { fresh: true });
    expect(c.start).toBe('fresh');
    expect(c.resumedFrom).toBeUndefined();
    expect(store.checkpoints.has(PIPELINE)).toBe(false);
  });
});
