// Throughput per pipeline: its input pre-produced, then fresh consumer groups from offset 0, each until
// every input is consumed and every output acknowledged; the same graph on a MemoryBus as reference.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DriftReference } from '../../operators/drift-monitor.js';
import type { BatchScorer } from '../../operators/score-batches.js';
import { groupBusShape } from '../../pipelines/consumer-groups.js';
import type { Config } from '../../runtime/config.js';
import { InFlight } from '../../runtime/in-flight.js';
import { openKafkaBus } from '../../runtime/kafka/open-kafka-bus.js';
import type { Logger } from '../../runtime/logger.js';
import { MemoryBus } from '../../runtime/memory-bus.js';
import { PipelineMetrics } from '../../runtime/metrics.js';
import { JsonlFiles } from '../../sinks/jsonl-files.js';
import { BusTap, type TappedRecord } from '../bus-tap.js';
import type { SelfTime } from '../cpu-profile.js';
import { throughput, type Measured } from '../measure.js';
import { assertRetained, createTopics } from './broker-admin.js';
import { countByTopic, publishRecord } from './derived-records.js';
import { fmt } from './format.js';
import type { KafkaPass } from './kafka-pass.js';
import { USAGE } from './options.js';
import { wirePipeline, type PipelineCase } from './pipeline-case.js';
import { runKafkaPasses, type KafkaPassMode } from './pass-runner.js';
import { PredictionMarks } from './prediction-marks.js';

export interface ThroughputResult {
  readonly case: string;
  readonly input: number;
  readonly inputTopics: Readonly<Record<string, number>>;
  readonly memory: Measured;
  readonly memoryOutputs: number;
  readonly kafkaEps: number;
  /** Every Kafka pass's records/s, in the order they ran. */
  readonly kafkaPassEps: readonly number[];
  readonly kafkaSeconds: number;
  readonly kafkaOutputs: number;
  /** CPU seconds of this process per wall second while the Kafka pass ran (1 = one core busy). */
  readonly kafkaCpu: number;
  /** Event-loop utilization of the main thread during the Kafka pass. */
  readonly kafkaLoop: number;
  readonly produceRps: number;
  readonly selfTime?: SelfTime | undefined;
}

/** The configs and scorers the cases run with: the defaults, and the trading setup (baseline logistic). */
export interface CaseSetups {
  readonly config: Config;
  readonly trading: Config;
  readonly ensemble: BatchScorer;
  readonly logistic: BatchScorer;
  /** The default model's drift reference (drift's case). */
  readonly driftReference: DriftReference | undefined;
}

/** How a case runs, the same for every case of the run. */
export interface ThroughputRun {
  /** Memory-bus passes after a warm-up. */
  readonly passes: number;
  /** Kafka passes: fresh consumer groups over one pre-produced input. */
  readonly kafkaPasses: number;
  readonly scratch: string;
  /** `--profile`: CPU-profile each case's first Kafka pass into this folder. */
  readonly profileDir: string | undefined;
  /** Creates a prefix's topics as `polyflow topics` plans them (a real broker; the mock makes them when asked). */
  readonly prepareTopics: (prefix: string) => Promise<void>;
  /** Where the Kafka passes run: a child process per case (the default), or this process. */
  readonly passMode: KafkaPassMode;
  readonly busLogger: Logger;
  /** The level of `busLogger`, for a pass process's own logger. */
  readonly logLevel: string;
  readonly log: (line: string) => void;
}

// Throughput of predict with every batch scored when its input is in (a wall-clock wait would hold the last batch past the pass).
const scoreNow = (c: Config): Config => ({ ...c, scoring: { ...c.scoring, maxWaitMs: 0 } });

/** The cases of `--pipelines`: predict twice, with the default ensemble and with the single logistic. */
export function throughputCases(pipelines: readonly string[], setups: CaseSetups): PipelineCase[] {
  const { config, trading, ensemble, logistic, driftReference } = setups;
  const cases: PipelineCase[] = [];
  for (const p of pipelines) {
    if (p === 'features') cases.push({ name: 'features', pipeline: 'features', config });
    else if (p === 'predict') {
      cases.push({ name: 'predict (ensemble, default)', pipeline: 'predict', config: scoreNow(config), scorer: ensemble });
      cases.push({ name: 'predict (baseline logistic)', pipeline: 'predict', config: scoreNow(trading), scorer: logistic });
    } else if (p === 'trade') cases.push({ name: 'trade', pipeline: 'trade', config: trading });
    else if (p === 'drift') cases.push({ name: 'drift', pipeline: 'drift', config, driftReference });
    else if (p === 'persist') cases.push({ name: 'persist (JSONL)', pipeline: 'persist', config });
    else if (p === 'watch') cases.push({ name: 'watch', pipeline: 'watch', config });
    else throw new Error(`--pipelines: unknown pipeline "${p}"\n${USAGE}`);
  }
  return cases;
}

