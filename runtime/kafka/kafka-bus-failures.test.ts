// KafkaBus on a fake kafkajs client: what a failure costs. A record its schema refuses goes to the
// DLQ and the others are published; a send that fails for good stops the process (onFatal); a
// registry it cannot reach fails the batch without dead-lettering a valid record.
import { MockClient } from '@confluentinc/schemaregistry';
import type { Kafka, KafkaMessage, Message } from 'kafkajs';
import { Subject } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import type { AssetId } from '../../schemas/ids.js';
import type { Signal } from '../../schemas/signal.js';
import { SAMPLES } from '../../test/helpers/topic-samples.js';
import { PolyflowError } from '../errors.js';
import { AvroTopicSerde } from './avro-serde.js';
import { KafkaBus } from './kafka-bus.js';
import { committedSchemaOf } from './open-kafka-bus.js';

interface Sent {
  topic: string;
  messages: Message[];
}

function fakeKafka(sendBatch: (request: { topicMessages: Sent[] }) => Promise<void>): { kafka: Kafka; single: Sent[]; disconnected: () => boolean } {
  const single: Sent[] = [];
  let disconnected = false;
  const producer = {
    connect: async () => undefined,
    disconnect: async () => void (disconnected = true),
    sendBatch,
    send: async (request: Sent) => void single.push(request),
  };
  return { kafka: { producer: () => producer, consumer: () => ({}), admin: () => ({}) } as unknown as Kafka, single, disconnected: () => disconnected };
}

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
    const { kafka, single } = fakeKafka(async () => undefined);
    const unreachable = new PolyflowError('SCHEMA_REGISTRY_UNAVAILABLE', 'registry down', { retriable: true });
    const reader = { deserialize: () => Promise.reject(unreachable), deserializeReady: () => undefined } as unknown as AvroTopicSerde;
    const bus = new KafkaBus({ kafka, serde: reader, groupId: 'g' });
    const got: unknown[] = [];
    const subject = new Subject<unknown>();
    subject.subscribe((v) => got.push(v));
    const message = { key: Buffer.from(signal!.assetId), value: bytes, offset: '42', headers: {}, timestamp: '0', attributes: 0 } as KafkaMessage;
    const emit = (bus as unknown as { emit(topic: string, subject: Subject<unknown>, partition: number, message: KafkaMessage): Promise<void> }).emit.bind(bus);
    await expect(emit('signal.v1', subject, 0, message)).rejects.toBe(unreachable);
    expect(single).toEqual([]);
    expect(got).toEqual([]);
    // An undecodable value (not in the wire format) is the record's fault: dead-lettered, and the consumer goes on.
    const undecodable = new KafkaBus({ kafka, serde: writer, groupId: 'g' });
    const emitBad = (undecodable as unknown as { emit: typeof emit }).emit.bind(undecodable);
    await emitBad('signal.v1', subject, 3, { ...message, value: Buffer.from('{"not":"avro"}') });
    expect(single.map((s) => s.topic)).toEqual(['dlq.signal.v1']);
    expect(single[0]?.messages[0]?.headers).toMatchObject({ 'polyflow-dlq-partition': '3', 'polyflow-dlq-offset': '42', 'polyflow-dlq-topic': 'signal.v1' });
  });

  it('does not hand a record over twice when a batch fails midway and kafkajs fetches it again', async () => {
    const writer = serde();
    const bytes = await Promise.all([0, 1, 2].map((i) => writer.serialize('signal.v1', { ...signal!, id: `s${i}` })));
    const { kafka } = fakeKafka(async () => undefined);
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
    const resolved: string[] = [];
    const payload = (from: number) => ({
      batch: { topic: 'signal.v1', partition: 0, highWatermark: '3', messages: bytes.slice(from).map((value, i) => ({ key: null, value, offset: String(from + i), headers: {}, timestamp: '0', attributes: 0 })) },
      resolveOffset: (offset: string) => void resolved.push(offset),
      heartbeat: async () => undefined,
      isRunning: () => true,
      isStale: () => false,
    });
    const consume = (bus as unknown as { consume(p: unknown): Promise<void> }).consume.bind(bus);
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
    const { kafka } = fakeKafka(async ({ topicMessages }) => void batches.push(topicMessages));
    const codec = serde();
    const bus = new KafkaBus({ kafka, serde: codec, groupId: 'g', publishOrder: true });
    const got: string[] = [];
    bus.topic('signal.v1').subscribe((v) => got.push(v.id));
    bus.publish('signal.v1', signal!.assetId, { ...signal!, edge: 'wide' } as unknown as Signal);
    bus.publish('signal.v1', other.assetId, other);
    await bus.flush();
    // The valid one comes back from the broker, carrying its place in the publish order.
    const [good] = batches.flat().find((t) => t.topic === 'signal.v1')?.messages ?? [];
    const value = await codec.deserialize('signal.v1', good?.value as Buffer);
    const deliver = (bus as unknown as { deliver(topic: string, subject: unknown, message: KafkaMessage, value: unknown): void }).deliver.bind(bus);
    const subject = (bus as unknown as { subjects: Map<string, unknown> }).subjects.get('signal.v1');
    deliver('signal.v1', subject, { ...good, offset: '0', timestamp: '0', attributes: 0 } as unknown as KafkaMessage, value);
    expect(got).toEqual([other.id]);
  });
});

