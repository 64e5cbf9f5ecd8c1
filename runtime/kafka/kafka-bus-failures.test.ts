// KafkaBus on a fake kafkajs client: what a failure costs. A record its schema refuses goes to the
// DLQ and the others are published; a send that fails for good stops the process (onFatal); a
// registry it cannot reach fails the batch without dead-lettering a valid record.
import { MockClient } from '@confluentinc/schemaregistry';
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import type { AssetId } from '../../schemas/ids.js';
import type { Signal } from '../../schemas/signal.js';
import { fakeKafka, fetchedBatch, type Batch, type Sent } from '../../test/helpers/fake-kafka.js';
import { SAMPLES } from '../../test/helpers/topic-samples.js';
import { PolyflowError } from '../errors.js';
import { AvroTopicSerde } from './avro-serde.js';
import { KafkaBus } from './kafka-bus.js';
import { committedSchemaOf } from './open-kafka-bus.js';

/** A batch of `signal.v1` partition `partition` holding `messages`, whose resolved offsets go to `resolved`. */
const batchOf = (messages: KafkaMessage[], partition = 0, resolved: string[] = []): Batch => fetchedBatch('signal.v1', partition, messages, resolved);

/** A consumed record of `value` at `offset`. */
const consumed = (value: Buffer, offset: string, headers: KafkaMessage['headers'] = {}): KafkaMessage =>
  ({ key: Buffer.from(signal!.assetId), value, offset, headers, timestamp: '0', attributes: 0 }) as KafkaMessage;

const serde = (): AvroTopicSerde => new AvroTopicSerde({ client: new MockClient({ baseURLs: ['mock://'] }), schemaOf: committedSchemaOf });
const [signal] = SAMPLES['signal.v1'];
const other: Signal = { ...signal!, id: `${signal!.id}-2`, assetId: `${signal!.assetId}2` as AssetId };

