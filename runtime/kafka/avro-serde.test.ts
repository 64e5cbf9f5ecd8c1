import { AvroDeserializer, AvroSerializer, MockClient, SerdeType } from '@confluentinc/schemaregistry';
import { describe, expect, it } from 'vitest';
import { bookUpdateFromAvro, bookUpdateToAvro, type BookUpdateAvro } from '../../schemas/avro-types.js';
import type { BookUpdate } from '../../schemas/book-update.js';
import { TOPIC_NAMES, type TopicName, type TopicTypes } from '../../schemas/topics.js';
import { SAMPLES } from '../../test/helpers/topic-samples.js';
import { AvroTopicSerde, SerdeError } from './avro-serde.js';
import { committedSchemaOf } from './open-kafka-bus.js';
import { valueSubject } from './schema-registry.js';

const serdeOn = (client: MockClient): AvroTopicSerde => new AvroTopicSerde({ client, schemaOf: committedSchemaOf, kafkaTopic: (t) => `x.${t}` });

describe('AvroTopicSerde', () => {
  it.each(TOPIC_NAMES)('%s: writes what the package AvroSerializer writes, and its AvroDeserializer reads it back', async (topic) => {
    const client = new MockClient({ baseURLs: ['mock://'] });
    const serde = serdeOn(client);
    const id = await serde.register(topic);
    const reference = new AvroSerializer(client, SerdeType.VALUE, { useSchemaId: id, autoRegisterSchemas: false, wrapUnions: 'never', omitRecordMethods: true });
    const reader = new AvroDeserializer(client, SerdeType.VALUE, { wrapUnions: 'never', omitRecordMethods: true });
    for (const sample of SAMPLES[topic] as TopicTypes[TopicName][]) {
      const asAvro: unknown = topic === 'pm.book' ? bookUpdateToAvro(sample as BookUpdate) : sample;
      const ours = await serde.serialize(topic, sample);
      expect(ours).toEqual(await reference.serialize(`x.${topic}`, asAvro));
      expect(ours.readInt32BE(1)).toBe(id);
      const read: unknown = await reader.deserialize(`x.${topic}`, ours);
      expect(topic === 'pm.book' ? bookUpdateFromAvro(read as BookUpdateAvro) : { ...(read as object) }).toStrictEqual(sample);
      expect(serde.serializeReady(topic, sample)).toEqual(ours);
    }
  });

  it('serializes synchronously once the topic schema is registered, and deserializes once the writer schema is resolved', async () => {
    const serde = serdeOn(new MockClient({ baseURLs: ['mock://'] }));
    const [prediction] = SAMPLES['prediction.v1'];
    expect(serde.serializeReady('prediction.v1', prediction!)).toBeUndefined();
    const first = await serde.serialize('prediction.v1', prediction!);
    const bytes = serde.serializeReady('prediction.v1', prediction!);
    expect(bytes).toEqual(first);
    // Reading: synchronous once the record's writer schema was resolved by one deserialize.
    expect(serde.deserializeReady('prediction.v1', bytes!)).toBeUndefined();
    expect(await serde.deserialize('prediction.v1', bytes!)).toStrictEqual(prediction);
    expect(serde.deserializeReady('prediction.v1', bytes!)).toStrictEqual(prediction);
    expect(() => serde.deserializeReady('prediction.v1', Buffer.from('{"json":1}'))).toThrow(/not Confluent wire format/);
  });

  it('writes a record larger than its scratch buffer whole, and the records after it too', async () => {
    const client = new MockClient({ baseURLs: ['mock://'] });
    const serde = serdeOn(client);
    const id = await serde.register('pm.book');
    const reference = new AvroSerializer(client, SerdeType.VALUE, { useSchemaId: id, autoRegisterSchemas: false, wrapUnions: 'never', omitRecordMethods: true });
    const snapshot = SAMPLES['pm.book'].find((u) => u.kind === 'snapshot') as Extract<BookUpdate, { kind: 'snapshot' }>;
    const level = snapshot.bids[0]!;
    // ~20,000 levels: about 100 KB of Avro, above the 64 KB the serde starts with.
    const huge: BookUpdate = { ...snapshot, bids: Array.from({ length: 20_000 }, (_, i) => ({ ...level, size: (level.size + i) as typeof level.size })) };
    const bytes = await serde.serialize('pm.book', huge);
    expect(bytes.length).toBeGreaterThan(64 * 1024);
    expect(bytes).toEqual(await reference.serialize('x.pm.book', bookUpdateToAvro(huge)));
    expect(await serde.deserialize('pm.book', bytes)).toStrictEqual(huge);
    expect(await serde.serialize('pm.book', snapshot)).toEqual(await reference.serialize('x.pm.book', bookUpdateToAvro(snapshot)));
  });

  it('refuses a record that breaks its schema, naming the field', async () => {
    const client = new MockClient({ baseURLs: ['mock://'] });
    const serde = serdeOn(client);
    const [prediction] = SAMPLES['prediction.v1'];
    const broken = { ...prediction!, pModel: 'high' } as unknown as TopicTypes['prediction.v1'];
    await expect(serde.serialize('prediction.v1', broken)).rejects.toThrow(SerdeError);
    await expect(serde.serialize('prediction.v1', broken)).rejects.toThrow(/prediction\.v1: record does not match its schema: Invalid message at pModel, expected "double", got "high"/);
    expect(await client.getAllSubjects()).toEqual([valueSubject('x.prediction.v1')]);
  });

  it('tells a registry it cannot reach (retriable, not the record) from a writer schema id the registry does not know (undecodable)', async () => {
    const client = new MockClient({ baseURLs: ['mock://'] });
    const [prediction] = SAMPLES['prediction.v1'];
    const bytes = await serdeOn(client).serialize('prediction.v1', prediction!);
    let down = true;
    const flaky = new Proxy(client, {
      get(target, name, receiver) {
        if (name === 'getBySubjectAndId' && down) return () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:8081'));
        return Reflect.get(target, name, receiver) as unknown;
      },
    });
    const reader = new AvroTopicSerde({ client: flaky, schemaOf: committedSchemaOf, kafkaTopic: (t) => `x.${t}` });
    const outage = await reader.deserialize('prediction.v1', bytes).catch((err: unknown) => err);
    expect(outage).not.toBeInstanceOf(SerdeError);
    expect(outage).toMatchObject({ code: 'SCHEMA_REGISTRY_UNAVAILABLE', retriable: true });
    expect(String(outage)).toMatch(/could not fetch writer schema id \d+ from the schema registry: connect ECONNREFUSED/);
    // Not remembered: once the registry answers, the same record reads.
    down = false;
    expect(await reader.deserialize('prediction.v1', bytes)).toStrictEqual(prediction);

    // An id the registry does not have (404): the record cannot be read, ever.
    const unknown = Buffer.from(bytes);
    unknown.writeInt32BE(999, 1);
    const missing = await reader.deserialize('prediction.v1', unknown).catch((err: unknown) => err);
    expect(missing).toBeInstanceOf(SerdeError);
    expect(String(missing)).toMatch(/writer schema id 999 unknown to the schema registry/);
  });
});

