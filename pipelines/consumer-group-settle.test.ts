// A consumer group's settle before it commits (settleBeforeCommit), with predict on a KafkaBus over a
// fake kafkajs client: no vector is committed, nor muted by a rebuild, while its prediction still
// waits in a scoring batch.
import { MockClient } from '@confluentinc/schemaregistry';
import type { KafkaMessage } from 'kafkajs';
import { asyncScheduler, type Subscription } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import type { BatchScorer } from '../operators/score-batches.js';
import { loadConfig } from '../runtime/config.js';
import { InFlight } from '../runtime/in-flight.js';
import { AvroTopicSerde } from '../runtime/kafka/avro-serde.js';
import { KafkaBus } from '../runtime/kafka/kafka-bus.js';
import { committedSchemaOf } from '../runtime/kafka/open-kafka-bus.js';
import { PipelineMetrics } from '../runtime/metrics.js';
import { FEATURE_SPEC } from '../schemas/feature-spec.js';
import type { FeatureVector } from '../schemas/feature-vector.js';
import type { AssetId } from '../schemas/ids.js';
import { fakeKafka, fetchedBatch, type FakeOffsets, type Sent } from '../test/helpers/fake-kafka.js';
import { SAMPLES } from '../test/helpers/topic-samples.js';
import { settleBeforeCommit } from './consumer-groups.js';
import { predictPipeline } from './predict.js';

const scorer: BatchScorer = { modelVersion: 'fake-1', spec: FEATURE_SPEC, score: (_rows, n) => Promise.resolve(new Float32Array(n).fill(0.5)) };
/** A vector of its own asset (each passes the score throttle). */
const vectorOf = (asset: string): FeatureVector => ({ ...SAMPLES['features.v1'][0]!, id: `${asset}:1`, assetId: asset as AssetId });

/**
 * A predict consumer group's process on a fake client: the bus, with the process's settle, its
 * graph re-subscribed on every assignment, and batches of a minute's wait (`maxBatch` vectors at most).
 */
async function predictProcess(partitions: number, offsets: FakeOffsets, maxBatch: number) {
  const sent: Sent[] = [];
  const assigned = Array.from({ length: partitions }, (_, p) => p);
  const { kafka, commits, consume } = fakeKafka(async ({ topicMessages }) => void sent.push(...topicMessages), { 'features.v1': assigned }, { 'features.v1': partitions }, offsets);
  const serde = new AvroTopicSerde({ client: new MockClient({ baseURLs: ['mock://'] }), schemaOf: committedSchemaOf });
  const inFlight = new InFlight();
  const config = loadConfig({ env: { POLYFLOW_SCORING_MAX_WAIT_MS: '60000', POLYFLOW_SCORING_MAX_BATCH: String(maxBatch) } });
  let graph: Subscription | undefined;
  const wire = (): void => {
    graph?.unsubscribe();
    graph = predictPipeline(bus, config, { scorer, scheduler: asyncScheduler, inFlight, metrics: new PipelineMetrics() });
  };
  const bus: KafkaBus = new KafkaBus({ kafka, serde, groupId: 'predict', settle: settleBeforeCommit(inFlight), rebuild: { reset: wire } });
  wire();
  await bus.start();
  // The assignment's rebuild (planned from the fake admin's offsets) settles.
  await new Promise((resolve) => setTimeout(resolve, 50));
  return {
    commits,
    /** Hands the bus a batch of these vectors at consecutive offsets from `offset`. */
    consume: async (partition: number, offset: number, vectors: readonly FeatureVector[]) => {
      const messages = await Promise.all(
        vectors.map(async (v, i) => ({ key: Buffer.from(v.assetId), value: await serde.serialize('features.v1', v), offset: String(offset + i), headers: {}, timestamp: '0', attributes: 0 }) as unknown as KafkaMessage),
      );
      await consume(fetchedBatch('features.v1', partition, messages));
    },
    /** The predictions sent once what was published is out, decoded. */
    predictions: async () => {
      await bus.flush();
      return Promise.all(sent.filter((s) => s.topic === 'prediction.v1').flatMap((s) => s.messages.map(async (m) => (await serde.deserialize('prediction.v1', m.value as Buffer)) as { id: string; dueTs: number })));
    },
    close: async () => {
      graph?.unsubscribe();
      await bus.close();
    },
  };
}

describe('settleBeforeCommit', () => {
  it("holds predict's commit of a vector until the batch it waits in is scored and its prediction sent", async () => {
    const predict = await predictProcess(1, {}, 256);
    const vector = vectorOf('a');
    await predict.consume(0, 7, [vector]);
    await vi.waitFor(() => expect(predict.commits.length).toBeGreaterThan(0));
    // A batch waits a minute to fill: without the settle's hand-on the offset went out long before it.
    expect(await predict.predictions()).toEqual([expect.objectContaining({ id: `pred:${vector.id}`, dueTs: vector.recvTs! + 60_000 })]);
    expect(predict.commits[0]).toEqual([{ topic: 'features.v1', partition: 0, offset: '8' }]);
    await predict.close();
  });

  it("publishes a live vector's prediction though a rebuilding partition's vectors fill its batch next", async () => {
    // The group committed both partitions up to offset 5: a rebuild re-reads what is below it, muted.
    const predict = await predictProcess(2, { high: { 'features.v1': 20 }, committed: { 'features.v1': 5 } }, 2);
    await predict.consume(0, 7, [vectorOf('live')]);
    // Once muted, the live vector's batch (filled by a rebuilt one) was dropped with it: lost.
    await predict.consume(1, 0, [vectorOf('rebuilt-1'), vectorOf('rebuilt-2')]);
    expect((await predict.predictions()).map((p) => p.id)).toEqual(['pred:live:1']);
    await predict.close();
  });
});
