// The bench's results: tables on stdout, and the JSON (machine, broker, parameters, results).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { MockCluster } from '../../test/helpers/kafka-mock-cluster.js';
import { fellBehind } from '../latency-samples.js';
import type { BrokerHop } from './broker-hop.js';
import { fmt } from './format.js';
import type { LatencyResult } from './latency-cases.js';
import type { Machine } from './machine.js';
import type { KafkaBenchOptions } from './options.js';
import { STAGES } from './origin-clock.js';
import { READER_FETCH_WAIT_MS } from './output-reader.js';
import type { ThroughputResult } from './throughput-cases.js';

export interface KafkaBenchReport {
  readonly options: KafkaBenchOptions;
  readonly broker: Pick<MockCluster, 'kind' | 'bootstrap' | 'indexedLog'>;
  readonly machine: Machine;
  /** Records per topic the graph derived from the recording. */
  readonly derived: Readonly<Record<string, number>>;
  readonly throughput: readonly ThroughputResult[];
  readonly latency: readonly LatencyResult[];
  /** One hop through the broker at each fetch wait of the latency cases (none without them). */
  readonly hops: readonly BrokerHop[];
}

export function printReport(out: NodeJS.WritableStream, report: KafkaBenchReport, elapsedSeconds: number): void {
  const { options, broker, machine } = report;
  const brokerKind = broker.kind !== 'mock' ? broker.kind : broker.indexedLog ? 'librdkafka mock cluster (kcat), indexed log (infra/kafka/indexed-mock)' : 'librdkafka mock cluster (kcat)';
  out.write(`\npolyflow bench:kafka: ${fmt(options.events)} generated frames, ${options.markets} markets; broker: ${brokerKind} on ${broker.bootstrap}; ${machine.commit}; ${elapsedSeconds.toFixed(0)} s\n`);
  out.write(`machine: ${machine.cpu}, ${machine.cores} vCPU, node ${machine.node} (flags: ${machine.nodeFlags}); load average ${machine.loadavgStart.join(' ')} at start, ${machine.loadavgEnd.join(' ')} at end\n`);
  if (report.throughput.length > 0) printThroughput(out, report.throughput, options);
  if (report.latency.length > 0) printLatency(out, report.latency, options);
  if (broker.kind === 'mock' && !broker.indexedLog && report.latency.some((r) => r.bus === 'kafka')) {
    out.write(`  the mock finds a fetch's offset by walking the partition's log from its oldest batch, so its cost (broker cores) grows as\n`);
    out.write(`  the logs grow: each case has topics of its own, and these figures are of their first ${options.warmup + options.seconds} s (bench/kafka/RESULTS.md);\n`);
    out.write(`  infra/kafka/indexed-mock/build.sh builds one that does not (KAFKA_MOCK_LIBRARY)\n`);
  }
  if (report.hops.length > 0) printHops(out, report.hops);
}

function printHops(out: NodeJS.WritableStream, hops: readonly BrokerHop[]): void {
  out.write('\nOne hop through the broker (ms): a lone record from send() to a consumer polling at the fetch wait\n');
  out.write(`  ${'fetchWait'.padStart(9)} ${'count'.padStart(7)} ${'p50'.padStart(8)} ${'p99'.padStart(8)} ${'max'.padStart(8)}\n`);
  const ms = (x: number | null): string => (x === null ? '-' : x.toFixed(1));
  for (const { fetchWaitMs, hop } of hops) out.write(`  ${String(fetchWaitMs).padStart(9)} ${fmt(hop.count).padStart(7)} ${ms(hop.p50).padStart(8)} ${ms(hop.p99).padStart(8)} ${ms(hop.max).padStart(8)}\n`);
  out.write('  a broker that answers a waiting fetch when a record arrives (Kafka) gives about one round trip at any wait;\n');
  out.write('  one that answers only when the wait is over (the mock cluster) adds up to the wait to each hop of the path\n');
}

function printThroughput(out: NodeJS.WritableStream, results: readonly ThroughputResult[], options: KafkaBenchOptions): void {
  out.write(
    `\nThroughput per pipeline (input records/s; memory: median of ${options.passes} passes after a warm-up; kafka: median of ${options.kafkaPasses} fresh consumer groups from offset 0 over one pre-produced input, join excluded, ${options.kafkaPassMode === 'processes' ? 'in a child process per case' : 'in this process'}; outputs: the fewest of any pass)\n`,
  );
  out.write(`  ${'pipeline'.padEnd(28)} ${'input'.padStart(9)} ${'memory/s'.padStart(10)} ${'kafka/s'.padStart(9)} ${'ratio'.padStart(6)} ${'outputs mem/kafka'.padStart(18)} ${'cpu'.padStart(5)} ${'loop'.padStart(5)} ${'produce/s'.padStart(10)}\n`);
  for (const r of results) {
    out.write(
      `  ${r.case.padEnd(28)} ${fmt(r.input).padStart(9)} ${fmt(r.memory.median).padStart(10)} ${fmt(r.kafkaEps).padStart(9)} ${(r.kafkaEps / r.memory.median).toFixed(3).padStart(6)} ${`${fmt(r.memoryOutputs)}/${fmt(r.kafkaOutputs)}`.padStart(18)} ${r.kafkaCpu.toFixed(2).padStart(5)} ${r.kafkaLoop.toFixed(2).padStart(5)} ${fmt(r.produceRps).padStart(10)}\n`,
    );
  }
  out.write('  cpu: CPU seconds of the process that ran the kafka pass (a child of its own unless --kafka-pass-mode in-process) per wall\n');
  out.write('  second of it; loop: the share of it the main thread was busy (event-loop utilization; below 1 it waited on the broker);\n');
  out.write('  produce/s: the pre-produce through a publish-only KafkaBus\n');
  for (const r of results) out.write(`  kafka passes ${r.case}: ${r.kafkaPassEps.map((eps) => fmt(eps)).join(', ')}\n`);
  for (const r of results) {
    if (r.selfTime === undefined) continue;
    out.write(`  profile ${r.case}: ${r.selfTime.slice(0, 8).map((s) => `${s.component} ${(s.share * 100).toFixed(0)}%`).join(', ')}\n`);
  }
}

