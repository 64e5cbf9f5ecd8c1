// `npm run bench:kafka`: the Kafka path against the embedded memory bus, in one run, on librdkafka's
// mock cluster (infra/kafka/mock-cluster.sh, started here through the tests' helper; a real broker
// when KAFKA_BROKERS is set). Every run has its own topic prefix and consumer groups.
// 1. Throughput per pipeline (features, predict with the default ensemble and with the single
//    logistic, trade, persist): its input topics are pre-produced from a generated recording (the
//    simulator's frames through ingest, and the records the upstream pipelines derive from them),
//    then the pipeline's graph runs on a KafkaBus consumer group from offset 0, wired as
//    `polyflow run <pipeline>` wires it, until every input record is consumed and every output
//    acknowledged; the same graph on a MemoryBus over the same records gives the reference.
// 2. Latency ingest -> fill: `polyflow run features|predict|trade` as three processes (consumer
//    groups; or, with --latency-mode in-process, three KafkaBus consumer groups in this process),
//    fed at a steady rate by this process, which also reads their outputs as its own group;
//    latency = arrival at that reader - the wall time the originating pm.book/pm.trade record was
//    published, matched by (asset, event ts), which features, predictions, signals, orders and fills
//    carry through. The same three pipelines on one MemoryBus at the same rate give the reference.
//    Trading uses the baseline logistic (the default ensemble never trades).
// 3. With latency cases: one hop (a lone record, send -> a consumer) at each fetch wait they use, which
//    tells a broker that answers a waiting fetch on arrival from one (the mock) that holds it.
// Prints tables; writes the JSON (machine, parameters, results) to --json (default out/bench/kafka.json).
// The parts are under bench/kafka/; this file parses the command line and runs them in order.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadDriftReference } from '../models/drift-reference.js';
import { loadScorer } from '../models/load-scorer.js';
import { loadConfig } from '../runtime/config.js';
import { createLogger } from '../runtime/logger.js';
import { fromPackageRoot } from '../runtime/package-root.js';
import { FEATURE_SPEC } from '../schemas/feature-spec.js';
import { startTestKafka } from '../test/helpers/kafka-mock-cluster.js';
import { MOCK_REBALANCE_ENV } from '../test/helpers/kafka-pipelines.js';
import { TRADING_MODEL_PATH } from '../test/helpers/trading-model.js';
import { countByTopic, deriveRecords, inputsOf, simulateRecording } from './kafka/derived-records.js';
import { fmt } from './kafka/format.js';
import { measureBrokerHops, type BrokerHop } from './kafka/broker-hop.js';
import { measureLatency, type LatencyResult } from './kafka/latency-cases.js';
import { describeMachine } from './kafka/machine.js';
import { parseLatencyCases, parseOptions, USAGE } from './kafka/options.js';
import { READER_FETCH_WAIT_MS } from './kafka/output-reader.js';
import { printReport, writeReportJson } from './kafka/report.js';
import { measureThroughput, throughputCases, type ThroughputResult } from './kafka/throughput-cases.js';

// Bad options fail here, before anything starts (and before --help is looked at).
const options = parseOptions(process.argv.slice(2));
const busLogger = createLogger(options.log);
const log = (line: string): void => void process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const latencyCases = parseLatencyCases(options.latency);
  const loadStart = loadavg();
  const started = performance.now();
  const scratch = mkdtempSync(join(tmpdir(), 'polyflow-bench-kafka-'));
  log('starting Kafka (the mock cluster of infra/kafka/mock-cluster.sh unless KAFKA_BROKERS is set)...');
  const cluster = await startTestKafka();
  log(`broker: ${cluster.kind} at ${cluster.bootstrap}`);
  const runId = `bench-${randomUUID().slice(0, 8)}`;
  // The mock waits out a rebalance timeout for a member that went: the session timeout for both.
  const kafka = { brokers: [cluster.bootstrap], sessionTimeoutMs: 6_000 };
  const config = loadConfig({ env: MOCK_REBALANCE_ENV, overrides: { kafka } });
  const trading = loadConfig({ env: MOCK_REBALANCE_ENV, overrides: { kafka, scoring: { modelPath: TRADING_MODEL_PATH } } });
  const throughputResults: ThroughputResult[] = [];
  const latencyResults: LatencyResult[] = [];
  const hops: BrokerHop[] = [];
  let derivedCounts: Record<string, number> = {};
  try {
    log(`simulating a recording of ${fmt(options.events)} frames over ${options.markets} markets...`);
    const recording = join(scratch, 'recording');
    await simulateRecording(recording, options.events, options.markets);
    const ensemble = await loadScorer(fromPackageRoot(config.scoring.modelPath), FEATURE_SPEC);
    const logistic = await loadScorer(fromPackageRoot(trading.scoring.modelPath), FEATURE_SPEC);
    const driftReference = await loadDriftReference(fromPackageRoot(config.scoring.modelPath));
    log('ingest -> features -> predict (baseline logistic) -> trade on the memory bus, recording every topic...');
    const derived = await deriveRecords(recording, trading, logistic);
    derivedCounts = Object.fromEntries(countByTopic(derived));

    const cases = throughputCases(options.pipelines, { config, trading, ensemble, logistic, driftReference });
    const prepareTopics = (prefix: string): Promise<void> => cluster.prepareTopics(prefix);
    const throughputRun = {
      passes: options.passes,
      kafkaPasses: options.kafkaPasses,
      passMode: options.kafkaPassMode,
      scratch,
      profileDir: options.profile,
      prepareTopics,
      busLogger,
      logLevel: options.log,
      log,
    };
    for (const [i, c] of cases.entries()) {
      const input = inputsOf(c, derived, scratch).slice(0, options.maxInput);
      throughputResults.push(await measureThroughput(c, input, `${runId}-${i}.`, throughputRun));
    }

    const latencyRun = {
      prepareTopics,
      rate: options.rate,
      warmup: options.warmup,
      seconds: options.seconds,
      mode: options.latencyMode,
      stages: options.stages,
      bootstrap: cluster.bootstrap,
      brokerProcessGroup: cluster.processGroup,
      logLevel: options.log,
      busLogger,
      scorer: logistic,
      log,
    };
    latencyResults.push(...(await measureLatency(latencyCases, derived, latencyRun)));
    if (latencyCases.length > 0) {
      log('one hop through the broker, by fetch wait...');
      hops.push(...(await measureBrokerHops(cluster.bootstrap, [...latencyCases.map((c) => c.fetchWaitMs), READER_FETCH_WAIT_MS], `${runId}-`, busLogger)));
    }
  } finally {
    cluster.stop();
    rmSync(scratch, { recursive: true, force: true });
  }

  const report = {
    options,
    broker: { kind: cluster.kind, bootstrap: cluster.bootstrap, indexedLog: cluster.indexedLog ?? false },
    machine: describeMachine(loadStart),
    derived: derivedCounts,
    throughput: throughputResults,
    latency: latencyResults,
    hops,
  };
  printReport(process.stdout, report, (performance.now() - started) / 1000);
  process.stdout.write(`\nwrote ${writeReportJson(options.json, report)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:kafka failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
