import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../runtime/config.js';
import { InputError } from '../../runtime/errors.js';
import type { TopicName } from '../../schemas/topics.js';
import { durationOption, runLiveSession } from './live.js';
import { KAFKA_PIPELINES, runKafkaPipeline, type KafkaPipeline } from './run-kafka.js';

/** What `run ingest` writes: every topic ingest produces, and the stale-feed breaker's events. */
const INGEST_TOPICS: readonly TopicName[] = ['pm.market.meta', 'pm.book', 'pm.trade', 'pm.resolution', 'pm.wallet.trade', 'news.item', 'risk.event', 'dlq.ingest'];

/** What `run watch` writes: the watchers' topics and what they read from ingest. */
const WATCH_TOPICS: readonly TopicName[] = ['arbitrage.v1', 'whale.v1', 'pm.wallet.trade', 'pm.market.meta', 'pm.resolution', 'risk.event', 'dlq.ingest'];

/** What `run alerts` writes: the alerts, the undeliverable ones, and the events they come from. */
const ALERTS_TOPICS: readonly TopicName[] = ['alert.v1', 'dlq.alerts', 'signal.v1', 'fill.v1', 'risk.event', 'arbitrage.v1', 'whale.v1', 'dlq.ingest'];

/**
 * `polyflow run <pipeline>`: one pipeline on its own, live, on the embedded bus: `ingest`, or
 * `watch` (ingest + arbitrage and whale watchers; `--api` serves the HTTP API inside it), or
 * `alerts` (ingest + the graph whose events alert, delivered to `alerts.targets`); or `features`,
 * `predict`, `trade`, `persist` as Kafka consumer groups (`run-kafka.ts`).
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
    },
  });
  const pipeline = positionals[0];
  if ((KAFKA_PIPELINES as readonly string[]).includes(pipeline ?? '')) {
    const name = pipeline as KafkaPipeline;
    return runKafkaPipeline({
      pipeline: name,
      config: loadConfig({ file: values.config }),
      outDir: resolve(values.out ?? `out/${name}`),
      durationMs: durationOption(values.duration, `run ${name}`),
      fromBeginning: values['from-beginning'] === true,
      metricsFile: values.metrics,
    });
  }
  if (pipeline !== 'ingest' && pipeline !== 'watch' && pipeline !== 'alerts') {
    throw new InputError(`run: unknown or missing pipeline ${JSON.stringify(pipeline ?? '')}; available: ingest, watch, alerts, and as Kafka consumer groups ${KAFKA_PIPELINES.join(', ')} (e.g. \`polyflow run watch --out out/watch\`)`);
  }
  if (values.api === true && pipeline !== 'watch') throw new InputError('run: --api is available with `run watch` (and `polyflow live --api`)');
  const config = loadConfig({ file: values.config });
  const durationMs = durationOption(values.duration, `run ${pipeline}`);
  const watch = pipeline === 'watch';
  // Alerts read what trading and the watchers produce: on the embedded bus that is the whole graph behind ingest.
  const alerts = pipeline === 'alerts';
  if (alerts && config.alerts.targets.length === 0) {
    throw new InputError('run alerts: no alert targets configured (config alerts.targets, or env POLYFLOW_ALERTS_TARGETS as JSON)');
  }
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
