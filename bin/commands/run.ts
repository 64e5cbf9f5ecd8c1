import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KAFKA_PIPELINES, type KafkaPipeline } from '../../pipelines/consumer-groups.js';
import { loadConfig } from '../../runtime/config.js';
import { InputError } from '../../runtime/errors.js';
import type { TopicName } from '../../schemas/topics.js';
import { durationOption, runLiveSession } from './live.js';
import { runIngestReplay } from './run-ingest-replay.js';
import { runKafkaPipeline } from './run-kafka.js';

/** What `run ingest` writes: every topic ingest produces, and the stale-feed breaker's events. */
const INGEST_TOPICS: readonly TopicName[] = ['pm.market.meta', 'pm.book', 'pm.trade', 'pm.resolution', 'pm.wallet.trade', 'news.item', 'risk.event', 'dlq.ingest'];

/** What `run watch` writes: the watchers' topics and what they read from ingest. */
const WATCH_TOPICS: readonly TopicName[] = ['arbitrage.v1', 'whale.v1', 'pm.wallet.trade', 'pm.market.meta', 'pm.resolution', 'risk.event', 'dlq.ingest'];

/** What `run alerts` writes: the alerts, the undeliverable ones, and the events they come from. */
const ALERTS_TOPICS: readonly TopicName[] = ['alert.v1', 'dlq.alerts', 'signal.v1', 'fill.v1', 'risk.event', 'arbitrage.v1', 'whale.v1', 'dlq.ingest'];

/** Pipelines that run live in one process on the memory bus, and on Kafka as their own process. */
const LIVE_PIPELINES = ['ingest', 'watch', 'alerts'] as const;

/**
 * `polyflow run <pipeline>`. With `bus.kind` memory (the default): `ingest`, `watch` and `alerts` run
 * live on the embedded bus: `ingest` alone, `watch` = ingest + arbitrage and whale watchers (`--api`
 * serves the HTTP API inside it), `alerts` = ingest + the graph whose events alert, delivered to
 * `alerts.targets`. With `bus.kind` kafka: `ingest` publishes the live topics to the broker, and
 * `watch` and `alerts` are consumer groups like `features`, `predict`, `trade` and `persist`, which
 * run on Kafka whatever the bus kind (`run-kafka.ts`).
 */
export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      config: { type: 'string' },
      duration: { type: 'string' },
      record: { type: 'string' },
      api: { type: 'boolean' },
      'from-beginning': { type: 'boolean' },
      metrics: { type: 'string' },
      replay: { type: 'string' },
      speed: { type: 'string' },
    },
  });
  const pipeline = positionals[0] ?? '';
  const live = (LIVE_PIPELINES as readonly string[]).includes(pipeline);
  if (!live && !(KAFKA_PIPELINES as readonly string[]).includes(pipeline)) {
    const groups = KAFKA_PIPELINES.filter((p) => !(LIVE_PIPELINES as readonly string[]).includes(p));
    throw new InputError(
      `run: unknown or missing pipeline ${JSON.stringify(pipeline)}; available: ${LIVE_PIPELINES.join(', ')} (live; on Kafka with bus.kind kafka), and as Kafka consumer groups ${groups.join(', ')} (e.g. \`polyflow run watch --out out/watch\`)`,
    );
  }
  const config = loadConfig({ file: values.config });
  const onKafka = config.bus.kind === 'kafka';
  const durationMs = durationOption(values.duration, `run ${pipeline}`);
  if (pipeline === 'alerts' && config.alerts.targets.length === 0) {
    throw new InputError('run alerts: no alert targets configured (config alerts.targets, or env POLYFLOW_ALERTS_TARGETS as JSON)');
  }
  if (values.api === true && (pipeline !== 'watch' || onKafka)) {
    throw new InputError(`run: --api is available with \`run watch\` on the memory bus (and \`polyflow live --api\`)${onKafka ? '; bus.kind is kafka' : ''}`);
  }
  if (values.record !== undefined && (!live || (onKafka && pipeline !== 'ingest'))) {
    throw new InputError(`run ${pipeline}: --record needs live ingest in this process (\`run ingest\`${onKafka ? '' : ', `run watch`, `run alerts`'})`);
  }
  if (values.replay !== undefined) {
    if (pipeline !== 'ingest' || !onKafka) throw new InputError(`run ${pipeline}: --replay is for \`run ingest\` on Kafka (POLYFLOW_BUS_KIND=kafka); on the memory bus, \`polyflow replay <recording>\` runs every pipeline`);
    if (values.out !== undefined || values.record !== undefined || durationMs !== undefined || values['from-beginning'] === true) {
      throw new InputError('run ingest --replay: publishes the whole recording to Kafka; --out, --record and --duration are for live ingest, --from-beginning for consumer groups');
    }
    return runIngestReplay(resolve(values.replay), config, { metricsFile: values.metrics, speed: speedOption(values.speed) });
  }
  if (values.speed !== undefined) throw new InputError(`run ${pipeline}: --speed paces \`run ingest --replay\``);
  if (!live || (onKafka && pipeline !== 'ingest')) {
    const name = pipeline as KafkaPipeline;
    return runKafkaPipeline({
      pipeline: name,
      config,
      outDir: resolve(values.out ?? `out/${name}`),
      durationMs,
      fromBeginning: values['from-beginning'] === true,
      metricsFile: values.metrics,
    });
  }
  if (onKafka) {
    // Ingest on Kafka: the live topics go to the broker; JSONL only when asked for (persist writes the topics).
    return runLiveSession({
      config,
      label: pipeline,
      graph: false,
      kafka: true,
      topics: INGEST_TOPICS,
      ...(values.out === undefined ? {} : { outDir: resolve(values.out) }),
      ...(values.record === undefined ? {} : { recordDir: resolve(values.record) }),
      ...(durationMs === undefined ? {} : { durationMs }),
    });
  }
  const watch = pipeline === 'watch';
  // Alerts read what trading and the watchers produce: on the embedded bus that is the whole graph behind ingest.
  const alerts = pipeline === 'alerts';
  return runLiveSession({
    config,
    label: pipeline,
    graph: alerts,
    watch,
    api: values.api === true,
    configFile: values.config,
    topics: alerts ? ALERTS_TOPICS : watch ? WATCH_TOPICS : INGEST_TOPICS,
    outDir: resolve(values.out ?? `out/${pipeline}`),
    ...(values.record === undefined ? {} : { recordDir: resolve(values.record) }),
    ...(durationMs === undefined ? {} : { durationMs }),
  });
}

/** `--speed <x>`: a positive number (how many times faster than recorded), or undefined when not given. */
function speedOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const speed = Number(value);
  if (!(Number.isFinite(speed) && speed > 0)) throw new InputError(`run ingest --replay: --speed must be a positive number (1: as recorded, 10: ten times faster), got ${JSON.stringify(value)}`);
  return speed;
}
