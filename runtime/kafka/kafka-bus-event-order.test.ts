// KafkaBus in ingest's order (trade: eventOrder) on a fake kafkajs client: the input time it gives
// the operators waits for every partition of every merged topic, the resolutions' too; while it
// rebuilds, what a move of that time gives is muted only if every partition it depends on still
// rebuilds; and a book waits for the predictions' first markers however long that takes.
import { MockClient } from '@confluentinc/schemaregistry';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import { fakeKafka, fetchedBatch, type Batch, type Sent } from '../../test/helpers/fake-kafka.js';
import type { Logger } from '../logger.js';
import { SAMPLES } from '../../test/helpers/topic-samples.js';
import { AvroTopicSerde } from './avro-serde.js';
import { ORDER_HEADER, PROGRESS_HEADER, TIME_HEADER } from './ingest-order.js';
import { KafkaBus } from './kafka-bus.js';
import type { KafkaBusOptions } from './kafka-bus-options.js';
import { committedSchemaOf } from './open-kafka-bus.js';

const EPOCH = 1_700_000_000_000;
const [signal] = SAMPLES['signal.v1'];

/** A batch of one progress marker at `time`, stamped after ingest's `g`-th record, at `offset` of a partition. */
function markerBatch(topic: string, partition: number, offset: number, time: number, g: number): Batch {
  const headers = { [PROGRESS_HEADER]: Buffer.from(String(time)), [ORDER_HEADER]: Buffer.from(`${EPOCH}:${g}:0`) };
  const message = { key: null, value: null, offset: String(offset), headers, timestamp: '0', attributes: 0 } as unknown as KafkaMessage;
  return fetchedBatch(topic, partition, [message]);
}

const newSerde = (): AvroTopicSerde => new AvroTopicSerde({ client: new MockClient({ baseURLs: ['mock://'] }), schemaOf: committedSchemaOf });

/** A bus shaped as a trade process's (active/standby; the books and resolutions in ingest's order, each book awaiting the predictions), its input topics subscribed. */
function tradeBus(kafka: Kafka, serde: AvroTopicSerde, opts: Pick<KafkaBusOptions, 'orderWaitMs' | 'rebuild' | 'logger'> & { waitMs?: number } = {}): KafkaBus {
  const { waitMs = 60_000, ...rest } = opts;
  const bus = new KafkaBus({
    kafka,
    serde,
    groupId: 'trade',
    assignment: 'active-standby',
    eventOrder: { topic: 'pm.book', alongside: ['pm.resolution'], awaiting: 'prediction.v1', waitMs },
    ...rest,
  });
  for (const topic of ['pm.book', 'pm.resolution', 'prediction.v1'] as const) bus.topic(topic).subscribe();
  return bus;
}