/** One case on the memory bus, then on Kafka under topic and group prefix `prefix`. */
export async function measureThroughput(c: PipelineCase, input: readonly TappedRecord[], prefix: string, run: ThroughputRun): Promise<ThroughputResult> {
  run.log(`${c.name}: ${fmt(input.length)} input records; memory bus...`);
  const memory = await memoryThroughput(c, input, run);
  run.log(`${c.name}: kafka (pre-produce, then ${run.kafkaPasses} fresh consumer groups from offset 0)...`);
  const k = await kafkaThroughput(c, input, prefix, run);
  return {
    case: c.name,
    input: input.length,
    inputTopics: Object.fromEntries(countByTopic(input)),
    memory: memory.measured,
    memoryOutputs: memory.outputs,
    kafkaEps: k.eps,
    kafkaPassEps: k.passRates,
    kafkaSeconds: k.seconds,
    kafkaOutputs: k.outputs,
    kafkaCpu: k.cpu,
    kafkaLoop: k.loop,
    produceRps: k.produceRps,
    selfTime: k.selfTime,
  };
}

async function memoryThroughput(c: PipelineCase, input: readonly TappedRecord[], run: ThroughputRun): Promise<{ measured: Measured; outputs: number }> {
  let outputs = 0;
  let pass = 0;
  const measured = await throughput(run.passes, async () => {
    const bus = new MemoryBus();
    const inFlight = new InFlight();
    const files = new JsonlFiles(join(run.scratch, `memory-${c.name.replace(/\W+/g, '-')}-${pass++}`));
    let published = 0;
    const sub = wirePipeline(c, new BusTap(bus, () => published++), { metrics: new PipelineMetrics(), inFlight, files });
    for (const r of input) publishRecord(bus, r);
    // A scoring batch due now flushes on the next timer tick.
    await new Promise((resolve) => setTimeout(resolve, 1));
    await inFlight.whenIdle();
    sub.unsubscribe();
    files.close();
    await bus.close();
    outputs = published;
    return input.length;
  });
  return { measured, outputs };
}

/**
 * The input pre-produced once, then `run.kafkaPasses` fresh consumer groups over it (one pass is under a
 * second, and passes of one run vary up to 2.5x): the median pass by records/s, and the fewest outputs of any.
 */
async function kafkaThroughput(c: PipelineCase, input: readonly TappedRecord[], prefix: string, run: ThroughputRun): Promise<KafkaPass & { produceRps: number; passRates: number[] }> {
  await run.prepareTopics(prefix);
  const config: Config = { ...c.config, kafka: { ...c.config.kafka, groupIdPrefix: prefix } };
  // Every topic exists before the pre-produce, as after `polyflow topics`: on the mock a topic the
  // input has no record of (pm.resolution in an early slice of a recording) was made by the passes'
  // subscriptions, after the publisher's rounds, so no marker said its partitions had nothing, and
  // watch's and trade's merges waited kafka.orderWaitMs for them at the start of every pass.
  await createTopics({ ...config, kafka: { ...config.kafka, topicPrefix: prefix } });
  const producer = openKafkaBus({ config, topicPrefix: prefix, logger: run.busLogger });
  await producer.start();
  // trade in ingest's order waits for predict's progress markers: written as predict would.
  const marks = groupBusShape(c.pipeline, config).eventOrder === undefined ? undefined : await PredictionMarks.open(config, prefix, producer);
  const p0 = performance.now();
  for (const r of input) {
    marks?.before(r);
    publishRecord(producer, r);
    if (producer.pressure) await producer.flush();
  }
  marks?.end();
  await producer.close();
  const produceRps = input.length / ((performance.now() - p0) / 1000);
  await assertRetained(config, prefix, [...countByTopic(input).keys()]);
  const passes = await runKafkaPasses(
    run.passMode,
    c,
    {
      passes: Array.from({ length: run.kafkaPasses }, (_, i) => ({
        config: { ...config, kafka: { ...config.kafka, groupIdPrefix: `${prefix}-pass${i}` } },
        profileFile: i === 0 && run.profileDir !== undefined ? join(run.profileDir, `${c.name.replace(/\W+/g, '-')}.cpuprofile`) : undefined,
      })),
      prefix,
      pre: countByTopic(input),
      scratch: run.scratch,
      logLevel: run.logLevel,
    },
    run.busLogger,
  );
  const byRate = [...passes].sort((a, b) => a.eps - b.eps);
  const median = byRate[Math.floor(byRate.length / 2)] as KafkaPass;
  return { ...median, outputs: Math.min(...passes.map((p) => p.outputs)), selfTime: passes[0]?.selfTime, produceRps, passRates: passes.map((p) => p.eps) };
}

