// A consumer group's settle before it commits (settleBeforeCommit), on a KafkaBus over a fake kafkajs
// client: predict does not commit a vector whose prediction still waits in a scoring batch.
import { MockClient } from '@confluentinc/schemaregistry';
import type { KafkaMessage } from 'kafkajs';
import { asyncScheduler } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import type { BatchScorer } from '../operators/score-batches.js';
import { predictPipeline } from './predict.js';
import { loadConfig } from '../runtime/config.js';
import { InFlight } from '../runtime/in-flight.js';
import { AvroTopicSerde } from '../runtime/kafka/avro-serde.js';
import { KafkaBus } from '../runtime/kafka/kafka-bus.js';
import { committedSchemaOf } from '../runtime/kafka/open-kafka-bus.js';
import { PipelineMetrics } from '../runtime/metrics.js';
import { FEATURE_SPEC } from '../schemas/feature-spec.js';
import { fakeKafka, fetchedBatch, type Sent } from '../test/helpers/fake-kafka.js';
import { SAMPLES } from '../test/helpers/topic-samples.js';
import { settleBeforeCommit } from './consumer-groups.js';

const scorer: BatchScorer = { modelVersion: 'fake-1', spec: FEATURE_SPEC, score: (_rows, n) => Promise.resolve(new Float32Array(n).fill(0.5)) };

describe('settleBeforeCommit', () => {
  it("holds predict's commit of a vector until the batch it waits in is scored and its prediction sent", async () => {
    const sent: Sent[] = [];
    const { kafka, commits, consume } = fakeKafka(async ({ topicMessages }) => void sent.push(...topicMessages), { 'features.v1': [0] });
    const serde = new AvroTopicSerde({ client: new MockClient({ baseURLs: ['mock://'] }), schemaOf: committedSchemaOf });
    const inFlight = new InFlight();
    const bus = new KafkaBus({ kafka, serde, groupId: 'predict', settle: settleBeforeCommit(inFlight) });
    // A batch waits a minute to fill: without the settle's hand-on the offset went out long before it.
    const config = loadConfig({ env: { POLYFLOW_SCORING_MAX_WAIT_MS: '60000' } });
    const graph = predictPipeline(bus, config, { scorer, scheduler: asyncScheduler, inFlight, metrics: new PipelineMetrics() });
    await bus.start();
    const vector = SAMPLES['features.v1'][0]!;
    const message = { key: Buffer.from(vector.assetId), value: await serde.serialize('features.v1', vector), offset: '7', headers: {}, timestamp: '0', attributes: 0 } as unknown as KafkaMessage;
    await consume(fetchedBatch('features.v1', 0, [message]));
    await vi.waitFor(() => expect(commits.length).toBeGreaterThan(0));
    const predictions = sent.filter((s) => s.topic === 'prediction.v1').flatMap((s) => s.messages);
    expect(predictions).toHaveLength(1);
    expect((await serde.deserialize('prediction.v1', predictions[0]!.value as Buffer)) as { id: string }).toMatchObject({ id: `pred:${vector.id}`, dueTs: vector.recvTs! + 60_000 });
    expect(commits[0]).toEqual([{ topic: 'features.v1', partition: 0, offset: '8' }]);
    graph.unsubscribe();
    await bus.close();
  });
});
