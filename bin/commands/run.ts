import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../runtime/config.js';
import { InputError } from '../../runtime/errors.js';
import type { TopicName } from '../../schemas/topics.js';
import { durationOption, runLiveSession } from './live.js';

/** What `run ingest` writes: every topic ingest produces, and the stale-feed breaker's events. */
const INGEST_TOPICS: readonly TopicName[] = ['pm.market.meta', 'pm.book', 'pm.trade', 'pm.resolution', 'pm.wallet.trade', 'news.item', 'risk.event', 'dlq.ingest'];

/** What `run watch` writes: the watchers' topics and what they read from ingest. */
const WATCH_TOPICS: readonly TopicName[] = ['arbitrage.v1', 'whale.v1', 'pm.wallet.trade', 'pm.market.meta', 'pm.resolution', 'risk.event', 'dlq.ingest'];

/**
 * `polyflow run <pipeline>`: one pipeline on its own, live, on the embedded bus: `ingest`, or
 * `watch` (ingest + arbitrage and whale watchers; `--api` serves the HTTP API inside it).
 */
export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string' }, config: { type: 'string' }, duration: { type: 'string' }, record: { type: 'string' }, api: { type: 'boolean' } },
  });
  const pipeline = positionals[0];
  if (pipeline !== 'ingest' && pipeline !== 'watch') {
    throw new InputError(`run: unknown or missing pipeline ${JSON.stringify(pipeline ?? '')}; available: ingest, watch (e.g. \`polyflow run watch --out out/watch\`)`);
  }
  if (values.api === true && pipeline !== 'watch') throw new InputError('run: --api is available with `run watch` (and `polyflow live --api`)');
  const config = loadConfig({ file: values.config });
  const durationMs = durationOption(values.duration, `run ${pipeline}`);
  const watch = pipeline === 'watch';
  return runLiveSession({
    config,
    label: pipeline,
    graph: false,
    watch,
    api: values.api === true,
    configFile: values.config,
    topics: watch ? WATCH_TOPICS : INGEST_TOPICS,
    outDir: resolve(values.out ?? `out/${pipeline}`),
    ...(values.record === undefined ? {} : { recordDir: resolve(values.record) }),
    ...(durationMs === undefined ? {} : { durationMs }),
  });
}