describe('KafkaBus failures', () => {
  it('sends a record its schema refuses to the DLQ with the reason, and publishes the others', async () => {
    const batches: Sent[][] = [];
    const { kafka } = fakeKafka(async ({ topicMessages }) => void batches.push(topicMessages));
    const bus = new KafkaBus({ kafka, serde: serde(), topicPrefix: 'p.' });
    bus.publish('signal.v1', signal!.assetId, signal!);
    bus.publish('signal.v1', signal!.assetId, { ...signal!, edge: 'wide' } as unknown as Signal);
    bus.publish('signal.v1', other.assetId, other);
    await bus.flush();
    const sent = batches.flat();
    expect(sent.find((t) => t.topic === 'p.signal.v1')?.messages.map((m) => m.key)).toEqual([signal!.assetId, other.assetId]);
    const dead = sent.filter((t) => t.topic === 'p.dlq.signal.v1').flatMap((t) => t.messages);
    expect(dead).toHaveLength(1);
    expect(JSON.parse(String(dead[0]?.value))).toMatchObject({ id: signal!.id, edge: 'wide' });
    expect(dead[0]?.headers).toMatchObject({ 'polyflow-dlq-topic': 'signal.v1', 'polyflow-dlq-reason': expect.stringMatching(/signal\.v1: record does not match its schema: Invalid message at edge/) });
    expect(bus.counts().acked.get('signal.v1')).toBe(2);
    // The bus goes on.
    bus.publish('signal.v1', other.assetId, other);
    await expect(bus.flush()).resolves.toBeUndefined();
  });

  it('tells onFatal when a send fails for good: nothing more can be published or committed', async () => {
    const { kafka, disconnected } = fakeKafka(() => Promise.reject(new Error('broker down')));
    const onFatal = vi.fn();
    const bus = new KafkaBus({ kafka, serde: serde(), onFatal });
    bus.publish('signal.v1', signal!.assetId, signal!);
    await expect(bus.flush()).rejects.toThrow('broker down');
    expect(onFatal).toHaveBeenCalledTimes(1);
    expect(String(onFatal.mock.calls[0]?.[0])).toMatch(/broker down/);
    // Closing reports the failure, and still disconnects the producer.
    await expect(bus.close()).rejects.toThrow('broker down');
    expect(disconnected()).toBe(true);
  });

  it('fails the batch, dead-lettering nothing, when the registry cannot be reached for a valid record', async () => {
    const writer = serde();
    const bytes = await writer.serialize('signal.v1', signal!);
    const { kafka, single, consume } = fakeKafka(async () => undefined);
    const unreachable = new PolyflowError('SCHEMA_REGISTRY_UNAVAILABLE', 'registry down', { retriable: true });
    const reader = { deserialize: () => Promise.reject(unreachable), deserializeReady: () => undefined } as unknown as AvroTopicSerde;
    const bus = new KafkaBus({ kafka, serde: reader, groupId: 'g' });
    const got: unknown[] = [];
    bus.topic('signal.v1').subscribe((v) => got.push(v));
    await bus.start();
    await expect(consume(batchOf([consumed(bytes, '42')]))).rejects.toBe(unreachable);
    expect(single).toEqual([]);
    expect(got).toEqual([]);
    // An undecodable value (not in the wire format) is the record's fault: dead-lettered, and the consumer goes on.
    const bad = fakeKafka(async () => undefined, { 'signal.v1': [3] });
    const undecodable = new KafkaBus({ kafka: bad.kafka, serde: writer, groupId: 'g' });
    undecodable.topic('signal.v1').subscribe((v) => got.push(v));
    await undecodable.start();
    await bad.consume(batchOf([consumed(Buffer.from('{"not":"avro"}'), '42')], 3));
    expect(got).toEqual([]);
    const { single: deadLetters } = bad;
    expect(deadLetters.map((s) => s.topic)).toEqual(['dlq.signal.v1']);
    expect(deadLetters[0]?.messages[0]?.headers).toMatchObject({ 'polyflow-dlq-partition': '3', 'polyflow-dlq-offset': '42', 'polyflow-dlq-topic': 'signal.v1' });
  });

  it('does not hand a record over twice when a batch fails midway and kafkajs fetches it again', async () => {
    const writer = serde();
    const bytes = await Promise.all([0, 1, 2].map((i) => writer.serialize('signal.v1', { ...signal!, id: `s${i}` })));
    const { kafka, consume } = fakeKafka(async () => undefined);
    let registryUp = false;
    // The third record needs the registry, which is down the first time.
    const reader = {
      deserializeReady: (_topic: string, payload: Buffer) => (payload === bytes[2] ? undefined : writer.deserializeReady('signal.v1', payload)),
      deserialize: (_topic: string, payload: Buffer) =>
        registryUp ? writer.deserialize('signal.v1', payload) : Promise.reject(new PolyflowError('SCHEMA_REGISTRY_UNAVAILABLE', 'registry down', { retriable: true })),
    } as unknown as AvroTopicSerde;
    await writer.deserialize('signal.v1', bytes[0]!);
    const bus = new KafkaBus({ kafka, serde: reader, groupId: 'g' });
    const got: string[] = [];
    bus.topic('signal.v1').subscribe((v) => got.push(v.id));
    await bus.start();
    const resolved: string[] = [];
    const payload = (from: number): Batch => batchOf(bytes.slice(from).map((value, i) => consumed(value, String(from + i))), 0, resolved);
    await expect(consume(payload(0))).rejects.toThrow('registry down');
    expect(got).toEqual(['s0', 's1']);
    // The records handed over are resolved: kafkajs fetches again from the one that failed.
    expect(resolved).toEqual(['1']);
    registryUp = true;
    await consume(payload(2));
    expect(got).toEqual(['s0', 's1', 's2']);
  });

  it('in publish order, gives up the place of a record its schema refused, so the records after it are not held for it', async () => {
    const batches: Sent[][] = [];
    const { kafka, consume } = fakeKafka(async ({ topicMessages }) => void batches.push(topicMessages));
    const codec = serde();
    const bus = new KafkaBus({ kafka, serde: codec, groupId: 'g', publishOrder: true });
    const got: string[] = [];
    bus.topic('signal.v1').subscribe((v) => got.push(v.id));
    await bus.start();
    bus.publish('signal.v1', signal!.assetId, { ...signal!, edge: 'wide' } as unknown as Signal);
    bus.publish('signal.v1', other.assetId, other);
    await bus.flush();
    // The valid one comes back from the broker, carrying its place in the publish order.
    const [good] = batches.flat().find((t) => t.topic === 'signal.v1')?.messages ?? [];
    expect(got).toEqual([]);
    await consume(batchOf([consumed(good?.value as Buffer, '0', good?.headers as KafkaMessage['headers'])]));
    expect(got).toEqual([other.id]);
  });
});

