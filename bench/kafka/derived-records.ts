// The bench's input: a generated recording and every record the graph derives from it, each tagged
// with the pipeline that published it, so each case can be fed what its upstream pipelines publish.
import { join } from 'node:path';
import { Subject, Subscription } from 'rxjs';
import type { BatchScorer } from '../../operators/score-batches.js';
import { featuresPipeline } from '../../pipelines/features.js';
import { ingestPipeline } from '../../pipelines/ingest.js';
import { predictPipeline } from '../../pipelines/predict.js';
import { tradePipeline } from '../../pipelines/trade.js';
import type { Bus } from '../../runtime/bus.js';
import type { Config } from '../../runtime/config.js';
import { InFlight } from '../../runtime/in-flight.js';
import { MemoryBus } from '../../runtime/memory-bus.js';
import { PipelineMetrics } from '../../runtime/metrics.js';
import { InputClock } from '../../runtime/input-clock.js';
import { advanceAndScore, finishInput, ReplayScheduler } from '../../runtime/replay-scheduler.js';
import type { TopicName, TopicTypes } from '../../schemas/topics.js';
import { JsonlFiles } from '../../sinks/jsonl-files.js';
import type { ReplayRecord } from '../../sources/replay/replay-record.js';
import { readReplay } from '../../sources/replay/replay-directory.js';
import { simulate } from '../../sources/simulator/simulate.js';
import { BusTap, type TappedRecord } from '../bus-tap.js';
import { wirePipeline, type PipelineCase } from './pipeline-case.js';

/** Generates the recording into `outDir`. */
export async function simulateRecording(outDir: string, events: number, markets: number): Promise<void> {
  // The reference density of `npm run bench` (1M events in 2.6 h of event time), scaled to `events`.
  const durationMs = (events / 1_000_000) * 2.6 * 3_600_000;
  await simulate({ outDir, events, markets, durationMs, seed: 1 });
}

/**
 * Every record the graph publishes for the recording, in publish order, each with the pipeline that
 * published it: ingest, then features, predict and trade on one memory bus with the replay's virtual
 * clock (as `polyflow replay` runs them), so predictions interleave with the books they were made on.
 */
export async function deriveRecords(recording: string, config: Config, scorer: BatchScorer): Promise<TappedRecord[]> {
  const records: TappedRecord[] = [];
  const bus = new MemoryBus();
  const tap = (by: string): Bus => new BusTap(bus, (r) => records.push(r), by);
  const scheduler = new ReplayScheduler(0);
  const tradeClock = new InputClock();
  const inFlight = new InFlight();
  const metrics = new PipelineMetrics();
  const input = new Subject<ReplayRecord>();
  const graph = new Subscription();
  graph.add(ingestPipeline(input, tap('ingest'), metrics));
  graph.add(featuresPipeline(tap('features'), config, metrics));
  graph.add(predictPipeline(tap('predict'), config, { scorer, scheduler, inFlight, metrics }));
  graph.add(tradePipeline(tap('trade'), config, { metrics, clock: tradeClock }));
  let lastTs = 0;
  for await (const batch of readReplay(recording)) {
    for (const record of batch) {
      await advanceAndScore(scheduler, inFlight, record.recvTs, tradeClock);
      lastTs = Math.max(lastTs, record.recvTs);
      input.next(record);
      if (inFlight.busy) await inFlight.whenIdle();
    }
  }
  await finishInput(scheduler, inFlight, tradeClock, lastTs, config.scoring.maxWaitMs);
  graph.unsubscribe();
  await bus.close();
  return records;
}

/** The records a pipeline consumes: those of the topics its wiring subscribes to that another pipeline published. */
export function inputsOf(c: PipelineCase, derived: readonly TappedRecord[], scratch: string): TappedRecord[] {
  const probe = new BusTap(new MemoryBus());
  const files = new JsonlFiles(join(scratch, 'probe'));
  wirePipeline(c, probe, { metrics: new PipelineMetrics(), inFlight: new InFlight(), files }).unsubscribe();
  files.close();
  return derived.filter((r) => probe.subscribed.has(r.topic) && r.by !== c.pipeline);
}

export const countByTopic = (records: readonly TappedRecord[]): Map<TopicName, number> => {
  const counts = new Map<TopicName, number>();
  for (const r of records) counts.set(r.topic, (counts.get(r.topic) ?? 0) + 1);
  return counts;
};

export const publishRecord = (bus: Bus, r: TappedRecord): void => bus.publish(r.topic, r.key, r.value as TopicTypes[typeof r.topic]);
