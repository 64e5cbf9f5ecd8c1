import { MockClient } from '@confluentinc/schemaregistry';
import type { KafkaMessage } from 'kafkajs';
import { Subject } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import type { TopicName } from '../../schemas/topics.js';
import { SAMPLES } from '../../test/helpers/topic-samples.js';
import { AvroTopicSerde, SerdeError } from './avro-serde.js';
import { committedSchemaOf } from './open-kafka-bus.js';
import { consumedMessage } from '../../test/helpers/fake-kafka.js';
import { PublishMute } from './publish-mute.js';
import { PublishOrder } from './publish-order.js';
import { RecordDelivery, type Held, type RecordDeliveryOptions } from './record-delivery.js';

const message = (value: Buffer | null, offset: number, seq?: number): KafkaMessage => consumedMessage({ value, offset, headers: seq === undefined ? {} : { 'polyflow-seq': Buffer.from(String(seq)) } });

function deliveryOf(overrides: Partial<RecordDeliveryOptions> = {}): { delivery: RecordDelivery; subjects: Map<TopicName, Subject<unknown>>; serde: AvroTopicSerde; seen: unknown[]; deadLetter: ReturnType<typeof vi.fn> } {
  const serde = new AvroTopicSerde({ client: new MockClient({ baseURLs: ['mock://'] }), schemaOf: committedSchemaOf });
  const subjects = new Map<TopicName, Subject<unknown>>([['prediction.v1', new Subject<unknown>()]]);
  const seen: unknown[] = [];
  subjects.get('prediction.v1')?.subscribe((v) => seen.push(v));
  const deadLetter = vi.fn(() => Promise.resolve());
  const delivery = new RecordDelivery({ serde, subjects, order: undefined, mute: new PublishMute(), deadLetter, dedupeCapacity: 100, ...overrides });
  return { delivery, subjects, serde, seen, deadLetter };
}

const first = SAMPLES['prediction.v1'][0];
const second = first === undefined ? undefined : { ...first, id: `${first.id}-2` };

describe('RecordDelivery', () => {
  it('decodes a schema’s first record with a promise and the next ones without, counting what it hands over', async () => {
    const { delivery, subjects, serde, seen } = deliveryOf();
    const subject = subjects.get('prediction.v1') as Subject<unknown>;
    const bytes = [await serde.serialize('prediction.v1', first!), await serde.serialize('prediction.v1', second!)];
    expect(delivery.deliverReady('prediction.v1', subject, message(bytes[0]!, 0))).toBe(false);
    await delivery.decodeAndDeliver('prediction.v1', subject, 0, message(bytes[0]!, 0));
    expect(delivery.deliverReady('prediction.v1', subject, message(bytes[1]!, 1))).toBe(true);
    expect(seen).toStrictEqual([first, second]);
    delivery.counted('prediction.v1', 2);
    delivery.counted('prediction.v1', 0);
    expect(delivery.received.get('prediction.v1')).toBe(2);
  });

  it('drops a redelivered id until the ids are forgotten, and tells a local record the operators had', async () => {
    const { delivery, subjects, serde, seen } = deliveryOf();
    const subject = subjects.get('prediction.v1') as Subject<unknown>;
    const bytes = await serde.serialize('prediction.v1', first!);
    await delivery.decodeAndDeliver('prediction.v1', subject, 0, message(bytes, 0));
    expect(delivery.deliverReady('prediction.v1', subject, message(bytes, 1))).toBe(true);
    expect(seen).toHaveLength(1);
    expect(delivery.repeated('prediction.v1', first)).toBe(true);
    expect(delivery.repeated('prediction.v1', second)).toBe(false);
    delivery.forgetIds();
    delivery.deliverReady('prediction.v1', subject, message(bytes, 2));
    expect(seen).toStrictEqual([first, first]);
    delivery.deliverLocal('prediction.v1', second);
    delivery.deliverLocal('signal.v1', second);
    expect(seen).toStrictEqual([first, first, second]);
    expect(delivery.received.get('prediction.v1')).toBe(1);
  });

  it('dead-letters an undecodable record unless it only rebuilds state, and frees its place in publish order', async () => {
    const mute = new PublishMute();
    const order = new PublishOrder<Held>(() => true);
    const { delivery, subjects, serde, seen, deadLetter } = deliveryOf({ order, mute });
    const subject = subjects.get('prediction.v1') as Subject<unknown>;
    const [bad, good] = [order.assign('prediction.v1'), order.assign('prediction.v1')];
    const bytes = await serde.serialize('prediction.v1', first!);
    // The later record waits for the earlier one's place.
    await delivery.decodeAndDeliver('prediction.v1', subject, 3, message(bytes, 8, good));
    expect(seen).toHaveLength(0);
    await delivery.decodeAndDeliver('prediction.v1', subject, 3, message(Buffer.from('not avro'), 7, bad));
    expect(seen).toStrictEqual([first]);
    expect(deadLetter).toHaveBeenCalledTimes(1);
    expect(deadLetter.mock.calls[0]?.slice(0, 2)).toEqual(['prediction.v1', 3]);
    expect(deadLetter.mock.calls[0]?.[3]).toBeInstanceOf(SerdeError);
    mute.on = true;
    await delivery.decodeAndDeliver('prediction.v1', subject, 3, message(Buffer.from('not avro'), 9));
    expect(deadLetter).toHaveBeenCalledTimes(1);
  });

  it('fails the batch when the registry cannot be asked (not the record’s fault: it is fetched again)', async () => {
    const client = new MockClient({ baseURLs: ['mock://'] });
    const bytes = await new AvroTopicSerde({ client, schemaOf: committedSchemaOf }).serialize('prediction.v1', first!);
    vi.spyOn(client, 'getBySubjectAndId').mockRejectedValue(new Error('registry unreachable'));
    const { delivery, subjects, deadLetter } = deliveryOf({ serde: new AvroTopicSerde({ client, schemaOf: committedSchemaOf }) });
    await expect(delivery.decodeAndDeliver('prediction.v1', subjects.get('prediction.v1') as Subject<unknown>, 0, message(bytes, 0))).rejects.toThrow(/registry unreachable/);
    expect(deadLetter).not.toHaveBeenCalled();
  });
});
