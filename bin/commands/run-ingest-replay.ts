import { writeFileSync } from 'node:fs';
import { Subject } from 'rxjs';
import { ingestPipeline, publishRawFrame } from '../../pipelines/ingest.js';
import { closeAfter } from '../../runtime/close-after.js';
import type { Config } from '../../runtime/config.js';
import { openKafkaBus, warnWithoutRegistry } from '../../runtime/kafka/open-kafka-bus.js';
import { systemClock } from '../../runtime/http/clock.js';
import { createLogger } from '../../runtime/logger.js';
import { PipelineMetrics } from '../../runtime/metrics.js';
import { readReplay } from '../../sources/replay/replay-directory.js';
import { RecordedPace } from '../../sources/replay/recorded-pace.js';
import type { ReplayRecord } from '../../sources/replay/replay-record.js';
import { onStopSignal } from './stop-signal.js';

/**
 * `polyflow run ingest --replay <recording>` on Kafka: ingest of a recording (what `polyflow replay`
 * reads) published to the broker as live ingest publishes, books and trades stamped in ingest's
 * order and progress-marked in their recorded receive times; it exits 0 once the broker has
 * acknowledged every record. The other pipelines, each its own process (`run features`, ...
 * `--from-beginning`), then run on recorded data as they run live. Paced by the broker
 * (backpressure), not by the recorded clock. Start it before them: each reads the market metadata
 * to its end before any book, as the embedded run has it. With `speed`, records go at their
 * recorded pace, that many times faster (1: as recorded, a stand-in for live ingest). SIGINT or
 * SIGTERM stops it early: what was published is flushed and marked, and it exits 0.
 */
export async function runIngestReplay(recording: string, config: Config, opts: { readonly metricsFile?: string | undefined; readonly speed?: number | undefined }): Promise<number> {
  const logger = createLogger(config.log.level).child({ component: 'run.ingest' });
  warnWithoutRegistry(config.kafka, logger);
  const metrics = new PipelineMetrics();
  const bus = openKafkaBus({ config, registry: metrics.registry, logger });
  const input = new Subject<ReplayRecord>();
  const ingest = ingestPipeline(input, bus, metrics);
  const pace = opts.speed === undefined ? undefined : new RecordedPace(opts.speed, systemClock);
  const stop = new AbortController();
  const offSignals = onStopSignal(() => stop.abort(new Error('stopped by a signal')));
  let records = 0;
  await closeAfter(
    async () => {
      await bus.start();
      feed: for await (const batch of readReplay(recording, { bytesRead: 0 })) {
        for (const record of batch) {
          if (pace !== undefined) await pace.due(record.recvTs, stop.signal).catch(() => undefined);
          if (stop.signal.aborted) break feed;
          // As live ingest: every frame as received, then what ingest makes of it.
          publishRawFrame(bus, record);
          input.next(record);
          records++;
          if (bus.pressure) await bus.flush();
        }
      }
      input.complete();
      await bus.flush();
    },
    async () => {
      offSignals();
      ingest.unsubscribe();
      // Flushes what is left, and the last progress markers.
      await bus.close();
      if (opts.metricsFile !== undefined) writeFileSync(opts.metricsFile, await metrics.registry.metrics());
    },
    logger,
    'run ingest --replay',
  );
  const counts = [...bus.counts().acked].filter(([, n]) => n > 0).map(([topic, n]) => `${topic} ${n.toLocaleString('en-US')}`);
  const stopped = stop.signal.aborted ? ' (stopped early by a signal)' : '';
  process.stdout.write(`ingest: replayed ${records.toLocaleString('en-US')} records of ${recording}${stopped}; published to Kafka: ${counts.length > 0 ? counts.join(', ') : 'no records'}\n`);
  return 0;
}
