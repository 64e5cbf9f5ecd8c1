// A `polyflow run` process that cannot join its consumer group exits 1 with the reason, instead of
// staying up outside the group (a supervisor restarts a process that exits, not one that hangs).
// Mock cluster (infra/kafka/mock-cluster.sh, needs `kcat`).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consumer } from 'kafkajs';
import { createKafka } from '../../runtime/kafka/kafka-client.js';
import { fromPackageRoot } from '../../runtime/package-root.js';
import { startTestKafka, type MockCluster } from '../helpers/kafka-mock-cluster.js';
import { CLI, kafkaProcessEnv } from '../helpers/kafka-pipelines.js';

let cluster: MockCluster;
let squatter: Consumer | undefined;
let child: ChildProcess | undefined;

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm test builds it)`);
  cluster = await startTestKafka();
}, 60_000);

afterAll(async () => {
  if (child?.exitCode === null) child.kill('SIGKILL');
  await squatter?.disconnect();
  cluster?.stop();
});

describe('polyflow run <pipeline> that cannot join its group', () => {
  it('exits 1 with the reason once kafka.joinTimeoutMs has passed, and prints no ready line', async () => {
    const id = randomUUID().slice(0, 8);
    const [prefix, groups] = [`join-${id}.`, `join-${id}`];
    // The topics as `polyflow topics` makes them (trade reads the progress chain's partition counts before it joins).
    await cluster.prepareTopics(prefix);
    // A consumer of another protocol (kafkajs's round-robin) holds trade's group: the broker keeps
    // trade's member out (trade's members speak only the active-standby protocol).
    const kafka = createKafka({ brokers: [cluster.bootstrap], clientId: 'test-squatter' });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    await producer.send({ topic: `${prefix}prediction.v1`, messages: [{ value: 'not a record' }] });
    await producer.disconnect();
    squatter = kafka.consumer({ groupId: `${groups}.trade`, sessionTimeout: 6_000, rebalanceTimeout: 6_000, heartbeatInterval: 1_000 });
    await squatter.connect();
    await squatter.subscribe({ topics: [`${prefix}prediction.v1`] });
    await squatter.run({ eachMessage: () => Promise.resolve() });

    const env = kafkaProcessEnv(cluster.bootstrap, prefix, { POLYFLOW_KAFKA_GROUP_ID_PREFIX: groups, POLYFLOW_KAFKA_JOIN_TIMEOUT_MS: '8000' });
    const started = Date.now();
    const run = spawn(process.execPath, [fromPackageRoot(CLI), 'run', 'trade'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = run;
    let stdout = '';
    let stderr = '';
    run.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    run.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = (await once(run, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(stderr).toContain('not joined in 8000 ms');
    expect(stdout).not.toContain('ready');
    // Measured ~26 s: start-up, the reference topics read by a consumer of their own (its first join
    // on the mock takes seconds), the 8 s join timeout, closing, and the exit deadline (5 s). With the
    // default 60 s timeout, or a process that does not exit, it would be far over.
    expect(Date.now() - started).toBeLessThan(50_000);
  }, 120_000);
});
