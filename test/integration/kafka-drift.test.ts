// `polyflow run drift` as its own consumer group on the mock cluster (infra/kafka/mock-cluster.sh,
// needs `kcat`): fed by `run ingest --replay` of the replay sample and a `features` process, it
// trips the model-drift breaker where the embedded run's drift monitor trips it, and writes the trip
// to risk.event for trade's risk gate. With a model that has no drift reference it refuses to start.
import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDriftReference } from '../../models/drift-reference.js';
import { driftPipeline } from '../../pipelines/drift.js';
import { loadConfig, type Config } from '../../runtime/config.js';
import { MemoryBus } from '../../runtime/memory-bus.js';
import { fromPackageRoot } from '../../runtime/package-root.js';
import type { RiskEvent } from '../../schemas/risk-event.js';
import type { Signal } from '../../schemas/signal.js';
import type { TopicName } from '../../schemas/topics.js';
import { startTestKafka, type MockCluster } from '../helpers/kafka-mock-cluster.js';
import { CLI, committedRecords, committedToEnd, ingestRecords, kafkaProcessEnv, memoryFeatures, readRawTopics, spawnPipeline, topicRecords } from '../helpers/kafka-pipelines.js';
import { LOOSE_TRADING_ENV, TRADING_MODEL_PATH, tradingEnv } from '../helpers/trading-model.js';
import { waitFor } from '../helpers/wait-for.js';

const dir = mkdtempSync(join(tmpdir(), 'polyflow-kafka-drift-'));
const recording = fromPackageRoot('data/sample');
const prefix = `drift-${randomUUID().slice(0, 8)}.`;
let cluster: MockCluster;
let env: NodeJS.ProcessEnv;
let config: Config;
const children: ChildProcess[] = [];

/** The model_drift events the embedded run's drift monitor makes over the sample's feature vectors (no predictions: no Brier). */
async function embeddedDriftEvents(): Promise<RiskEvent[]> {
  const reference = await loadDriftReference(fromPackageRoot(config.scoring.modelPath));
  if (reference === undefined) throw new Error(`${config.scoring.modelPath} has no drift reference`);
  const { meta, rest } = await ingestRecords(recording);
  const memory = new MemoryBus();
  const events: RiskEvent[] = [];
  const sub = driftPipeline(memory, reference);
  memory.topic('risk.event').subscribe((e) => events.push(e));
  for (const vector of memoryFeatures(config, meta, rest)) memory.publish('features.v1', vector.assetId, vector);
  sub.unsubscribe();
  return events;
}

