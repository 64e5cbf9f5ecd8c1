import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { replayRecords } from '../../pipelines/replay.js';
import { closeAfter } from '../../runtime/close-after.js';
import { loadConfig } from '../../runtime/config.js';
import { InputError } from '../../runtime/errors.js';
import { JsonlFiles } from '../../sinks/jsonl-files.js';
import { readReplay, replayFiles, type ReadProgress } from '../../sources/replay/replay-directory.js';
import { formatThroughput } from '../format-summary.js';
import { openReplay } from '../open-replay.js';
import { finishReplay } from '../replay-output.js';
import { STORE_FLAGS, storeFlagOverrides } from '../replay-state.js';
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
      ...STORE_FLAGS,
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
  const { config, logger, checkpoints, scorer, driftReference, analytics, close } = await openReplay({
    configFile: values.config,
    flags: storeFlagOverrides(values),
    outDir,
    files,
    fresh: values.fresh === true,
  });
  const resumedFrom = checkpoints?.resumedFrom;
  logger.info({ path, outDir, model: scorer.modelVersion, state: config.state.kind, analytics: analytics?.manifest ?? config.analytics.mode }, 'replay starting');

  const showProgress = values['no-progress'] !== true && process.stderr.isTTY;
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: 'replay [{bar}] {percentage}% | {records} records | {eta_formatted} left', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  const progress: ReadProgress = { bytesRead: 0 };
  if (showProgress) bar.start(Math.max(1, files.frameBytes), 0, { records: 0 });

  const started = process.hrtime.bigint();
  const out = new JsonlFiles(outDir, resumedFrom === undefined ? {} : { resumeAt: resumedFrom.outputPositions });
  const result = await closeAfter(
    () =>
      replayRecords(readReplay(path, progress), {
        config,
        scorer,
        files: out,
        logger,
        ...(analytics === undefined ? {} : { clickhouse: analytics.sink }),
        ...(checkpoints === undefined ? {} : { durable: checkpoints.durability }),
        driftReference,
        onProgress: (records) => showProgress && bar.update(Math.min(progress.bytesRead, files.frameBytes), { records }),
      }),
    async () => {
      if (showProgress) bar.stop();
      out.close();
      await close();
    },
    logger,
    'replay',
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await finishReplay(outDir, result, {
    metricsFile: values.metrics,
    analytics,
    state: config.state.kind,
    throughput: formatThroughput(result.summary.events, checkpoints?.durability.resume?.frames, seconds),
  });
  return 0;
}

