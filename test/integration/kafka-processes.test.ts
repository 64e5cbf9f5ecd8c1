// `polyflow run features|predict|trade` as separate processes (each its own consumer group; two
// members of the features group and two of predict, and a standby trade process) on the mock cluster
// (infra/kafka/mock-cluster.sh, needs `kcat`), fed by this test's own publisher with what ingest
// publishes for a recording (books and trades interleaved), and compared with the embedded graph on
// those records.
import { execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScorer } from '../../models/load-scorer.js';
import { TRADE_OWN_TOPICS } from '../../pipelines/trade.js';
import { loadConfig, type Config } from '../../runtime/config.js';
import type { KafkaBus } from '../../runtime/kafka/kafka-bus.js';
import { openKafkaBus } from '../../runtime/kafka/open-kafka-bus.js';
import { fromPackageRoot } from '../../runtime/package-root.js';
import { FEATURE_SPEC } from '../../schemas/feature-spec.js';
import type { FeatureVector } from '../../schemas/feature-vector.js';
import type { Fill } from '../../schemas/fill.js';
import type { Order } from '../../schemas/order.js';
import type { PortfolioSnapshot } from '../../schemas/portfolio-snapshot.js';
import type { Prediction } from '../../schemas/prediction.js';
import type { Signal } from '../../schemas/signal.js';
import type { TopicName } from '../../schemas/topics.js';
import { freePort } from '../helpers/free-port.js';
import { startTestKafka, type MockCluster } from '../helpers/kafka-mock-cluster.js';
import { CLI, committedRecords, embeddedOutputs, ingestRecords, memoryFeatures, MOCK_REBALANCE_ENV, readPartitioned, spawnPipeline } from '../helpers/kafka-pipelines.js';
import { scoresApprox, sizedApprox } from '../helpers/model-outputs.js';
import { seriesValue } from '../helpers/prometheus-text.js';
import { LOOSE_TRADING_ENV, tradingEnv } from '../helpers/trading-model.js';
import { waitFor } from '../helpers/wait-for.js';

const dir = mkdtempSync(join(tmpdir(), 'polyflow-kafka-procs-'));
/** The shipped replay sample (the simulator's, 30,000 events over 40 markets). */
const recording = fromPackageRoot('data/sample');
const prefix = `procs-${randomUUID().slice(0, 8)}.`;
let cluster: MockCluster;
let env: NodeJS.ProcessEnv;
let config: Config;
const children = new Map<string, ChildProcess>();
let finalSignals: string[] = [];
const buses: KafkaBus[] = [];

/** Members started again because they exited before they were ready (reported at the end). */
const restarted: string[] = [];
/** Each member's metrics port (POLYFLOW_METRICS_PORT). */
const metricsPorts = new Map<string, number>();

/**
 * Starts `polyflow run <pipeline>` as member `name` (its metrics and --out are named after it), again
 * if it exits 1 before it is ready, as compose's restart policy would (one that could not join in
 * kafka.joinTimeoutMs, say). A member that fails once ready is not restarted (the test sees what it
 * lost).
 */
async function startProcess(name: string, pipeline = name, attempts = 3): Promise<void> {
  const port = await freePort();
  try {
    children.set(name, await spawnPipeline(pipeline, { ...env, POLYFLOW_METRICS_PORT: String(port) }, ['--metrics', join(dir, `${name}.prom`), '--out', join(dir, `${name}-out`)]));
    metricsPorts.set(name, port);
  } catch (err) {
    if (attempts <= 1) throw err;
    restarted.push(name);
    await startProcess(name, pipeline, attempts - 1);
  }
}

let ingested: Awaited<ReturnType<typeof ingestRecords>>;

/** A counter of `topic` in Prometheus text (0 when the series was never touched). */
const scraped = (text: string, metric: string, topic: string): number => seriesValue(text, `${metric}{topic="${topic}"}`) ?? 0;