function printLatency(out: NodeJS.WritableStream, results: readonly LatencyResult[], options: KafkaBenchOptions): void {
  out.write(`\nLatency from the pm.book/pm.trade publish to arrival (ms; ${fmt(options.rate)} records/s for ${options.seconds} s after a ${options.warmup} s warm-up; trading model: baseline logistic)\n`);
  const where = options.latencyMode === 'processes' ? 'as 3 `polyflow run` processes' : 'as 3 consumer groups in this process';
  out.write(`  kafka: features, predict, trade ${where}; arrival at this process's reader group (one more hop, fetch wait ${READER_FETCH_WAIT_MS} ms)\n`);
  out.write('  latency runs trade on any positive edge with $1 stakes, so that many predictions reach a fill (same path as the defaults)\n');
  out.write(`  ${'bus'.padEnd(7)} ${'fetchWait'.padStart(9)} ${'scoreWait'.padStart(9)} ${'markers'.padStart(9)} ${'rate/s'.padStart(7)} ${'stage'.padEnd(14)} ${'count'.padStart(7)} ${'p50'.padStart(8)} ${'p99'.padStart(8)} ${'max'.padStart(8)} ${'p50x'.padStart(6)} ${'p99x'.padStart(6)} ${'made p50'.padStart(8)} ${'p99'.padStart(6)} ${'reader p50'.padStart(10)} ${'p99'.padStart(6)}\n`);
  const ms = (x: number | null): string => (x === null ? '-' : x.toFixed(1));
  for (const r of results) {
    const ref = results.find((m) => m.bus === 'memory' && m.scoreWaitMs === r.scoreWaitMs);
    for (const stage of STAGES) {
      const s = r.stages[stage];
      const m = ref?.stages[stage];
      const hop = r.readerHop?.[stage];
      const made = r.produced?.[stage];
      // Below 1 ms (the memory bus's synchronous features stage) a ratio says nothing.
      const ratio = (a: number | null, b: number | null | undefined): string => (r.bus === 'memory' || a === null || b === null || b === undefined || b < 1 ? '' : (a / b).toFixed(1));
      out.write(
        `  ${r.bus.padEnd(7)} ${(r.fetchWaitMs === null ? '-' : String(r.fetchWaitMs)).padStart(9)} ${String(r.scoreWaitMs).padStart(9)} ${(r.markersMs === null ? '-' : r.markersMs === 0 ? 'off' : `${r.markersMs}/${r.promptMs ?? '-'}`).padStart(9)} ${fmt(r.rate).padStart(7)} ${stage.padEnd(14)} ${fmt(s.count).padStart(7)} ${ms(s.p50).padStart(8)} ${ms(s.p99).padStart(8)} ${ms(s.max).padStart(8)} ${ratio(s.p50, m?.p50).padStart(6)} ${ratio(s.p99, m?.p99).padStart(6)} ${ms(made?.p50 ?? null).padStart(8)} ${ms(made?.p99 ?? null).padStart(6)} ${ms(hop?.p50 ?? null).padStart(10)} ${ms(hop?.p99 ?? null).padStart(6)}\n`,
      );
    }
  }
  out.write('  markers: kafka.progressIntervalMs/progressPromptMs of every process (trade waits for the predictions due before each book; off: it acts on arrival)\n');
  out.write('  p50x/p99x: kafka over memory at the same scoring.maxWaitMs; made p50/p99: from the input\'s publish to the output\'s produce\n');
  out.write('  request (its Kafka timestamp, ms), when the pipeline that made it wrote it: p50/p99 without the reader\'s hop (the memory bus\n');
  out.write('  measures at the making); reader p50/p99: that hop alone, from the produce request to the arrival at this process\'s reader\n');
  const cores = (x: number | null): string => (x === null ? '-' : x.toFixed(2));
  const pipelinesAre = options.latencyMode === 'processes' ? 'the 3 pipeline processes' : 'this process';
  out.write(`  cores used while the measured input went out (CPU s per s; broker: the local mock's processes; pipelines: ${pipelinesAre}, memory: this process)\n`);
  for (const r of results) {
    out.write(`    ${caseLabel(r)}: broker ${cores(r.cores.broker)}, pipelines ${cores(r.cores.pipelines)}\n`);
  }
  if (results.some((r) => r.stalls !== null && r.stalls.length > 0)) {
    out.write('  each pipeline process over the same window (its /metrics): event-loop lateness p99/max (ms, past the 10 ms sampling) and time in GC pauses\n');
    for (const r of results) {
      if (r.stalls === null || r.stalls.length === 0) continue;
      const each = r.stalls.map((s) => `${s.pipeline} ${s.loopP99Ms.toFixed(0)}/${s.loopMaxMs.toFixed(0)} ms, GC ${(100 * s.gcShare).toFixed(1)}%`).join('; ');
      out.write(`    ${caseLabel(r)}: ${each}\n`);
    }
  }
  printMarkerRounds(out, results);
  for (const r of results) {
    // The first stage measured (features.v1 unless --stages left it out): the first to fall behind.
    const stage = STAGES.find((st) => r.stages[st].count > 0);
    const s = stage === undefined ? undefined : r.stages[stage];
    if (s !== undefined && fellBehind(s)) {
      out.write(
        `  note: ${caseLabel(r)} fell behind the input (${(s.late * 100).toFixed(0)}% of ${stage} arrived after the input stopped): its latency is mostly queueing; a lower --rate measures the path\n`,
      );
    }
  }
}

