// KafkaBus against a Kafka-protocol broker: librdkafka's mock cluster, started by
// infra/kafka/mock-cluster.sh (needs Debian's `kcat`; .ci/run installs it).
import { randomUUID } from 'node:crypto';
import { MockClient, type Client } from '@confluentinc/schemaregistry';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AvroTopicSerde } from '../../runtime/kafka/avro-serde.js';
import { createKafka } from '../../runtime/kafka/kafka-client.js';
import { KafkaBus } from '../../runtime/kafka/kafka-bus.js';
import { KafkaMetrics } from '../../runtime/kafka/kafka-metrics.js';
import { committedSchemaOf } from '../../runtime/kafka/open-kafka-bus.js';
import type { AvroSchema } from '../../schemas/avro-types.js';
import { encodeRecord } from '../../schemas/avro-types.js';
import { TOPIC_NAMES, type TopicName, type TopicTypes } from '../../schemas/topics.js';
import { startTestKafka, type MockCluster } from '../helpers/kafka-mock-cluster.js';
import { bookDelta, SAMPLES } from '../helpers/topic-samples.js';
import { waitFor } from '../helpers/wait-for.js';

let cluster: MockCluster;
const open: KafkaBus[] = [];

beforeAll(async () => {
  cluster = await startTestKafka();
}, 30_000);

afterAll(async () => {
  for (const bus of open) await bus.close().catch(() => undefined);
  cluster?.stop();
});

interface TestBusOptions {
  prefix: string;
  group?: string;
  client: Client;
  schemaOf?: (topic: TopicName) => AvroSchema;
  metrics?: KafkaMetrics;
  maxBufferedRecords?: number;
  batchSize?: number;
  rebuild?: { reset: () => void };
  assignment?: 'co-partitioned';
  ingestOrder?: boolean;
  orderWaitMs?: number;
  settle?: () => Promise<void>;
  lagProbeMs?: number;
  commitIntervalMs?: number;
}

function testBus(o: TestBusOptions): KafkaBus {
  const bus = new KafkaBus({
    kafka: createKafka({ brokers: [cluster.bootstrap], clientId: 'polyflow-test' }),
    serde: new AvroTopicSerde({ client: o.client, schemaOf: o.schemaOf ?? committedSchemaOf, kafkaTopic: (t) => `${o.prefix}${t}` }),
    groupId: o.group,
    topicPrefix: o.prefix,
    fromBeginning: true,
    sessionTimeoutMs: 6_000,
    metrics: o.metrics,
    maxBufferedRecords: o.maxBufferedRecords,
    batchSize: o.batchSize,
    rebuild: o.rebuild,
    assignment: o.assignment,
    ingestOrder: o.ingestOrder,
    orderWaitMs: o.orderWaitMs,
    settle: o.settle,
    lagProbeMs: o.lagProbeMs,
    commitIntervalMs: o.commitIntervalMs,
  });
  open.push(bus);
  return bus;
}

/** A record as a plain kafkajs consumer reads it: key, value and headers as text. */
interface RawRecord {
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** Reads `topics` (broker names) from the beginning with a plain kafkajs consumer of group `group`. */
async function readRaw(group: string, topics: string[]): Promise<{ records: (topic: string) => RawRecord[]; stop: () => Promise<void> }> {
  const got = new Map<string, RawRecord[]>(topics.map((t) => [t, []]));
  const consumer = createKafka({ brokers: [cluster.bootstrap], clientId: 'raw-reader' }).consumer({ groupId: group, sessionTimeout: 6_000, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
      got.get(topic)?.push({ key: String(message.key), value: String(message.value), headers });
    },
  });
  return { records: (topic) => got.get(topic) ?? [], stop: () => consumer.disconnect() };
}

/** The record key the pipelines would give: the samples carry the field TOPICS[...].keyedBy names. */
const keyOf = (value: object): string => {
  const v = value as Record<string, unknown>;
  for (const field of ['assetId', 'market', 'eventId', 'wallet', 'source', 'id']) if (typeof v[field] === 'string' && v[field] !== '') return v[field];
  return 'paper';
};

/** Records in a canonical order (by their JSON with sorted keys): topics of several keys interleave across partitions. */
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (Number.isNaN(x) ? 'NaN' : x !== null && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x));
const sorted = (values: readonly unknown[]): unknown[] => [...values].sort((a, b) => canonical(a).localeCompare(canonical(b)));

