import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { asyncScheduler, Subscription } from 'rxjs';
import { loadOnnxScorer } from '../../models/onnx-scorer.js';
import { embeddedGraph } from '../../pipelines/embedded-graph.js';
import { liveIngest } from '../../pipelines/live.js';
import { persistPipeline } from '../../pipelines/persist.js';
import { loadConfig, redactConfig, type Config } from '../../runtime/config.js';
import { InputError } from '../../runtime/errors.js';
import { InFlight } from '../../runtime/in-flight.js';
import { createLogger } from '../../runtime/logger.js';
import { MemoryBus } from '../../runtime/memory-bus.js';
import { PipelineMetrics } from '../../runtime/metrics.js';
import { fromPackageRoot } from '../../runtime/package-root.js';
import { FEATURE_SPEC } from '../../schemas/feature-spec.js';
import type { TopicName } from '../../schemas/topics.js';
import { JsonlFiles } from '../../sinks/jsonl-files.js';
import { RecordingWriter } from '../../sources/recorder/recording-writer.js';

export interface LiveSessionOptions {
  readonly config: Config;
  /** Topics written as `<outDir>/<topic>.jsonl`; none when undefined. */
  readonly outDir?: string;
  readonly topics: readonly string[];
  /** Also write the raw stream as a recording. */
  readonly recordDir?: string;
  /** Run the whole embedded graph (features, predict, trade, analytics) behind ingest. */
  readonly graph: boolean;
  /** Stop after this long; otherwise on SIGINT/SIGTERM. */
  readonly durationMs?: number;
  readonly label: string;
}

/**
 * One live run on the real clock (rxjs asyncScheduler) and the memory bus: live ingest, optionally
 * the embedded graph, JSONL topics and a recording, until the duration ends or a signal comes.
 * Shared by `polyflow live`, `polyflow run ingest` and `polyflow record`.
 */
export async function runLiveSession(opts: LiveSessionOptions): Promise<number> {
  const { config } = opts;
  const logger = createLogger(config.log.level);
  const bus = new MemoryBus();
  const metrics = new PipelineMetrics();
  const scheduler = asyncScheduler;
  const running = new Subscription();
  const scorer = opts.graph ? await loadOnnxScorer(fromPackageRoot(config.scoring.modelPath), FEATURE_SPEC) : undefined;
  const files = opts.outDir === undefined ? undefined : new JsonlFiles(opts.outDir);
  const recorder =
    opts.recordDir === undefined ? undefined : new RecordingWriter(opts.recordDir, { maxFileBytes: config.live.recordMaxFileBytes, maxFileMs: config.live.recordMaxFileMs });
  if (files !== undefined) running.add(persistPipeline(bus, opts.topics, files));
  if (scorer !== undefined) {
    running.add(embeddedGraph(bus, { config, scheduler, scorer, inFlight: new InFlight(), metrics, onReport: () => undefined }));
  }
  const ingest = liveIngest({ config, bus, metrics, logger, scheduler, ...(recorder === undefined ? {} : { recorder }) });
  const shutdown = async (): Promise<void> => {
    ingest.stop();
    running.unsubscribe();
    files?.close();
    await recorder?.close();
    await bus.close();
  };
  try {
    await ingest.start();
  } catch (err) {
    await shutdown();
    throw err;
  }
  logger.info({ config: redactConfig(config) }, 'config');
  const where = [opts.outDir === undefined ? '' : `topics -> ${opts.outDir}`, opts.recordDir === undefined ? '' : `recording -> ${opts.recordDir}`].filter((s) => s !== '');
  process.stdout.write(
    `${opts.label}: ${ingest.client.assets().length} assets subscribed${where.length > 0 ? `; ${where.join('; ')}` : ''}; ${
      opts.durationMs === undefined ? 'Ctrl-C to stop' : `stopping after ${opts.durationMs / 1000} s`
    }\n`,
  );
  await new Promise<void>((done) => {
    const finish = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      process.off('SIGINT', finish);
      process.off('SIGTERM', finish);
      done();
    };
    const timer = opts.durationMs === undefined ? undefined : setTimeout(finish, opts.durationMs);
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
  });
  const counts = [...bus.counts()].filter(([, n]) => n > 0).map(([topic, n]) => `${topic} ${n.toLocaleString('en-US')}`);
  await shutdown();
  process.stdout.write(`${opts.label}: stopped. ${counts.length > 0 ? counts.join(', ') : 'no records'}\n`);
  if (recorder !== undefined) {
    const c = recorder.counts;
    process.stdout.write(`recording: ${c.frames.toLocaleString('en-US')} frames in ${c.files} file(s), ${c.markets} market records -> ${recorder.dir}\n`);
    if (recorder.writeErrors.length > 0) process.stderr.write(`polyflow: ${recorder.writeErrors.length} recording write error(s); first: ${String(recorder.writeErrors[0])}\n`);
  }
  return 0;
}

/** `--duration <s>` -> ms. */
export function durationOption(text: string | undefined, command: string): number | undefined {
  if (text === undefined) return undefined;
  const s = Number(text);
  if (!(Number.isFinite(s) && s > 0)) throw new InputError(`${command}: --duration must be a positive number of seconds, got ${JSON.stringify(text)}`);
  return Math.round(s * 1000);
}

/** `polyflow live [--out <dir>]`: the whole embedded graph on live data, real clock. */
export async function liveCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { out: { type: 'string' }, config: { type: 'string' }, duration: { type: 'string' }, record: { type: 'string' } },
  });
  const config = loadConfig({ file: values.config });
  const extra: TopicName[] = ['pm.wallet.trade', 'news.item'];
  const topics = [...new Set([...config.output.topics, ...extra])];
  const durationMs = durationOption(values.duration, 'live');
  return runLiveSession({
    config,
    label: 'live',
    graph: true,
    topics,
    outDir: resolve(values.out ?? 'out/live'),
    ...(values.record === undefined ? {} : { recordDir: resolve(values.record) }),
    ...(durationMs === undefined ? {} : { durationMs }),
  });
}
