import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../runtime/config.js';
import { InputError } from '../../runtime/errors.js';
import type { TopicName } from '../../schemas/topics.js';
import { durationOption, runLiveSession } from './live.js';

/** What `run ingest` writes: every topic ingest produces, and the stale-feed breaker's events. */
const INGEST_TOPICS: readonly TopicName[] = ['pm.market.meta', 'pm.book', 'pm.trade', 'pm.resolution', 'pm.wallet.trade', 'news.item', 'risk.event', 'dlq.ingest'];

/** `polyflow run <pipeline>`: one pipeline on its own. For now `ingest`, live, on the embedded bus. */
export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string' }, config: { type: 'string' }, duration: { type: 'string' }, record: { type: 'string' } },
  });
  const pipeline = positionals[0];
  if (pipeline !== 'ingest') {
    throw new InputError(`run: unknown or missing pipeline ${JSON.stringify(pipeline ?? '')}; available: ingest (e.g. \`polyflow run ingest --out out/ingest\`)`);
  }
  const config = loadConfig({ file: values.config });
  const durationMs = durationOption(values.duration, 'run ingest');
  return runLiveSession({
    config,
    label: 'ingest',
    graph: false,
    topics: INGEST_TOPICS,
    outDir: resolve(values.out ?? 'out/ingest'),
    ...(values.record === undefined ? {} : { recordDir: resolve(values.record) }),
    ...(durationMs === undefined ? {} : { durationMs }),
  });
}
