import { randomUUID } from 'node:crypto';
import { replayRecordsOverKafka } from '../../pipelines/replay-kafka.js';
import { closeAfter } from '../../runtime/close-after.js';
import { loadConfig } from '../../runtime/config.js';
import { InputError } from '../../runtime/errors.js';
import { openKafkaBus } from '../../runtime/kafka/open-kafka-bus.js';
import { JsonlFiles } from '../../sinks/jsonl-files.js';
import { readReplay, replayFiles } from '../../sources/replay/replay-directory.js';
import { openReplay } from '../open-replay.js';
import { finishReplay } from '../replay-output.js';
import { storeFlagOverrides } from '../replay-state.js';

/** Each record crosses several topics before the next is fed: short broker fetch waits keep the hops fast. */
const REPLAY_FETCH_WAIT_MS = 1;

/**
 * `polyflow replay <path> --bus kafka`: every pipeline in this process, talking through the broker
 * (`kafka.brokers` / KAFKA_BROKERS). Topics are prefixed per run (`replay-<id>.`, or
 * `kafka.topicPrefix` when set) and read by a fresh group from the beginning, so runs never see each
 * other's records. Opened as the embedded replay opens (`openReplay`): analytics go to ClickHouse by
 * default (chDB under `--out`, or `analytics.url`; `--analytics files` for none). No durable state
 * on this path yet: asked for by a flag, the config file or the environment, it is refused.
 */
export async function replayOverKafkaCommand(
  path: string,
  outDir: string,
  values: {
    config?: string | undefined;
    metrics?: string | undefined;
    state?: string | undefined;
    'state-url'?: string | undefined;
    'checkpoint-every'?: string | undefined;
    analytics?: string | undefined;
    fresh?: boolean | undefined;
    'kafka-chunk'?: string | undefined;
    'fetch-order'?: boolean | undefined;
  },
): Promise<number> {
  const asked = loadConfig({ file: values.config, overrides: storeFlagOverrides(values) }).state.kind !== 'off';
  if (asked || values['checkpoint-every'] !== undefined) throw new InputError('replay --bus kafka: durable state (--state, --state-url, --checkpoint-every) is not supported on the Kafka bus yet');
  const chunk = values['kafka-chunk'] === undefined ? 1 : Number(values['kafka-chunk']);
  if (!Number.isInteger(chunk) || chunk <= 0) throw new InputError(`replay: --kafka-chunk must be a positive integer, not ${values['kafka-chunk']}`);
  const { config, logger, scorer, driftReference, analytics, close } = await openReplay({
    configFile: values.config,
    flags: { ...storeFlagOverrides(values), state: { kind: 'off' } },
    outDir,
    files: replayFiles(path),
    fresh: values.fresh === true,
  });
  const run = randomUUID().slice(0, 8);
  const topicPrefix = config.kafka.topicPrefix !== '' ? config.kafka.topicPrefix : `replay-${run}.`;
  logger.info({ path, outDir, brokers: config.kafka.brokers, topicPrefix, analytics: analytics?.manifest ?? config.analytics.mode }, 'replay over kafka starting');
  const started = process.hrtime.bigint();
  const files = new JsonlFiles(outDir, {});
  const result = await closeAfter(
    () =>
      replayRecordsOverKafka(readReplay(path, { bytesRead: 0 }), {
        config,
        scorer,
        files,
        logger,
        driftReference,
        ...(analytics === undefined ? {} : { clickhouse: analytics.sink }),
        chunkRecords: chunk,
        openBus: (metrics, settle, onFatal) =>
          openKafkaBus({
            config,
            group: `replay-${run}`,
            registry: metrics.registry,
            logger,
            fromBeginning: true,
            topicPrefix,
            settle,
            onFatal,
            publishOrder: values['fetch-order'] !== true,
            fetchMaxWaitMs: REPLAY_FETCH_WAIT_MS,
          }),
      }),
    async () => {
      files.close();
      await close();
    },
    logger,
    'replay over kafka',
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await finishReplay(outDir, result, {
    metricsFile: values.metrics,
    analytics,
    state: 'off',
    throughput: `${result.summary.events.toLocaleString('en-US')} events in ${seconds.toFixed(2)} s over Kafka (topics ${topicPrefix}*)`,
  });
  return 0;
}