const committed = (group: string, topic: TopicName): Promise<number> => committedRecords(cluster.bootstrap, `${prefix}${topic}`, group);

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm test builds it)`);
  cluster = await startTestKafka();
  await cluster.prepareTopics(prefix);
  // Progress markers are on by default (kafka.progressIntervalMs 100): the test's publisher marks
  // its progress, the processes forward it, and trade places predictions among the books by it.
  env = tradingEnv({
    POLYFLOW_LOG_LEVEL: 'warn',
    KAFKA_BROKERS: cluster.bootstrap,
    POLYFLOW_KAFKA_TOPIC_PREFIX: prefix,
    POLYFLOW_KAFKA_SESSION_TIMEOUT_MS: '6000',
    // The mock cluster keeps about 5 MB per partition: uncompressed, the sample's first books were
    // gone before features read them. Compressed (kafka.compression), it keeps them all.
    POLYFLOW_KAFKA_COMPRESSION: 'gzip',
    ...MOCK_REBALANCE_ENV,
    ...LOOSE_TRADING_ENV,
  });
  config = loadConfig({ env });
  // ingest is a process too, run first as the README has it: `run ingest --replay` publishes the
  // recording in ingest's order, progress-marked, and exits once the broker has it all. Every member
  // of a stateful pipeline then reads all the market metadata (a reference table) before its group's
  // first record, and the groups start on the whole input.
  ingested = await ingestRecords(recording);
  const ingest = await promisify(execFile)(process.execPath, [CLI, 'run', 'ingest', '--replay', recording], { env: { ...env, POLYFLOW_BUS_KIND: 'kafka' } });
  expect(ingest.stdout).toMatch(new RegExp(`published to Kafka: .*pm\\.book ${ingested.rest.filter((r) => r.topic === 'pm.book').length.toLocaleString('en-US')}\\b`));
  await Promise.all([
    startProcess('features'),
    startProcess('features-2', 'features'),
    startProcess('predict'),
    startProcess('predict-2', 'predict'),
    startProcess('trade'),
    startProcess('persist'),
  ]);
  // A second trade process joins the group as a standby: the account's state is not split.
  await startProcess('trade-2', 'trade');
  if (restarted.length > 0) console.warn(`kafka-processes: started again after exiting before ready: ${restarted.join(', ')}`);
}, 180_000);

afterAll(async () => {
  for (const bus of buses) await bus.close().catch(() => undefined);
  for (const child of children.values()) if (child.exitCode === null) child.kill('SIGKILL');
  cluster?.stop();
});

describe('features, predict, trade and persist as separate consumer-group processes', () => {
  it('compute what the same operators compute in memory from the records they consumed', async () => {
    const { meta, rest } = ingested;
    const reader = openKafkaBus({ config, group: 'test-reader', fromBeginning: true });
    buses.push(reader);
    const got = { features: [] as FeatureVector[], predictions: [] as Prediction[], signals: [] as Signal[], orders: [] as Order[], fills: [] as Fill[], portfolio: [] as PortfolioSnapshot[] };
    reader.topic('features.v1').subscribe((f) => got.features.push(f));
    reader.topic('prediction.v1').subscribe((p) => got.predictions.push(p));
    reader.topic('signal.v1').subscribe((s) => got.signals.push(s));
    reader.topic('order.v1').subscribe((o) => got.orders.push(o));
    reader.topic('fill.v1').subscribe((f) => got.fills.push(f));
    reader.topic('portfolio.v1').subscribe((p) => got.portfolio.push(p));
    await reader.start();

    // One embedded run (the graph on a memory bus) over the same records is the reference for every
    // stage. The trade process's input does not end: the predictions due after the last book wait.
    const scorer = await loadScorer(fromPackageRoot(config.scoring.modelPath), FEATURE_SPEC);
    const tradeTopics = ['signal.v1', 'order.v1', 'fill.v1', 'portfolio.v1'] as const;
    const embedded = await embeddedOutputs(config, scorer, meta, rest, ['features.v1', 'prediction.v1', ...tradeTopics], { inputEnds: false }).finally(() => scorer.release());
    const ids = (xs: readonly { id: string }[]) => new Map(xs.map((x) => [x.id, x]));

    // features: the same vectors, though two members split the books and trades (each with every
    // market's metadata) and fetch the two topics in an order of their own: the trade windows at each
    // book update hold the trades ingest made before it, as in the embedded run.
    const expected = embedded.get('features.v1') as FeatureVector[];
    expect(expected.length).toBeGreaterThan(100);
    expect(rest.filter((r) => r.topic === 'pm.trade').length).toBeGreaterThan(50);
    expect(expected.filter((f) => f.values[FEATURE_SPEC.names.indexOf('trade_count_5m')]! > 0).length).toBeGreaterThan(100);
    // Fetch order is not enough: with each asset's trades after its books, the vectors differ.
    const fetchOrder = [...rest.filter((r) => r.topic !== 'pm.trade'), ...rest.filter((r) => r.topic === 'pm.trade')];
    expect(ids(memoryFeatures(config, meta, fetchOrder))).not.toEqual(ids(expected));
    await waitFor(() => got.features.length >= expected.length, 120_000, 'features');
    expect(ids(got.features)).toEqual(ids(expected));

    // predict and trade: the same predictions, signals, orders, fills and portfolio snapshots, by id
    // and value (scores up to float32 rounding, and what is sized from them to a ten-thousandth), though
    // predict cut its batches on the wall clock as the records arrived, and trade read the books and
    // predictions from many partitions: it placed each prediction among the books as the embedded run.
    const expectedPredictions = embedded.get('prediction.v1') as Prediction[];
    const expectedTrade = { signals: embedded.get('signal.v1') as Signal[], orders: embedded.get('order.v1') as Order[], fills: embedded.get('fill.v1') as Fill[], portfolio: embedded.get('portfolio.v1') as PortfolioSnapshot[] };
    expect(expectedPredictions.length).toBeGreaterThan(100);
    expect(expectedTrade.signals.length).toBeGreaterThan(10);
    expect(expectedTrade.fills.length).toBeGreaterThan(20);
    // A shortfall is reported by the comparisons below (what is missing), not as a timeout.
    const caughtUp = () => got.predictions.length >= expectedPredictions.length && (['signals', 'orders', 'fills', 'portfolio'] as const).every((k) => got[k].length >= expectedTrade[k].length);
    await waitFor(caughtUp, 120_000, 'outputs').catch(() => undefined);
    expect(ids(got.predictions)).toEqual(ids(expectedPredictions.map(scoresApprox)));
    expect(ids(got.signals)).toEqual(ids(expectedTrade.signals.map(scoresApprox)));
    expect(ids(got.orders)).toEqual(ids(expectedTrade.orders.map(sizedApprox)));
    expect(ids(got.fills)).toEqual(ids(expectedTrade.fills.map(sizedApprox)));
    expect(ids(got.portfolio)).toEqual(ids(expectedTrade.portfolio.map(sizedApprox)));
    finalSignals = got.signals.map((s) => s.id).sort();
  });

  it("forward ingest's progress: every partition is marked up to the input's end, and no record comes after a mark that covers it", async () => {
    // ingest's marks (the publisher's) are one ms short of the latest receive time it published; a
    // vector's time is its input's receive time, a prediction's its due time.
    // (Resolutions and dead letters have no receive time: books and trades do.)
    const last = Math.max(...ingested.rest.flatMap((r) => (r.topic === 'pm.book' || r.topic === 'pm.trade' ? [(r.value as { recvTs: number }).recvTs] : []))) - 1;
    const expected = new Map<TopicName, number>([
      ['features.v1', last],
      ['prediction.v1', last + config.scoring.maxWaitMs],
    ]);
    const timeOf = { 'features.v1': (v: FeatureVector) => v.recvTs, 'prediction.v1': (p: Prediction) => p.dueTs };
    for (const [topic, end] of expected) {
      const read = () => readPartitioned(config, topic as 'features.v1' | 'prediction.v1');
      let entries = await read();
      const marked = (p: number) => Math.max(...entries.filter((e) => e.partition === p && e.progress !== undefined).map((e) => e.progress ?? 0));
      await waitFor(async () => [0, 1, 2, 3].every((p) => marked(p) === end) || ((entries = await read()), false), 60_000, `${topic} marked to its end`);
      for (const p of [0, 1, 2, 3]) {
        expect(marked(p), `${topic} ${p}`).toBe(end);
        // A mark claims every record of its partition up to its time: none of them may come after it.
        let claimed = Number.NEGATIVE_INFINITY;
        let records = 0;
        for (const e of entries.filter((x) => x.partition === p)) {
          if (e.progress !== undefined) claimed = Math.max(claimed, e.progress);
          else {
            records++;
            const time = (timeOf[topic as 'features.v1'] as (v: unknown) => number)(e.value);
            expect(time, `${topic} ${p}: a record at ${time} after a mark at ${claimed}`).toBeGreaterThan(claimed);
          }
        }
        expect(records, `${topic} ${p}`).toBeGreaterThan(0);
      }
    }
  });

  it('report consumer lag, produce/consume rates and rebalances in each process', async () => {
    await waitFor(async () => (await committed('persist', 'signal.v1')) === finalSignals.length, 60_000, 'persist caught up');
    // A features or predict member that joined late (started again, see startProcess, or slowed in its
    // group's rebalances) may find that its sibling consumed the whole input: its partitions are then
    // only rebuilt, nothing published. Its rebalance can take until now: each member must have read its
    // share (live or to rebuild) before it is stopped.
    const inputOf = { features: 'pm.book', predict: 'features.v1' } as const;
    const pipelineOf = (name: string): 'features' | 'predict' | undefined => (name.startsWith('features') ? 'features' : name.startsWith('predict') ? 'predict' : undefined);
    for (const name of [...children.keys()].filter((n) => pipelineOf(n) !== undefined)) {
      const input = inputOf[pipelineOf(name)!];
      const read = async (): Promise<number> => scraped(await (await fetch(`http://127.0.0.1:${metricsPorts.get(name)}/metrics`)).text(), 'polyflow_kafka_consumed_records_total', input);
      await waitFor(async () => (await read()) > 0, 60_000, `${name} read its share of ${input}`);
    }
    // All at once: a member stopped alone would hand its partitions to the other, which would read them again.
    for (const child of children.values()) child.kill('SIGTERM');
    await Promise.all([...children.values()].map((child) => (child.exitCode === null ? once(child, 'exit') : undefined)));
    const sample = (name: string, metric: string, topic: string): number => scraped(readFileSync(join(dir, `${name}.prom`), 'utf8'), metric, topic);
    const consumed = (name: string, topic: string): number =>
      sample(name, 'polyflow_kafka_consumed_records_total', topic) - sample(name, 'polyflow_kafka_rebuild_records_total', topic);
    // Late: started again, or none of its share read live (its sibling had read it all).
    const late = (name: string): boolean => pipelineOf(name) !== undefined && (restarted.includes(name) || consumed(name, inputOf[pipelineOf(name)!]) === 0);
    for (const name of children.keys()) {
      const text = readFileSync(join(dir, `${name}.prom`), 'utf8');
      if (name !== 'trade-2') expect(text, name).toMatch(/polyflow_kafka_consumer_lag_records\{topic="[^"]+",partition="\d"\} \d+/);
      expect(text, name).toMatch(/polyflow_kafka_consumed_records_total\{topic="[^"]+"\} [1-9]/);
      if (name !== 'persist' && name !== 'trade-2' && !late(name)) expect(text, name).toMatch(/polyflow_kafka_produced_records_total\{topic="[^"]+"\} [1-9]/);
      expect(text, name).toMatch(/polyflow_kafka_rebalances_total [1-9]/);
    }
    // The two features members split the books, and the two predict members the vectors, each of
    // features' members reading every market's metadata. Records read again only to rebuild state on an
    // assignment are not counted.
    const vectors = (name: string): number => sample(name, 'polyflow_kafka_produced_records_total', 'features.v1');
    const inputs = { features: ingested.rest.filter((r) => r.topic === 'pm.book').length, predict: vectors('features') + vectors('features-2') };
    for (const pipeline of ['features', 'predict'] as const) {
      const members = [pipeline, `${pipeline}-2`] as const;
      const input = inputOf[pipeline];
      for (const name of members) {
        // Its share, read live (or, when it joined late, maybe only to rebuild its state).
        expect(sample(name, 'polyflow_kafka_consumed_records_total', input), name).toBeGreaterThan(0);
        // A member's share is less than all, unless its sibling joined late: it may then have read every record live first.
        if (!members.some(late)) expect(consumed(name, input), name).toBeLessThan(inputs[pipeline]);
      }
      expect(consumed(members[0], input) + consumed(members[1], input), pipeline).toBeGreaterThanOrEqual(inputs[pipeline]);
    }
    for (const name of ['features', 'features-2']) {
      // Every book and trade it fetched went to its operators: none still waits for its place in ingest's order.
      expect(readFileSync(join(dir, `${name}.prom`), 'utf8'), name).toMatch(/^polyflow_kafka_order_waiting_records 0$/m);
      expect(consumed(name, 'pm.market.meta'), name).toBe(ingested.meta.length);
    }
    // trade: every partition with the first process; the second stood by (it read only the metadata).
    expect(consumed('trade', 'prediction.v1')).toBeGreaterThan(0);
    for (const topic of ['prediction.v1', 'pm.book']) expect(consumed('trade-2', topic), topic).toBe(0);
    // Its own records reach its stages as it publishes them: no process reads them back.
    for (const name of ['trade', 'trade-2']) for (const topic of TRADE_OWN_TOPICS) expect(consumed(name, topic), `${name} ${topic}`).toBe(0);
    expect(consumed('trade-2', 'pm.market.meta')).toBe(ingested.meta.length);
    // persist wrote what it consumed, as JSONL (closed on SIGTERM).
    const persisted = readFileSync(join(dir, 'persist-out', 'signal.v1.jsonl'), 'utf8').split('\n').filter((l) => l !== '');
    expect(persisted.map((l) => (JSON.parse(l) as { id: string }).id).sort()).toEqual(finalSignals);
  });
});
