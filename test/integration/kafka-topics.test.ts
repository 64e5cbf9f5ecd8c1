// `polyflow topics [--check]`. On librdkafka's mock cluster (infra/kafka/mock-cluster.sh, needs
// `kcat`), which has no CreateTopics, the command must say so and still verify through metadata; on
// a real broker (KAFKA_BROKERS, or testcontainers) it creates every topic and `--check` passes.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../runtime/config.js';
import { openKafkaBus } from '../../runtime/kafka/open-kafka-bus.js';
import { topicPlans } from '../../runtime/kafka/topic-admin.js';
import { TOPIC_NAMES } from '../../schemas/topics.js';
import { startTestKafka, testKafkaKind, type MockCluster } from '../helpers/kafka-mock-cluster.js';
import { SAMPLES } from '../helpers/topic-samples.js';

const CLI = 'dist/bin/polyflow.js';
/** What the command plans: every topic and its dead-letter topic. */
const PLANS = topicPlans({ prefix: '', partitions: 4, replicationFactor: 1, retentionMs: 1 });
const escape = (text: string): string => text.replace(/\./g, '\\.');
const prefix = `topics-${randomUUID().slice(0, 8)}.`;
let cluster: MockCluster;
let env: NodeJS.ProcessEnv;

async function topics(args: string[], extra: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'topics', ...args], { env: { ...env, ...extra } });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm test builds it)`);
  cluster = await startTestKafka();
  env = { ...process.env, KAFKA_BROKERS: cluster.bootstrap, POLYFLOW_KAFKA_TOPIC_PREFIX: prefix, POLYFLOW_LOG_LEVEL: 'error' };
}, 30_000);

afterAll(() => cluster?.stop());

describe('polyflow topics', () => {
  it('plans every topic and its dead-letter topic, compaction for pm.market.meta only, retention for the others', () => {
    const plans = topicPlans({ prefix: 'p.', partitions: 6, replicationFactor: 3, retentionMs: 1000 });
    expect(plans.map((p) => p.topic)).toEqual([...TOPIC_NAMES, ...TOPIC_NAMES.map((t) => `dlq.${t}`)]);
    expect(plans.map((p) => p.topic)).toContain('dlq.pm.book');
    for (const p of plans) {
      expect(p.name).toBe(`p.${p.topic}`);
      expect([p.partitions, p.replicationFactor]).toEqual([6, 3]);
      expect(p.config).toEqual(p.topic === 'pm.market.meta' ? { 'cleanup.policy': 'compact' } : { 'cleanup.policy': 'delete', 'retention.ms': '1000' });
    }
  });

  it.runIf(testKafkaKind() !== 'mock')('on a real broker creates every topic, compacted pm.market.meta, and --check verifies them all', async () => {
    const created = await topics([]);
    expect(created.code, created.out).toBe(0);
    const checked = await topics(['--check']);
    expect(checked.code, checked.out).toBe(0);
    for (const { topic } of PLANS) expect(checked.out).toMatch(new RegExp(`${escape(prefix)}${escape(topic)} +4 partitions +ok`));
  });

  it.runIf(testKafkaKind() === 'mock')('reports that the mock cluster cannot create topics (exit 2) and lists them all as missing', async () => {
    const r = await topics([]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/does not support CreateTopics/);
    expect(r.out).toMatch(/pm\.market\.meta will NOT be compacted/);
    expect(r.out.match(/ missing/g)?.length).toBe(PLANS.length);
    expect(r.out).toMatch(new RegExp(`${escape(prefix)}dlq\\.pm\\.book +- +missing`));
  });

  it.runIf(testKafkaKind() === 'mock')('--check verifies auto-created topics through metadata: partitions checked, configs reported as unverifiable', async () => {
    const bus = openKafkaBus({ config: loadConfig({ env }) });
    await bus.start();
    const [book] = SAMPLES['pm.book'];
    bus.publish('pm.book', book!.assetId, book!);
    await bus.flush();
    await bus.close();

    const ok = await topics(['--check']);
    expect(ok.code).toBe(1); // the others are missing
    expect(ok.out).toMatch(new RegExp(`${prefix.replace('.', '\\.')}pm\\.book +4 partitions +ok \\(not verifiable here: cleanup\\.policy, retention\\.ms\\)`));
    expect(ok.out).toMatch(new RegExp(`${prefix.replace('.', '\\.')}pm\\.trade +- +missing`));

    const more = await topics(['--check'], { POLYFLOW_KAFKA_PARTITIONS: '8' });
    expect(more.out).toMatch(/pm\.book +4 partitions +partitions 4 \(want 8\)/);
  });
});