/** Every record of `topics` on the broker now, read from the beginning for `settleMs` after the first arrives (or `settleMs` if none does). */
async function readTopic(topics: readonly TopicName[], settleMs: number): Promise<Map<TopicName, unknown[]>> {
  const got = new Map<TopicName, unknown[]>();
  const raw = await readRawTopics(config, topics, got);
  await waitFor(() => [...got.values()].some((xs) => xs.length > 0), 10_000, 'a record').catch(() => undefined);
  await sleep(settleMs);
  await raw.stop();
  return got;
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm test builds it)`);
  cluster = await startTestKafka();
  await cluster.prepareTopics(prefix);
  // The shipped model (the ensemble, which names its drift reference); the sample fits the mock's
  // ~5 MB per partition compressed.
  env = kafkaProcessEnv(cluster.bootstrap, prefix, { POLYFLOW_KAFKA_COMPRESSION: 'gzip' });
  config = loadConfig({ env });
  await promisify(execFile)(process.execPath, [CLI, 'run', 'ingest', '--replay', recording], { env });
  children.push(await spawnPipeline('features', env, ['--out', join(dir, 'features')]));
  children.push(await spawnPipeline('drift', env, ['--out', join(dir, 'drift')]));
}, 180_000);

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  cluster?.stop();
});

describe('the drift monitor as its own consumer group', () => {
  it("trips the model-drift breaker on the feature the embedded run's monitor trips on, once, into risk.event", async () => {
    const expected = (await embeddedDriftEvents()).filter((e) => e.rule === 'model_drift');
    // The sample's momentum is far from the training data's: the embedded run trips once and stays tripped.
    expect(expected.map((e) => e.action)).toEqual(['trip']);
    const [, model, feature] = /^model (\S+): PSI [\d.]+ on (\w+)$/.exec(expected[0]!.reason) ?? [];
    expect(feature).toBeDefined();

    await waitFor(async () => (await committedToEnd(cluster.bootstrap, `${prefix}pm.book`, 'features')) && committedToEnd(cluster.bootstrap, `${prefix}features.v1`, 'drift'), 120_000, 'features and drift caught up');
    // Each event once (a redelivery, with its id, is what at-least-once allows).
    const got = [...new Map(((await readTopic(['risk.event'], 1_000)).get('risk.event') as RiskEvent[]).map((e) => [e.id, e])).values()];
    const drift = got.filter((e) => e.rule === 'model_drift');
    // The vectors came from several partitions in fetch order, so the window at the first check holds
    // other vectors than the embedded run's: on the stock mock (one batch per partition per fetch)
    // the same feature trips, at its own time. A fetch as a broker's (the indexed mock's) brings long
    // runs of one partition, and the window tripped on another feature (README, "Model drift").
    expect(drift.map((e) => e.action)).toEqual(['trip']);
    expect(drift[0]?.reason).toMatch(new RegExp(`^model ${model}: PSI [\\d.]+ on ${feature}$`));
    expect(drift[0]?.id).toBe(`drift:${model}:${drift[0]?.ts}:trip`);
  });

  it("holds a trade process's orders behind the tripped breaker: every signal is blocked as model_drift", async () => {
    await waitFor(async () => (await readTopic(['risk.event'], 500)).get('risk.event')?.some((e) => (e as RiskEvent).rule === 'model_drift') === true, 120_000, 'the trip on risk.event');
    // trade first, with the model that trades (the ensemble never does), loosely as in
    // kafka-processes, where the same input makes dozens of orders: it reads the trip while no
    // prediction exists yet. Then predict. trade holds its books until predict has marked its
    // progress (with the default 5 s wait running out before that, it went on without it, and 219
    // signals acted where their predictions came: after their markets had resolved).
    const trading = tradingEnv({ ...env, ...LOOSE_TRADING_ENV } as Record<string, string>);
    children.push(await spawnPipeline('trade', trading, ['--out', join(dir, 'trade')]));
    children.push(await spawnPipeline('predict', trading, ['--out', join(dir, 'predict')]));
    await waitFor(async () => (await committedRecords(cluster.bootstrap, `${prefix}prediction.v1`, 'trade')) > 0 && committedToEnd(cluster.bootstrap, `${prefix}prediction.v1`, 'trade'), 120_000, 'trade caught up');
    const got = new Map<TopicName, unknown[]>();
    const raw = await readRawTopics(config, ['signal.v1', 'order.v1', 'risk.event'], got);
    const signals = got.get('signal.v1') as Signal[];
    const blocks = (): RiskEvent[] => (got.get('risk.event') as RiskEvent[]).filter((e) => e.rule === 'model_drift' && e.action === 'block');
    // Read until every signal on the broker has come, and a block for each (a shortfall is reported
    // below, not as a timeout). Counts alone were met while the reader was still behind on risk.event.
    const signalsOnBroker = await topicRecords(cluster.bootstrap, `${prefix}signal.v1`);
    const blockedAll = (): boolean => {
      const ids = new Set(blocks().map((b) => b.signalId));
      return signals.length >= signalsOnBroker && signals.every((s) => ids.has(s.id));
    };
    await waitFor(blockedAll, 60_000, 'a block per signal').catch(() => undefined);
    await sleep(1_000);
    await raw.stop();
    const blocked = blocks();
    expect(signals.length).toBeGreaterThan(100);
    // Each block names the signal it stopped: all of them; nothing became an order.
    expect(new Set(blocked.map((b) => b.signalId))).toEqual(new Set(signals.map((s) => s.id)));
    expect(got.get('order.v1')).toEqual([]);
    expect(blocked[0]?.reason).toMatch(/model-drift breaker is tripped \(model \S+: PSI/);
  });

  it('refuses to start with a model that has no drift reference, saying why', async () => {
    const run = promisify(execFile)(process.execPath, [CLI, 'run', 'drift', '--out', join(dir, 'refused')], { env: { ...env, POLYFLOW_SCORING_MODEL_PATH: TRADING_MODEL_PATH } });
    const failed = await run.then(() => undefined, (err: { code?: number; stderr?: string }) => err);
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain(`run drift: the model ${TRADING_MODEL_PATH} ships no drift reference`);
  });
});