describe('KafkaBus on the mock cluster', () => {
  it('round-trips a record of every topic in Confluent wire format', async () => {
    const prefix = `rt-${randomUUID().slice(0, 8)}.`;
    await cluster.prepareTopics(prefix);
    const client = new MockClient({ baseURLs: ['mock://test'] });
    const writer = testBus({ prefix, client });
    const reader = testBus({ prefix, client, group: `g-${prefix}` });
    const got = new Map<TopicName, unknown[]>();
    for (const topic of TOPIC_NAMES) reader.topic(topic).subscribe((v) => got.set(topic, [...(got.get(topic) ?? []), v]));
    await writer.start();
    await reader.start();
    let total = 0;
    for (const topic of TOPIC_NAMES) {
      for (const sample of SAMPLES[topic]) {
        writer.publish(topic, keyOf(sample), sample as TopicTypes[typeof topic]);
        total++;
      }
    }
    await writer.flush();
    await waitFor(() => [...got.values()].reduce((n, v) => n + v.length, 0) >= total, 30_000);
    for (const topic of TOPIC_NAMES) expect(sorted(got.get(topic) ?? []), topic).toEqual(sorted(SAMPLES[topic]));

    // The bytes: magic 0, the registered id, then exactly the body plain avsc writes.
    const serde = new AvroTopicSerde({ client, schemaOf: committedSchemaOf, kafkaTopic: (t) => `${prefix}${t}` });
    const [fill] = SAMPLES['fill.v1'];
    const bytes = await serde.serialize('fill.v1', fill!);
    expect(bytes[0]).toBe(0);
    expect(bytes.readInt32BE(1)).toBe(await serde.register('fill.v1'));
    expect(bytes.subarray(5).equals(encodeRecord('fill.v1', fill!))).toBe(true);
  });

  it('sends undecodable input to dlq.<topic> with the reason in headers and goes on', async () => {
    const prefix = `dlq-${randomUUID().slice(0, 8)}.`;
    await cluster.prepareTopics(prefix);
    const client = new MockClient({ baseURLs: ['mock://test'] });
    const kafka = createKafka({ brokers: [cluster.bootstrap], clientId: 'polyflow-test-raw' });
    const registry = new Registry();
    const reader = testBus({ prefix, client, group: `g-${prefix}`, metrics: new KafkaMetrics(registry) });
    const trades: unknown[] = [];
    reader.topic('pm.trade').subscribe((t) => trades.push(t));
    const writer = testBus({ prefix, client });
    await writer.start();
    const [trade] = SAMPLES['pm.trade'];
    const raw = kafka.producer();
    await raw.connect();
    await raw.send({ topic: `${prefix}pm.trade`, messages: [{ key: trade!.assetId, value: Buffer.from('{"not":"avro"}') }] });
    writer.publish('pm.trade', trade!.assetId, trade!);
    await writer.flush();
    await reader.start();
    await waitFor(() => trades.length === 1, 30_000);
    expect(trades[0]).toEqual(trade);

    const read = await readRaw(`dlq-reader-${prefix}`, [`${prefix}dlq.pm.trade`]);
    const dlq = read.records(`${prefix}dlq.pm.trade`);
    await waitFor(() => dlq.length === 1, 30_000);
    await read.stop();
    await raw.disconnect();
    expect(dlq[0]?.value).toBe('{"not":"avro"}');
    expect(dlq[0]?.headers['polyflow-dlq-topic']).toBe('pm.trade');
    expect(dlq[0]?.headers['polyflow-dlq-reason']).toMatch(/not Confluent wire format/);
    expect(await registry.getSingleMetricAsString('polyflow_kafka_dead_letters_total')).toMatch(/topic="pm.trade"} 1/);
  });

  it('shares the partitions of a topic between two members of one group, each key on one member, in order', async () => {
    const prefix = `grp-${randomUUID().slice(0, 8)}.`;
    await cluster.prepareTopics(prefix);
    const client = new MockClient({ baseURLs: ['mock://test'] });
    const group = `g-${prefix}`;
    const m1 = new KafkaMetrics(new Registry());
    const a = testBus({ prefix, client, group, metrics: m1 });
    const b = testBus({ prefix, client, group });
    const seen = { a: [] as TopicTypes['pm.trade'][], b: [] as TopicTypes['pm.trade'][] };
    a.topic('pm.trade').subscribe((t) => seen.a.push(t));
    b.topic('pm.trade').subscribe((t) => seen.b.push(t));
    await a.start();
    await b.start();
    // a joined once alone, then again in the rebalance b's join caused.
    await waitFor(async () => ((await m1.rebalances.get()).values[0]?.value ?? 0) >= 2, 30_000);
    const writer = testBus({ prefix, client });
    await writer.start();
    const [trade] = SAMPLES['pm.trade'];
    const keys = Array.from({ length: 16 }, (_, i) => `asset-${i}`);
    for (let seq = 0; seq < 10; seq++) for (const key of keys) writer.publish('pm.trade', key, { ...trade!, id: `${key}-${seq}`, assetId: key as never, ts: seq });
    await writer.flush();
    await waitFor(() => seen.a.length + seen.b.length >= 160, 30_000);
    expect(seen.a.length).toBeGreaterThan(0);
    expect(seen.b.length).toBeGreaterThan(0);
    const aKeys = new Set(seen.a.map((t) => t.assetId));
    for (const t of seen.b) expect(aKeys.has(t.assetId)).toBe(false);
    for (const list of [seen.a, seen.b]) {
      for (const key of new Set(list.map((t) => t.assetId))) expect(list.filter((t) => t.assetId === key).map((t) => t.ts)).toEqual([...Array(10).keys()]);
    }
  });

  it("gives three members of a features-like group each asset's books and trades, in the order they were published", async () => {
    const prefix = `ord-${randomUUID().slice(0, 8)}.`;
    await cluster.prepareTopics(prefix);
    const client = new MockClient({ baseURLs: ['mock://test'] });
    const group = `g-${prefix}`;
    // What each member is handed: asset -> the publish index (ts) of each book or trade, in order.
    const members = [0, 1, 2].map(() => ({ books: new Set<string>(), trades: new Set<string>(), order: new Map<string, number[]>() }));
    const buses = members.map((seen) => {
      const bus = testBus({ prefix, client, group, assignment: 'co-partitioned', ingestOrder: true });
      const note = (assetId: string, ts: number): void => void seen.order.set(assetId, [...(seen.order.get(assetId) ?? []), ts]);
      bus.topic('pm.book').subscribe((b) => (seen.books.add(b.assetId), note(b.assetId, b.ts)));
      bus.topic('pm.trade').subscribe((t) => (seen.trades.add(t.assetId), note(t.assetId, t.ts)));
      return bus;
    });
    await Promise.all(buses.map((b) => b.start()));
    const writer = testBus({ prefix, client });
    await writer.start();
    const [trade] = SAMPLES['pm.trade'];
    const keys = Array.from({ length: 24 }, (_, i) => `asset-${i}`);
    // Each asset: book, trade, book, book, trade, ...: one publish order over both topics.
    let ts = 0;
    for (let round = 0; round < 8; round++) {
      for (const key of keys) {
        writer.publish('pm.book', key, { ...bookDelta, assetId: key as never, ts: ts++ });
        if (round % 3 !== 2) writer.publish('pm.trade', key, { ...trade!, id: `${key}-${round}`, assetId: key as never, ts: ts++ });
      }
    }
    await writer.flush();
    const handed = (): number => members.reduce((n, m) => n + [...m.order.values()].reduce((k, list) => k + list.length, 0), 0);
    await waitFor(() => handed() >= ts, 30_000);
    expect(handed()).toBe(ts);
    for (const [i, m] of members.entries()) {
      // An asset's trades are handed to the member that has its books (the same partition number of both topics)...
      expect([...m.trades].sort(), `member ${i}`).toEqual([...m.books].sort());
      // ...in the order they were published, though each topic is fetched on its own.
      for (const [asset, order] of m.order) expect(order, asset).toEqual([...order].sort((a, b) => a - b));
    }
    expect(members.filter((m) => m.books.size > 0).length).toBe(3);
    expect(members.reduce((n, m) => n + m.books.size, 0)).toBe(keys.length);
  });

  it('waits for a record ingest lost, then hands over what came after it, and counts the wait', async () => {
    const prefix = `gap-${randomUUID().slice(0, 8)}.`;
    await cluster.prepareTopics(prefix);
    const client = new MockClient({ baseURLs: ['mock://test'] });
    const metrics = new KafkaMetrics(new Registry());
    const reader = testBus({ prefix, client, group: `g-${prefix}`, assignment: 'co-partitioned', ingestOrder: true, orderWaitMs: 1_000, metrics });
    const got: { ts: number; at: number }[] = [];
    reader.topic('pm.book').subscribe((b) => got.push({ ts: b.ts, at: Date.now() }));
    reader.topic('pm.trade').subscribe((t) => got.push({ ts: t.ts, at: Date.now() }));
    await reader.start();
    const waits = async (): Promise<number> => (await metrics.orderWaits.get()).values[0]?.value ?? 0;
    // Records as an ingest stamps them (epoch:g:n), sent raw so that one can be left out.
    const serde = new AvroTopicSerde({ client, schemaOf: committedSchemaOf, kafkaTopic: (t) => `${prefix}${t}` });
    const raw = createKafka({ brokers: [cluster.bootstrap], clientId: 'polyflow-test-raw' }).producer();
    await raw.connect();
    const [trade] = SAMPLES['pm.trade'];
    const send = async (topic: 'pm.book' | 'pm.trade', ts: number, order: string): Promise<number> => {
      const value = topic === 'pm.book' ? await serde.serialize('pm.book', { ...bookDelta, assetId: 'a' as never, ts }) : await serde.serialize('pm.trade', { ...trade!, id: `t-${ts}`, assetId: 'a' as never, ts });
      await raw.send({ topic: `${prefix}${topic}`, messages: [{ key: 'a', value, headers: { 'polyflow-order': order } }] });
      return Date.now();
    };
    // a's book 0 and trade 1: both topics have a record, so the order is known at once.
    await send('pm.book', 0, '1000:0:0');
    await send('pm.trade', 1, '1000:1:1');
    await waitFor(() => got.length === 2, 30_000, 'book 0 and trade 1');
    expect(got.map((r) => r.ts)).toEqual([0, 1]);
    expect(await waits()).toBe(0);
    // a's record 2 was lost (its ingest died before the broker had it): book 3 waits for it.
    const sent3 = await send('pm.book', 3, '1000:3:3');
    // Meanwhile it is counted as waiting in the merge.
    await waitFor(async () => (await metrics.orderWaiting.get()).values[0]?.value === 1, 30_000, 'book 3 waiting');
    expect(got.length).toBe(2);
    await waitFor(() => got.length === 3, 30_000, 'book 3');
    expect(got[2]!.at - sent3).toBeGreaterThanOrEqual(1_000);
    expect(await waits()).toBe(1);
    // The restarted ingest's first book: another epoch, placed after a wait for what may come before it.
    const sent4 = await send('pm.book', 4, '2000:0:0');
    await waitFor(() => got.length === 4, 30_000, 'book 4');
    expect(got[3]!.at - sent4).toBeGreaterThanOrEqual(1_000);
    expect(await waits()).toBe(2);
    expect((await metrics.orderWaiting.get()).values[0]?.value).toBe(0);
    await raw.disconnect();
  });

  it('drops a redelivered record (an id it saw) and counts it', async () => {
    const prefix = `dup-${randomUUID().slice(0, 8)}.`;
    await cluster.prepareTopics(prefix);
    const client = new MockClient({ baseURLs: ['mock://test'] });
    const metrics = new KafkaMetrics(new Registry());
    const reader = testBus({ prefix, client, group: `g-${prefix}`, metrics });
    const got: string[] = [];
    reader.topic('pm.trade').subscribe((t) => got.push(t.id));
    const writer = testBus({ prefix, client });
    await writer.start();
    await reader.start();
    const [trade] = SAMPLES['pm.trade'];
    for (const id of ['a', 'b', 'a', 'c', 'b']) writer.publish('pm.trade', trade!.assetId, { ...trade!, id });
    await writer.flush();
    await waitFor(async () => ((await metrics.consumed.get()).values[0]?.value ?? 0) === 5, 30_000, 'all consumed');
    expect(got).toEqual(['a', 'b', 'c']);
    expect((await metrics.duplicates.get()).values[0]?.value).toBe(2);
  });

  it('hands state over on a rebalance: each member rebuilds its partitions, outputs continue once per input', async () => {
    const prefix = `rb-${randomUUID().slice(0, 8)}.`;
    await cluster.prepareTopics(prefix);
    const client = new MockClient({ baseURLs: ['mock://test'] });
    const group = `g-${prefix}`;
    // The "operator": a running count per key, published with each input (muted while rebuilding).
    const member = (metrics: KafkaMetrics): { bus: KafkaBus; counts: () => Map<string, number> } => {
      let counts = new Map<string, number>();
      let sub: { unsubscribe(): void } | undefined;
      const wire = (): void => {
        sub?.unsubscribe();
        counts = new Map();
        sub = bus.topic('pm.trade').subscribe((t) => {
          const n = (counts.get(t.assetId) ?? 0) + 1;
          counts.set(t.assetId, n);
          bus.publish('dlq.ingest', t.assetId, { source: t.assetId, reason: String(n), raw: t.id, ts: t.ts });
        });
      };
      const bus = testBus({ prefix, client, group, metrics, rebuild: { reset: wire } });
      wire();
      return { bus, counts: () => counts };
    };
    const m1 = new KafkaMetrics(new Registry());
    const m2 = new KafkaMetrics(new Registry());
    const a = member(m1);
    const writer = testBus({ prefix, client });
    const outputs: TopicTypes['dlq.ingest'][] = [];
    const reader = testBus({ prefix, client, group: `out-${prefix}` });
    reader.topic('dlq.ingest').subscribe((d) => outputs.push(d));
    await writer.start();
    await reader.start();
    await a.bus.start();
    const [trade] = SAMPLES['pm.trade'];
    const keys = Array.from({ length: 16 }, (_, i) => `asset-${i}`);
    const send = async (from: number, to: number): Promise<void> => {
      for (let seq = from; seq < to; seq++) for (const key of keys) writer.publish('pm.trade', key, { ...trade!, id: `${key}-${seq}`, assetId: key as never, ts: seq });
      await writer.flush();
    };
    await send(0, 10);
    await waitFor(() => outputs.length >= 160, 30_000, 'first half through a');

    const b = member(m2);
    await b.bus.start();
    await waitFor(async () => ((await m1.rebuilds.get()).values[0]?.value ?? 0) >= 2 && ((await m2.rebuilds.get()).values[0]?.value ?? 0) >= 1, 30_000, 'both rebuilt');
    await send(10, 20);
    await waitFor(() => outputs.length >= 320, 30_000, 'second half');
    // Every key counted 1..20 once, whichever member owned it when: the state moved with the partition.
    for (const key of keys) {
      expect(outputs.filter((o) => o.source === key).map((o) => Number(o.reason)).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    }
    expect(outputs).toHaveLength(320);
    const owned = (counts: Map<string, number>): string[] => [...counts].filter(([, n]) => n === 20).map(([k]) => k);
    expect(owned(a.counts()).length + owned(b.counts()).length).toBe(16);
    expect(owned(b.counts()).length).toBeGreaterThan(0);
  });

  it('lets a consumer on schema v1 read a record written with v2 (an added optional field), and v2 read v1', async () => {
    const prefix = `evo-${randomUUID().slice(0, 8)}.`;
    await cluster.prepareTopics(prefix);
    const client = new MockClient({ baseURLs: ['mock://test'] });
    const v1 = committedSchemaOf('signal.v1') as { fields: unknown[] };
    const v2 = { ...v1, fields: [...v1.fields, { name: 'note', type: ['null', 'string'], default: null, doc: 'added in v2' }] } as AvroSchema;
    const v2Of = (t: TopicName): AvroSchema => (t === 'signal.v1' ? v2 : committedSchemaOf(t));
    const [signal] = SAMPLES['signal.v1'];

    const writerV2 = testBus({ prefix, client, schemaOf: v2Of });
    const readerV1 = testBus({ prefix, client, group: `g1-${prefix}` });
    const got: unknown[] = [];
    readerV1.topic('signal.v1').subscribe((s) => got.push(s));
    await writerV2.start();
    await readerV1.start();
    writerV2.publish('signal.v1', signal!.assetId, { ...signal!, note: 'from v2' } as TopicTypes['signal.v1']);
    await writerV2.flush();
    await waitFor(() => got.length === 1, 30_000);
    expect(got[0]).toEqual(signal);

    const serdeV1 = new AvroTopicSerde({ client, schemaOf: committedSchemaOf, kafkaTopic: (t) => `${prefix}${t}` });
    const serdeV2 = new AvroTopicSerde({ client, schemaOf: v2Of, kafkaTopic: (t) => `${prefix}${t}` });
    const idV1 = await serdeV1.register('signal.v1');
    const idV2 = await serdeV2.register('signal.v1');
    expect(idV2).not.toBe(idV1);
    expect(await serdeV2.deserialize('signal.v1', await serdeV1.serialize('signal.v1', signal!))).toEqual({ ...signal!, note: null });
  });

  it('pauses consumption while its own publishes wait for acks, and commits only what was acknowledged', async () => {
    const prefix = `bp-${randomUUID().slice(0, 8)}.`;
    await cluster.prepareTopics(prefix);
    const client = new MockClient({ baseURLs: ['mock://test'] });
    const metrics = new KafkaMetrics(new Registry());
    const group = `g-${prefix}`;
    const worker = testBus({ prefix, client, group, metrics, maxBufferedRecords: 5, batchSize: 2 });
    // Each consumed trade fans out to 10 derived records: far more than 5 wait for acks at once.
    worker.topic('pm.trade').subscribe((t) => {
      for (let i = 0; i < 10; i++) worker.publish('dlq.ingest', 'fanout', { source: 'fanout', reason: String(i), raw: t.assetId, ts: t.ts });
    });
    const writer = testBus({ prefix, client });
    await writer.start();
    const [trade] = SAMPLES['pm.trade'];
    for (let i = 0; i < 50; i++) writer.publish('pm.trade', `asset-${i % 7}`, { ...trade!, id: `t-${i}`, ts: i });
    await writer.flush();
    await worker.start();
    const committedTotal = async (): Promise<number> => {
      const admin = createKafka({ brokers: [cluster.bootstrap], clientId: 'bp-admin' }).admin();
      await admin.connect();
      const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [`${prefix}pm.trade`] });
      await admin.disconnect();
      return (offsets?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    };
    await waitFor(async () => (await committedTotal()) === 50, 30_000, 'all input committed');
    // Committed input implies its derived records were acknowledged first.
    expect(worker.counts().acked.get('dlq.ingest')).toBe(500);
    expect((await metrics.pauses.get()).values[0]?.value ?? 0).toBeGreaterThan(0);
    expect((await metrics.paused.get()).values[0]?.value).toBe(0);
  });

  it('commits a trickle of input at most once per commitIntervalMs, and all of it in the end', async () => {
    const prefix = `ci-${randomUUID().slice(0, 8)}.`;
    await cluster.prepareTopics(prefix);
    const client = new MockClient({ baseURLs: ['mock://test'] });
    // Two groups read the same trickle: one commits after every batch, the other at most every 2 s.
    const workers = [0, 2_000].map((commitIntervalMs) => {
      const metrics = new KafkaMetrics(new Registry());
      const group = `g-${prefix}${commitIntervalMs}`;
      const worker = testBus({ prefix, client, group, metrics, commitIntervalMs });
      worker.topic('pm.trade').subscribe((t) => worker.publish('dlq.ingest', t.id, { source: 'trickle', reason: t.id, raw: t.assetId, ts: t.ts }));
      return { group, metrics, worker };
    });
    for (const { worker } of workers) await worker.start();
    const writer = testBus({ prefix, client });
    await writer.start();
    const [trade] = SAMPLES['pm.trade'];
    // One record a produce request, each consumed in a batch of its own.
    for (let i = 0; i < 20; i++) {
      writer.publish('pm.trade', 'asset-0', { ...trade!, id: `t-${i}`, ts: i });
      await writer.flush();
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const committed = async (group: string): Promise<number> => {
      const admin = createKafka({ brokers: [cluster.bootstrap], clientId: 'ci-admin' }).admin();
      await admin.connect();
      const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [`${prefix}pm.trade`] });
      await admin.disconnect();
      return (offsets?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    };
    for (const { group } of workers) await waitFor(async () => (await committed(group)) === 20, 30_000, `${group} committed the input`);
    const commits = await Promise.all(workers.map(async ({ metrics }) => (await metrics.commits.get()).values[0]?.value ?? 0));
    expect(workers.map(({ worker }) => worker.counts().acked.get('dlq.ingest'))).toEqual([20, 20]);
    expect(commits[0]).toBeGreaterThanOrEqual(10);
    // The first batch's commit at once, the rest together once the interval is up.
    expect(commits[1]).toBeGreaterThanOrEqual(1);
    expect(commits[1]).toBeLessThanOrEqual(2);
  });

  it('dead-letters a derived record its schema refuses (as JSON, with the reason) and commits the input once that is acknowledged', async () => {
    const prefix = `nack-${randomUUID().slice(0, 8)}.`;
    await cluster.prepareTopics(prefix);
    const client = new MockClient({ baseURLs: ['mock://test'] });
    const metrics = new KafkaMetrics(new Registry());
    const group = `g-${prefix}`;
    const worker = testBus({ prefix, client, group, metrics });
    // Per trade, a record its schema refuses (an operator's bug) and a valid one.
    worker.topic('pm.trade').subscribe((t) => {
      worker.publish('dlq.ingest', 'bad', { source: 'x', reason: 'y', raw: 'z', ts: Number.NaN });
      worker.publish('dlq.ingest', 'good', { source: 'x', reason: 'y', raw: t.assetId, ts: t.ts });
    });
    const writer = testBus({ prefix, client });
    await writer.start();
    const [trade] = SAMPLES['pm.trade'];
    writer.publish('pm.trade', trade!.assetId, trade!);
    await writer.flush();
    await worker.start();
    await waitFor(async () => ((await metrics.serdeErrors.get()).values[0]?.value ?? 0) >= 1, 30_000, 'serialize error');
    await expect(worker.flush()).resolves.toBeUndefined();

    const read = await readRaw(`nack-reader-${prefix}`, [`${prefix}dlq.ingest`, `${prefix}dlq.dlq.ingest`]);
    await waitFor(() => read.records(`${prefix}dlq.ingest`).length + read.records(`${prefix}dlq.dlq.ingest`).length === 2, 30_000, 'the valid record and the dead letter');
    await read.stop();
    expect(read.records(`${prefix}dlq.ingest`).map((m) => m.key)).toEqual(['good']);
    const [dead] = read.records(`${prefix}dlq.dlq.ingest`);
    expect(dead?.key).toBe('bad');
    expect(JSON.parse(dead?.value ?? '{}')).toEqual({ source: 'x', reason: 'y', raw: 'z', ts: null });
    expect(dead?.headers['polyflow-dlq-topic']).toBe('dlq.ingest');
    expect(dead?.headers['polyflow-dlq-reason']).toMatch(/dlq\.ingest: record does not match its schema: Invalid message at ts/);
    // The input is committed: nothing of it is lost (the record its schema refused is in the DLQ).
    const admin = createKafka({ brokers: [cluster.bootstrap], clientId: 'nack-admin' }).admin();
    await admin.connect();
    await waitFor(async () => {
      const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [`${prefix}pm.trade`] });
      return (offsets?.partitions ?? []).some((p) => Number(p.offset) >= 1);
    }, 30_000, 'input committed');
    await admin.disconnect();
  });

  it('reports its lag rising while a batch is stuck (a settle that does not end), from the broker', async () => {
    const prefix = `lag-${randomUUID().slice(0, 8)}.`;
    await cluster.prepareTopics(prefix);
    const client = new MockClient({ baseURLs: ['mock://test'] });
    const registry = new Registry();
    let unstick = (): void => undefined;
    const stuck = new Promise<void>((done) => (unstick = done));
    const reader = testBus({ prefix, client, group: `g-${prefix}`, metrics: new KafkaMetrics(registry), settle: () => stuck, lagProbeMs: 250 });
    let got = 0;
    reader.topic('pm.trade').subscribe(() => got++);
    const writer = testBus({ prefix, client });
    await writer.start();
    const [trade] = SAMPLES['pm.trade'];
    writer.publish('pm.trade', trade!.assetId, trade!);
    await writer.flush();
    await reader.start();
    await waitFor(() => got === 1, 30_000, 'the first trade');
    // The consumer sits in that batch's settle: the later records are not fetched, and only the broker can tell.
    for (let i = 0; i < 300; i++) writer.publish('pm.trade', trade!.assetId, { ...trade!, id: `t-${i}` });
    await writer.flush();
    const lag = async (): Promise<number> => ((await registry.getSingleMetric('polyflow_kafka_consumer_lag_records')?.get())?.values ?? []).reduce((n, v) => n + v.value, 0);
    await waitFor(async () => (await lag()) >= 300, 30_000, 'lag of the 300 records not consumed');
    expect(got).toBe(1);
    unstick();
    await waitFor(() => got === 301, 30_000, 'the rest once unstuck');
    await waitFor(async () => (await lag()) === 0, 30_000, 'lag back to 0');
  });
});