/** A latency case as the report's lines name it: bus, fetch wait (Kafka), scoring wait, markers (Kafka). */
function caseLabel(r: LatencyResult): string {
  const fetchWait = r.fetchWaitMs === null ? '' : ` fetchWait ${r.fetchWaitMs}`;
  const markers = r.markersMs === null ? '' : ` markers ${r.markersMs === 0 ? 'off' : `${r.markersMs}/${r.promptMs ?? '-'}`}`;
  return `${r.bus}${fetchWait} scoreWait ${r.scoreWaitMs}${markers}`;
}

/** The markers' part of the latency: from each of ingest's rounds to its markers forwarded by features and predict (the stages the reader read). */
function printMarkerRounds(out: NodeJS.WritableStream, results: readonly LatencyResult[]): void {
  const marked = results.filter((r) => r.markerRounds !== null && Object.keys(r.markerRounds).length > 0);
  if (marked.length === 0) return;
  out.write("  markers through the stages: ms from ingest's round (its wall time) to that round's marker written on the first and on the last\n");
  out.write('  partition of each stage topic read (trade waits for the last prediction.v1 one, then one more hop); rounds made while measured\n');
  const ms = (x: number | null): string => (x === null ? '-' : x.toFixed(0));
  for (const r of marked) {
    const each = STAGES.flatMap((stage) => {
      const m = r.markerRounds?.[stage];
      return m === undefined ? [] : [`${stage} first ${ms(m.first.p50)}/${ms(m.first.p99)}, last ${ms(m.last.p50)}/${ms(m.last.p99)} (p50/p99, ${fmt(m.last.count)} rounds)`];
    });
    out.write(`    ${caseLabel(r)}: ${each.join('; ')}\n`);
  }
}

/** Writes the report's JSON to `file` (its folder created); returns the absolute path. */
export function writeReportJson(file: string, report: KafkaBenchReport): string {
  const { options } = report;
  const json = {
    machine: report.machine,
    broker: { kind: report.broker.kind, bootstrap: report.broker.bootstrap },
    params: {
      events: options.events,
      latencyMode: options.latencyMode,
      maxInput: options.maxInput,
      markets: options.markets,
      passes: options.passes,
      kafkaPasses: options.kafkaPasses,
      rate: options.rate,
      seconds: options.seconds,
      warmup: options.warmup,
      readerFetchWaitMs: READER_FETCH_WAIT_MS,
      derived: report.derived,
    },
    throughput: report.throughput.map((r) => ({
      case: r.case,
      input: r.input,
      input_topics: r.inputTopics,
      memory_eps: Math.round(r.memory.median),
      memory_best_eps: Math.round(r.memory.best),
      kafka_eps: Math.round(r.kafkaEps),
      kafka_pass_eps: r.kafkaPassEps.map((eps) => Math.round(eps)),
      ratio: Number((r.kafkaEps / r.memory.median).toFixed(3)),
      kafka_seconds: Number(r.kafkaSeconds.toFixed(2)),
      outputs_memory: r.memoryOutputs,
      outputs_kafka: r.kafkaOutputs,
      kafka_cpu_per_wall_s: Number(r.kafkaCpu.toFixed(2)),
      kafka_event_loop_utilization: Number(r.kafkaLoop.toFixed(2)),
      produce_rps: Math.round(r.produceRps),
      ...(r.selfTime === undefined ? {} : { self_time: r.selfTime }),
    })),
    latency: report.latency,
  };
  const path = resolve(file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(json, null, 2)}\n`);
  return path;
}