describe('KafkaBus in ingest order', () => {
  it('moves the input time only once every partition of the books, the resolutions and the predictions has progressed', async () => {
    const partitions = { 'pm.book': 2, 'pm.trade': 2, 'features.v1': 2, 'prediction.v1': 2, 'pm.resolution': 1 };
    const assignment = { 'pm.book': [0, 1], 'pm.resolution': [0], 'prediction.v1': [0, 1] };
    const { kafka, consume } = fakeKafka(async () => undefined, assignment, partitions);
    const bus = tradeBus(kafka, newSerde());
    const times: number[] = [];
    bus.inputProgress().subscribe((t) => times.push(t));
    await bus.start();

    await consume(markerBatch('prediction.v1', 0, 0, 9_000, 0));
    await consume(markerBatch('prediction.v1', 1, 0, 9_000, 0));
    await consume(markerBatch('pm.book', 0, 0, 5_000, 7));
    await consume(markerBatch('pm.book', 1, 0, 5_000, 7));
    // Every book partition is marked to 5 s, but the resolutions' partition is not yet: a
    // resolution received before 5 s may still come, and what is due after it must wait.
    expect(times).toEqual([]);
    await consume(markerBatch('pm.resolution', 0, 0, 5_000, 7));
    expect(times).toEqual([5_000]);
    await bus.close();
  });

  it('while it rebuilds, publishes what a move of the input time gives once any partition it depends on is past its rebuild bound: the resolutions\' too', async () => {
    const partitions = { 'pm.book': 1, 'pm.trade': 1, 'features.v1': 1, 'prediction.v1': 1, 'pm.resolution': 1 };
    const assignment = { 'pm.book': [0], 'pm.resolution': [0], 'prediction.v1': [0] };
    // The group committed the books and predictions up to offset 10, the resolutions up to 0: a
    // rebuild re-reads the first ten of each, muted; a resolution marker is new input.
    const offsets = { high: { 'pm.book': 20, 'pm.resolution': 20, 'prediction.v1': 20 }, committed: { 'pm.book': 10, 'pm.resolution': 0, 'prediction.v1': 10 } };
    const sent: Sent[] = [];
    const { kafka, consume } = fakeKafka(async ({ topicMessages }) => void sent.push(...topicMessages), assignment, partitions, offsets);
    const bus = tradeBus(kafka, newSerde(), { rebuild: { reset: () => undefined } });
    // What the operators publish for a new input time (trade's signals, in the pipeline).
    bus.inputProgress().subscribe((t) => bus.publish('signal.v1', signal!.assetId, { ...signal!, id: `at-${t}` }));
    await bus.start();
    await new Promise((resolve) => setTimeout(resolve, 50));

    await consume(markerBatch('prediction.v1', 0, 0, 9_000, 0));
    await consume(markerBatch('pm.book', 0, 0, 5_000, 7));
    // Both below their rebuild bound: only the resolutions hold the time back.
    await consume(markerBatch('pm.resolution', 0, 0, 5_000, 7));
    await bus.flush();
    // The resolutions' partition is live: the run before this one never got that far, so what the
    // move gives is published (muted, it would be lost).
    expect(sent.filter((t) => t.topic === 'signal.v1').flatMap((t) => t.messages)).toHaveLength(1);
    await bus.close();
  });

  it('holds the books, past its wait, until every partition of the predictions has been marked once (a trade started before predict)', async () => {
    const partitions = { 'pm.book': 2, 'pm.trade': 2, 'features.v1': 2, 'prediction.v1': 2, 'pm.resolution': 1 };
    const assignment = { 'pm.book': [0, 1], 'pm.resolution': [0], 'prediction.v1': [0, 1] };
    const { kafka, consume, fetchStarted } = fakeKafka(async () => undefined, assignment, partitions);
    const serde = newSerde();
    const warn = vi.fn();
    const bus = tradeBus(kafka, serde, { orderWaitMs: 1, waitMs: 1, logger: { warn, info: () => undefined, debug: () => undefined, error: () => undefined } as unknown as Logger });
    const books: string[] = [];
    bus.topic('pm.book').subscribe((b) => books.push(b.assetId));
    await bus.start();
    const book = SAMPLES['pm.book'][0]!;
    const bytes = await serde.serialize('pm.book', book);
    const headers = { [ORDER_HEADER]: Buffer.from(`${EPOCH}:0:0`), [TIME_HEADER]: Buffer.from(String(book.recvTs)) };
    const message = { key: Buffer.from(book.assetId), value: bytes, offset: '0', headers, timestamp: '0', attributes: 0 } as unknown as KafkaMessage;
    await consume(fetchedBatch('pm.book', 0, [message]));
    await consume(markerBatch('pm.book', 1, 0, book.recvTs, 0));
    await consume(markerBatch('pm.resolution', 0, 0, book.recvTs, 0));
    // The book is next in ingest's order; no prediction partition has a marker yet. Its wait (1 ms)
    // runs out many times over, with fetches from the broker going on.
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      fetchStarted();
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(books).toEqual([]);
    // It says why, once for the whole wait (at most every 30 s).
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[1]).toMatch(/holding the books until every prediction\.v1 partition has a progress marker \(is predict running/);
    // One partition marked: still unknown.
    await consume(markerBatch('prediction.v1', 0, 0, book.recvTs - 10, 0));
    fetchStarted();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(books).toEqual([]);
    // Both marked, though short of the book's time: now the wait may run out, and the book goes.
    await consume(markerBatch('prediction.v1', 1, 0, book.recvTs - 10, 0));
    for (let i = 0; i < 3 && books.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      fetchStarted();
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(books).toEqual([book.assetId]);
    await bus.close();
  });
});
