import { writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { Registry } from 'prom-client';
import { loadDriftReference } from '../../models/drift-reference.js';
import { loadScorer } from '../../models/load-scorer.js';
import { replayRecords } from '../../pipelines/replay.js';
import { loadConfig, redactConfig } from '../../runtime/config.js';
import { InputError } from '../../runtime/errors.js';
import { createLogger } from '../../runtime/logger.js';
import { fromPackageRoot } from '../../runtime/package-root.js';
import { FEATURE_SPEC } from '../../schemas/feature-spec.js';
import { openAnalyticsStore } from '../../sinks/clickhouse/analytics-store.js';
import { JsonlFiles } from '../../sinks/jsonl-files.js';
import { readReplay, replayFiles, type ReadProgress } from '../../sources/replay/replay-directory.js';
import { formatSummary } from '../format-summary.js';
import { openReplayCheckpoints, openReplayStore, STATE_FLAGS, stateFlagOverrides } from '../replay-state.js';
import { settingsOverrides } from '../../runtime/settings.js';
import { replayOverKafkaCommand } from './replay-kafka.js';

/** `polyflow replay <path>`: the main job. Wall-clock figures go to the console only, never into the output files. */
export async function replayCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      config: { type: 'string' },
      metrics: { type: 'string' },
      'no-progress': { type: 'boolean' },
      bus: { type: 'string' },
      'kafka-chunk': { type: 'string' },
      'fetch-order': { type: 'boolean' },
      ...STATE_FLAGS,
    },
  });
  const path = positionals[0];
  if (path === undefined) throw new InputError('replay: give the recording to replay, e.g. `polyflow replay data/sample`');
  const outDir = resolve(values.out ?? join('out', basename(resolve(path))));
  // `--bus` overrides the config's `bus.kind` (env POLYFLOW_BUS_KIND) for this run.
  const bus = values.bus ?? loadConfig({ file: values.config }).bus.kind;
  if (bus !== 'memory' && bus !== 'kafka') throw new InputError(`replay: --bus memory|kafka, not ${JSON.stringify(bus)}`);
  if (bus === 'kafka') return replayOverKafkaCommand(path, outDir, values);
  const files = replayFiles(path);
  const stateFlags = stateFlagOverrides(values);
  let config = loadConfig({ file: values.config, overrides: stateFlags });
  // Durable state: checkpoints to resume from after a crash, and the settings set through the CLI.
  const store = await openReplayStore(config, outDir);
  if (store !== undefined) config = loadConfig({ file: values.config, overrides: { ...settingsOverrides(await store.listSettings()), ...stateFlags } });
  const logger = createLogger(config.log.level);
  logger.info({ config: redactConfig(config) }, 'config');
  const checkpoints = store === undefined ? undefined : await openReplayCheckpoints(store, { config, outDir, files, fresh: values.fresh === true, logger });
  const resumedFrom = checkpoints?.resumedFrom;
  if (resumedFrom !== undefined) logger.info({ seq: resumedFrom.seq, inputOffset: resumedFrom.inputOffset, state: config.state.kind }, 'resuming from checkpoint');
  const modelPath = fromPackageRoot(config.scoring.modelPath);
  const scorer = await loadScorer(modelPath, FEATURE_SPEC);
  const driftReference = await loadDriftReference(modelPath);
  logger.info({ path, outDir, model: scorer.modelVersion }, 'replay starting');

  const showProgress = values['no-progress'] !== true && process.stderr.isTTY;
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: 'replay [{bar}] {percentage}% | {records} records | {eta_formatted} left', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  const progress: ReadProgress = { bytesRead: 0 };
  if (showProgress) bar.start(Math.max(1, files.frameBytes), 0, { records: 0 });

  const started = process.hrtime.bigint();
  const out = new JsonlFiles(outDir, resumedFrom === undefined ? {} : { resumeAt: resumedFrom.outputPositions });
  const analytics = await openAnalyticsStore(config, { outDir, logger });
  let result;
  try {
    result = await replayRecords(readReplay(path, progress), {
      config,
      scorer,
      files: out,
      logger,
      ...(analytics === undefined ? {} : { clickhouse: analytics.sink }),
      ...(checkpoints === undefined ? {} : { durable: checkpoints.durability }),
      driftReference,
      onProgress: (records) => showProgress && bar.update(Math.min(progress.bytesRead, files.frameBytes), { records }),
    });
  } finally {
    if (showProgress) bar.stop();
    out.close();
    await store?.close();
    await analytics?.close();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(result.summary, null, 2)}\n`);
  // Metrics hold wall-clock histograms, so they go to a file of the user's choosing, never into --out.
  if (values.metrics !== undefined) writeFileSync(values.metrics, await (analytics === undefined ? result.metrics.registry : Registry.merge([result.metrics.registry, analytics.registry])).metrics());
  process.stdout.write(formatSummary(result.summary));
  process.stdout.write(
    `\n${result.summary.events.toLocaleString('en-US')} events in ${seconds.toFixed(2)} s (${Math.round(result.summary.events / seconds).toLocaleString('en-US')} events/s)\noutput: ${outDir}\n`,
  );
  return 0;
}
