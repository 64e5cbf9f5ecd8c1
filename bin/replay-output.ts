import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import type { ReplayResult } from '../pipelines/replay.js';
import type { AnalyticsStore } from '../sinks/clickhouse/analytics-store.js';
import { formatSummary } from './format-summary.js';

/**
 * What a replay leaves when it finished, on either bus: summary.json in `outDir`, the metrics file
 * asked for (the run's and the analytics sink's; they hold wall-clock histograms, so they go to a
 * file of the user's choosing, never into `--out`), then the summary table, `throughput` and where
 * the outputs went (with the stores written besides JSONL).
 */
export async function finishReplay(
  outDir: string,
  result: ReplayResult,
  opts: { metricsFile: string | undefined; analytics: AnalyticsStore | undefined; state: string; throughput: string },
): Promise<void> {
  const { analytics } = opts;
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(result.summary, null, 2)}\n`);
  if (opts.metricsFile !== undefined) writeFileSync(opts.metricsFile, await (analytics === undefined ? result.metrics.registry : Registry.merge([result.metrics.registry, analytics.registry])).metrics());
  process.stdout.write(formatSummary(result.summary));
  const stores = [opts.state === 'off' ? '' : `state ${opts.state}`, analytics === undefined ? '' : `analytics ${analytics.manifest.mode === 'embedded' ? 'chDB' : 'ClickHouse'}`].filter((s) => s !== '');
  process.stdout.write(`\n${opts.throughput}\noutput: ${outDir}${stores.length > 0 ? ` (${stores.join(', ')})` : ''}\n`);
}
