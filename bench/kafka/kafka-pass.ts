// One Kafka throughput pass: a pipeline's graph on a fresh consumer group from offset 0 over its
// pre-produced input, until every input record is consumed and every output acknowledged.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { groupBusShape, settleBeforeCommit } from '../../pipelines/consumer-groups.js';
import type { Config } from '../../runtime/config.js';
import { InFlight } from '../../runtime/in-flight.js';
import type { KafkaBus } from '../../runtime/kafka/kafka-bus.js';
import { openKafkaBus } from '../../runtime/kafka/open-kafka-bus.js';
import type { Logger } from '../../runtime/logger.js';
import { PipelineMetrics } from '../../runtime/metrics.js';
import type { TopicName } from '../../schemas/topics.js';
import { JsonlFiles } from '../../sinks/jsonl-files.js';
import { BusTap } from '../bus-tap.js';
import { profiled, type SelfTime } from '../cpu-profile.js';
import { wirePipeline, type PipelineCase } from './pipeline-case.js';
import { coresSince, ownCpuSeconds } from './process-cpu.js';

/** One Kafka pass: a fresh consumer group from offset 0 over the pre-produced input. */
export interface KafkaPass {
  readonly eps: number;
  readonly seconds: number;
  readonly outputs: number;
  readonly cpu: number;
  /** Event-loop utilization: the share of the pass the main thread was busy (below 1: it waited on the broker). */
  readonly loop: number;
  readonly selfTime?: SelfTime | undefined;
}

/** What one pass needs besides the case: its input is on the broker already, known here by its counts. */
export interface KafkaPassInput {
  /** The case's config with the pass's own `kafka.groupIdPrefix`. */
  readonly config: Config;
  /** The topic prefix the input was produced under. */
  readonly prefix: string;
  /** Pre-produced records per topic. */
  readonly pre: ReadonlyMap<TopicName, number>;
  /** `--profile`: the `.cpuprofile` to write for this pass. */
  readonly profileFile: string | undefined;
  readonly scratch: string;
  readonly logger: Logger;
}

/**
 * Waits until the bus consumed every pre-produced record of the topics the pipeline subscribes to
 * plus every record it published to those topics itself (trade's own signals, orders and fills are
 * handed over in-process), everything it published is acknowledged, and scoring is idle.
 */
async function drained(bus: KafkaBus, subscribed: ReadonlySet<TopicName>, pre: ReadonlyMap<TopicName, number>, inFlight: InFlight): Promise<void> {
  let lastProgress = performance.now();
  let lastReceived = -1;
  for (;;) {
    await bus.flush();
    await inFlight.whenIdle();
    const { acked, received } = bus.counts();
    if ([...subscribed].every((t) => (received.get(t) ?? 0) >= (pre.get(t) ?? 0) + (acked.get(t) ?? 0))) return;
    const total = [...received.values()].reduce((a, b) => a + b, 0);
    if (total !== lastReceived) {
      lastReceived = total;
      lastProgress = performance.now();
    } else if (performance.now() - lastProgress > 30_000) {
      throw new Error(`kafka pass stalled: received ${JSON.stringify(Object.fromEntries(received))}, expected ${JSON.stringify(Object.fromEntries(pre))} plus own ${JSON.stringify(Object.fromEntries(acked))}`);
    }
    await sleep(1);
  }
}

/** A case's passes one after another, each with its own config (consumer groups) and profile file. */
export async function kafkaPasses(
  c: PipelineCase,
  passes: ReadonlyArray<Pick<KafkaPassInput, 'config' | 'profileFile'>>,
  shared: Omit<KafkaPassInput, 'config' | 'profileFile'>,
): Promise<KafkaPass[]> {
  const results: KafkaPass[] = [];
  for (const pass of passes) results.push(await kafkaPass(c, { ...shared, ...pass }));
  return results;
}

async function kafkaPass(c: PipelineCase, opts: KafkaPassInput): Promise<KafkaPass> {
  const { config, prefix, pre, profileFile } = opts;
  const inputRecords = [...pre.values()].reduce((a, b) => a + b, 0);
  const metrics = new PipelineMetrics();
  const inFlight = new InFlight();
  const files = new JsonlFiles(join(opts.scratch, `kafka-${config.kafka.groupIdPrefix}`));
  const bus = openKafkaBus({ config, group: c.pipeline, topicPrefix: prefix, fromBeginning: true, registry: metrics.registry, logger: opts.logger, settle: settleBeforeCommit(inFlight), ...groupBusShape(c.pipeline, config) });
  let outputs = 0;
  let measured: Omit<KafkaPass, 'outputs'>;
  const tap = new BusTap(bus, () => outputs++);
  const sub = wirePipeline(c, tap, { metrics, inFlight, files });
  try {
    await bus.start();
    const t0 = performance.now();
    const cores = coresSince(ownCpuSeconds);
    const loop0 = performance.eventLoopUtilization();
    let selfTime: SelfTime | undefined;
    if (profileFile === undefined) await drained(bus, tap.subscribed, pre, inFlight);
    else {
      mkdirSync(dirname(profileFile), { recursive: true });
      selfTime = (await profiled(() => drained(bus, tap.subscribed, pre, inFlight), profileFile)).selfTime;
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cores() ?? Number.NaN;
    const loop = performance.eventLoopUtilization(loop0).utilization;
    measured = { eps: inputRecords / seconds, seconds, cpu, loop, selfTime };
    // predict's last batch is scored at the settle after its run (or on its timer, scoring.maxWaitMs,
    // 0 in these cases), which may come after the drained point; the memory pass flushes it at its
    // input's end. Its outputs count, its wait is not throughput.
    await sleep(config.scoring.maxWaitMs + 100);
    await inFlight.whenIdle();
  } finally {
    sub.unsubscribe();
    await inFlight.whenIdle();
    await bus.close();
    files.close();
  }
  return { ...measured, outputs };
}
