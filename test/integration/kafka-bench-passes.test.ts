// bench:kafka's throughput passes run in a child process of their own by default (its heap holds
// the pipeline only, as a `polyflow run` process's does): the child consumes the pre-produced input
// and publishes what the same graph publishes on the memory bus, as the bench's own process does.
// Mock cluster (needs kcat); the child is the built file (npm test builds it).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countByTopic, deriveRecords, inputsOf, simulateRecording } from '../../bench/kafka/derived-records.js';
import { throughputCases, measureThroughput, type ThroughputRun } from '../../bench/kafka/throughput-cases.js';
import type { TappedRecord } from '../../bench/bus-tap.js';
import { loadDriftReference } from '../../models/drift-reference.js';
import { loadScorer } from '../../models/load-scorer.js';
import { loadConfig, type Config } from '../../runtime/config.js';
import { createLogger } from '../../runtime/logger.js';
import { fromPackageRoot } from '../../runtime/package-root.js';
import { FEATURE_SPEC } from '../../schemas/feature-spec.js';
import { startTestKafka, type MockCluster } from '../helpers/kafka-mock-cluster.js';
import { TRADING_MODEL_PATH, tradingScorer } from '../helpers/trading-model.js';

const scratch = mkdtempSync(join(tmpdir(), 'polyflow-kafka-bench-passes-'));
let cluster: MockCluster;
let config: Config;
let trading: Config;
let derived: TappedRecord[];

beforeAll(async () => {
  if (!existsSync(fromPackageRoot('dist/bench/kafka/pass-child.js'))) throw new Error('dist/bench is missing: build first (npm test builds it)');
  cluster = await startTestKafka();
  const kafka = { brokers: [cluster.bootstrap], sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 6_000 };
  config = loadConfig({ env: {}, overrides: { kafka } });
  trading = loadConfig({ env: {}, overrides: { kafka, scoring: { modelPath: TRADING_MODEL_PATH } } });
  await simulateRecording(join(scratch, 'recording'), 3_000, 20);
  derived = await deriveRecords(join(scratch, 'recording'), trading, await tradingScorer());
}, 120_000);

afterAll(() => {
  cluster?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const run = (passMode: ThroughputRun['passMode']): ThroughputRun => ({
  passes: 1,
  kafkaPasses: 2,
  passMode,
  scratch,
  profileDir: undefined,
  prepareTopics: (prefix) => cluster.prepareTopics(prefix),
  busLogger: createLogger('silent'),
  logLevel: 'silent',
  log: () => undefined,
});

describe('bench:kafka throughput passes', () => {
  it('give in a child process the memory bus outputs, as in the bench process', async () => {
    const ensemble = await loadScorer(fromPackageRoot(config.scoring.modelPath), FEATURE_SPEC);
    const driftReference = await loadDriftReference(fromPackageRoot(config.scoring.modelPath));
    const cases = throughputCases(['features', 'predict', 'drift'], { config, trading, ensemble, logistic: await tradingScorer(), driftReference });
    const features = cases.find((c) => c.name === 'features');
    const logistic = cases.find((c) => c.name === 'predict (baseline logistic)');
    if (features === undefined || logistic === undefined) throw new Error('missing case');

    const featuresInput = inputsOf(features, derived, scratch);
    expect(featuresInput.length).toBeGreaterThan(1_000);
    expect([...countByTopic(featuresInput).keys()].sort()).toEqual(['pm.book', 'pm.market.meta', 'pm.trade']);
    const id = randomUUID().slice(0, 8);
    const child = await measureThroughput(features, featuresInput, `passes-${id}-child.`, run('processes'));
    const inProcess = await measureThroughput(features, featuresInput, `passes-${id}-here.`, run('in-process'));
    // A feature vector for nearly every book update and trade, in both.
    expect(child.memoryOutputs).toBeGreaterThan(featuresInput.length * 0.9);
    expect(child.kafkaOutputs).toBe(child.memoryOutputs);
    expect(inProcess.kafkaOutputs).toBe(child.kafkaOutputs);
    expect(child.kafkaPassEps).toHaveLength(2);
    for (const eps of child.kafkaPassEps) expect(eps).toBeGreaterThan(0);

    // predict loads its scorer in the child from the case's model path.
    const predictInput = inputsOf(logistic, derived, scratch);
    const predicted = await measureThroughput(logistic, predictInput, `passes-${id}-predict.`, run('processes'));
    expect(predicted.memoryOutputs).toBeGreaterThan(0);
    expect(predicted.kafkaOutputs).toBe(predicted.memoryOutputs);

    // drift loads the model's drift reference there too: the simulated features trip it.
    const drift = cases.find((c) => c.name === 'drift');
    if (drift === undefined) throw new Error('missing case');
    const driftInput = inputsOf(drift, derived, scratch);
    expect([...countByTopic(driftInput).keys()].sort()).toEqual(['features.v1', 'pm.resolution', 'prediction.v1']);
    const drifted = await measureThroughput(drift, driftInput, `passes-${id}-drift.`, run('processes'));
    expect(drifted.memoryOutputs).toBe(1);
    expect(drifted.kafkaOutputs).toBe(drifted.memoryOutputs);
  }, 180_000);
});
