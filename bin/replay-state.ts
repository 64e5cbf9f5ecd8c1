import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Config } from '../runtime/config.js';
import type { Logger } from '../runtime/logger.js';
import { replayCheckpoints, type ReplayCheckpoints } from '../runtime/replay-checkpoints.js';
import type { StateStore } from '../runtime/state-store.js';
import { openStateStore, stateStoreOptions } from '../sinks/postgres/open-state-store.js';
import type { ReplayFiles } from '../sources/replay/replay-directory.js';

/**
 * The state store of a run folder (a replay's `--out`, a `polyflow run` process's): PGlite under
 * `<out>/pglite`, or the Postgres server of `state.url`. Undefined when `state.kind` is off.
 */
export async function openFolderStore(config: Config, outDir: string): Promise<StateStore | undefined> {
  if (config.state.kind === 'off') return undefined;
  return openStateStore(stateStoreOptions(config.state, { dir: join(outDir, 'pglite') }));
}

/** The recording (file names and sizes) and every config value that shapes the outputs. */
export function replayInputId(files: ReplayFiles, config: Config): string {
  const inputs = [...(files.markets === undefined ? [] : [files.markets]), ...files.frames].map((f) => [basename(f), statSync(f).size]);
  const { state: _state, log: _log, ...shaping } = config;
  return createHash('sha256').update(JSON.stringify({ inputs, config: shaping })).digest('hex');
}

/**
 * Loads the replay's last checkpoint and says how the run starts (runtime/replay-checkpoints.ts:
 * resume an unfinished run of the same input and config, start again after a finished one, refuse
 * an unfinished one of another), and commits new checkpoints, logging each. The replay's own PGlite
 * holds this run only, so a start from the first record empties it of the run before.
 */
export function openReplayCheckpoints(
  store: StateStore,
  opts: { config: Config; outDir: string; files: ReplayFiles; fresh: boolean; logger: Logger },
): Promise<ReplayCheckpoints> {
  const log = opts.logger.child({ component: 'checkpoint' });
  return replayCheckpoints(store, {
    pipeline: `replay:${opts.outDir}`,
    inputId: replayInputId(opts.files, opts.config),
    everyRecords: opts.config.state.checkpointEveryRecords,
    maxBufferedRows: opts.config.state.maxBufferedRows,
    fresh: opts.fresh,
    ownStore: store.kind === 'pglite',
    onCommit: (c) => log.info({ seq: c.seq, inputOffset: c.inputOffset, complete: c.complete }, 'checkpoint committed'),
  });
}

/** The replay's store flags (parseArgs options). */
export const STORE_FLAGS = {
  state: { type: 'string' },
  'state-url': { type: 'string' },
  'checkpoint-every': { type: 'string' },
  fresh: { type: 'boolean' },
  analytics: { type: 'string' },
} as const;

/** `--state`, `--state-url`, `--checkpoint-every`, `--analytics` as config overrides (validated with the rest of the config). */
export function storeFlagOverrides(values: {
  state?: string | undefined;
  'state-url'?: string | undefined;
  'checkpoint-every'?: string | undefined;
  analytics?: string | undefined;
}): Record<string, unknown> {
  const state: Record<string, unknown> = {};
  if (values.state !== undefined) state['kind'] = values.state;
  if (values['state-url'] !== undefined) {
    state['url'] = values['state-url'];
    state['kind'] ??= 'postgres';
  }
  if (values['checkpoint-every'] !== undefined) state['checkpointEveryRecords'] = Number(values['checkpoint-every']);
  return {
    ...(Object.keys(state).length === 0 ? {} : { state }),
    ...(values.analytics === undefined ? {} : { analytics: { mode: values.analytics } }),
  };
}
