import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createKafka } from '../../runtime/kafka/kafka-client.js';
import { createTopics, topicPlans } from '../../runtime/kafka/topic-admin.js';
import { fromPackageRoot } from '../../runtime/package-root.js';

/**
 * The Kafka the integration tests run against, and how to stop it: `external` a real broker named by
 * KAFKA_BROKERS, `container` a real broker in Docker (testcontainers, when a Docker engine answers),
 * `mock` librdkafka's mock cluster (infra/kafka/mock-cluster.sh; no CreateTopics, auto-created topics
 * of 4 partitions).
 */
export interface MockCluster {
  readonly kind: 'external' | 'container' | 'mock';
  readonly bootstrap: string;
  /**
   * Creates every topic under `prefix` with the mock's 4 partitions on a real broker (whose
   * auto-created topics get one partition, and the tests share partitions between members); a no-op
   * on the mock, which auto-creates them so.
   */
  prepareTopics(prefix: string): Promise<void>;
  stop(): void;
  /** The mock's process group (the script, kcat and its helpers), whose CPU a benchmark reports. */
  readonly processGroup?: number | undefined;
  /**
   * True when the mock runs the indexed log of infra/kafka/indexed-mock (KAFKA_MOCK_LIBRARY
   * set): fetches find their offset from the log's end and get every batch that fits, as on a broker.
   */
  readonly indexedLog?: boolean;
}

async function createTestTopics(bootstrap: string, prefix: string): Promise<void> {
  const admin = createKafka({ brokers: [bootstrap], clientId: 'polyflow-test-topics' }).admin();
  await admin.connect();
  try {
    await createTopics(admin, topicPlans({ prefix, partitions: 4, replicationFactor: 1, retentionMs: 86_400_000 }));
  } finally {
    await admin.disconnect();
  }
}

/**
 * A Kafka for one test file: the broker of KAFKA_BROKERS when set (tests isolate themselves by
 * topic prefix and group names), else a KRaft broker through testcontainers when a Docker engine
 * answers, else the mock cluster.
 */
export async function startTestKafka(): Promise<MockCluster> {
  const kind = testKafkaKind();
  if (kind === 'external') {
    const bootstrap = (process.env['KAFKA_BROKERS'] ?? '').split(',')[0]!.trim();
    return { kind, bootstrap, prepareTopics: (prefix) => createTestTopics(bootstrap, prefix), stop: () => undefined };
  }
  if (kind === 'container') {
    const { KafkaContainer } = await import('@testcontainers/kafka');
    const container = await new KafkaContainer('confluentinc/cp-kafka:7.9.1').withKraft().start();
    const bootstrap = `${container.getHost()}:${container.getMappedPort(9093)}`;
    return { kind: 'container', bootstrap, prepareTopics: (prefix) => createTestTopics(bootstrap, prefix), stop: () => void container.stop() };
  }
  return startMockCluster();
}

let kindOfThisMachine: MockCluster['kind'] | undefined;

/** Which Kafka `startTestKafka` gives here (known before the tests are collected, for tests of one kind only). */
export function testKafkaKind(): MockCluster['kind'] {
  kindOfThisMachine ??= process.env['KAFKA_BROKERS'] ? 'external' : dockerEngineAnswers() ? 'container' : 'mock';
  return kindOfThisMachine;
}

/** True when `docker info` reaches an engine within 5 s (the docker client alone is not enough). */
function dockerEngineAnswers(): boolean {
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'pipe', timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

const script = (): string => fromPackageRoot('infra/kafka/mock-cluster.sh');

/**
 * Starts the mock cluster in its own process group and resolves with its bootstrap address. `library`:
 * the folder of the indexed mock's librdkafka.so.1, or null for the stock mock; by default
 * KAFKA_MOCK_LIBRARY decides.
 */
export function startMockCluster(opts: { brokers?: number; timeoutMs?: number; library?: string | null } = {}): Promise<MockCluster> {
  const { KAFKA_MOCK_LIBRARY: fromEnv, ...env } = process.env;
  const library = opts.library === undefined ? fromEnv : opts.library;
  const child: ChildProcess = spawn('bash', [script(), String(opts.brokers ?? 1)], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: library ? { ...env, KAFKA_MOCK_LIBRARY: library } : env,
  });
  const stop = (): void => {
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  };
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`mock cluster: no bootstrap address in ${opts.timeoutMs ?? 10_000} ms ${stderr}`));
    }, opts.timeoutMs ?? 10_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`mock cluster exited (${code}): ${stderr.trim()}`));
    });
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve({ kind: 'mock', bootstrap: line.trim(), prepareTopics: () => Promise.resolve(), stop, processGroup: child.pid, indexedLog: Boolean(library) });
    });
  });
}
