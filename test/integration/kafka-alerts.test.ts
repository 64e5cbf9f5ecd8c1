/**
 * `polyflow run alerts` on the Kafka bus (POLYFLOW_BUS_KIND=kafka) as its own process, on the mock
 * cluster (infra/kafka/mock-cluster.sh, needs `kcat`), delivering to a local webhook receiver
 * (127.0.0.1) that injects 500s, 429s and timeouts. The events are a replay's real trading output
 * (signals, fills, risk events, arbitrage, whales of a simulated recording, on the memory bus),
 * published by this test, some of them twice as a redelivery would.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../runtime/config.js';
import { createKafka } from '../../runtime/kafka/kafka-client.js';
import type { KafkaBus } from '../../runtime/kafka/kafka-bus.js';
import { openKafkaBus } from '../../runtime/kafka/open-kafka-bus.js';
import type { Alert } from '../../schemas/alert.js';
import type { ArbitrageOpportunity } from '../../schemas/arbitrage-opportunity.js';
import type { DeadLetter } from '../../schemas/dead-letter.js';
import type { Fill } from '../../schemas/fill.js';
import type { RiskEvent } from '../../schemas/risk-event.js';
import type { Signal } from '../../schemas/signal.js';
import type { WhaleEvent } from '../../schemas/whale-event.js';
import { startTestKafka, type MockCluster } from '../helpers/kafka-mock-cluster.js';
import { kafkaProcessEnv } from '../helpers/kafka-pipelines.js';
import { createTestDatabase } from '../helpers/postgres-test-db.js';
import { tradingEnv } from '../helpers/trading-model.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver, type ReceiverAction } from '../helpers/webhook-receiver.js';

const CLI = 'dist/bin/polyflow.js';
const dir = mkdtempSync(join(tmpdir(), 'polyflow-kafka-alerts-'));
const INPUTS = ['signal.v1', 'fill.v1', 'risk.event', 'arbitrage.v1', 'whale.v1'] as const;
type Input = (typeof INPUTS)[number];
interface Event {
  readonly topic: Input;
  readonly key: string;
  readonly value: Signal | Fill | RiskEvent | ArbitrageOpportunity | WhaleEvent;
}

let cluster: MockCluster;
let events: Event[] = [];
const children: ChildProcess[] = [];
const buses: KafkaBus[] = [];
const receivers: WebhookReceiver[] = [];
let dropDb: () => Promise<void> = async () => undefined;

const lines = <T>(file: string): T[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);

/** Keys as the pipelines key these topics (TOPICS[topic].keyedBy). */
function keyOf(topic: Input, value: Event['value']): string {
  switch (topic) {
    case 'signal.v1':
    case 'fill.v1':
      return (value as Signal | Fill).assetId;
    case 'risk.event':
      return (value as RiskEvent).market;
    case 'arbitrage.v1': {
      const a = value as ArbitrageOpportunity;
      return a.eventId !== '' ? a.eventId : (a.markets[0] ?? '');
    }
    case 'whale.v1': {
      const w = value as WhaleEvent;
      return w.wallet !== '' ? w.wallet : w.market;
    }
  }
}

/** Every event alerts under the process's rules below, and an alert's id is `alert:<source event id>`. */
const alertIdOf = (e: Event): string => `alert:${e.value.id}`;

function processEnv(prefix: string, targets: unknown[], extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // Each injected failure logs a retry warning: errors only (kafkaProcessEnv's level).
  return kafkaProcessEnv(cluster.bootstrap, prefix, {
    POLYFLOW_ALERTS_TARGETS: JSON.stringify(targets),
    POLYFLOW_ALERTS_SIGNAL_STRENGTHS: '["STRONG","MEDIUM","WEAK"]',
    POLYFLOW_ALERTS_RISK_ACTIONS: '["block","resize","trip","reset"]',
    POLYFLOW_ALERTS_WHALE_KINDS: '["large_trade","tracked_wallet"]',
    POLYFLOW_ALERTS_RATE_PER_SECOND: '1000',
    POLYFLOW_ALERTS_RATE_BURST: '1000',
    POLYFLOW_ALERTS_MAX_ATTEMPTS: '4',
    POLYFLOW_ALERTS_RETRY_BASE_MS: '20',
    POLYFLOW_ALERTS_RETRY_MAX_MS: '100',
    ...extra,
  });
}

function startAlerts(env: NodeJS.ProcessEnv): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(process.execPath, [CLI, 'run', 'alerts', '--from-beginning'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`run alerts exited ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => line === 'ready alerts' && resolve());
  });
  return { child, ready };
}

async function committed(prefix: string, topic: Input): Promise<number> {
  const admin = createKafka({ brokers: [cluster.bootstrap], clientId: 'test-admin' }).admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId: 'polyflow.alerts', topics: [`${prefix}${topic}`] });
    return (offsets?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

async function publish(config: Config, batch: readonly Event[]): Promise<void> {
  const publisher = openKafkaBus({ config });
  buses.push(publisher);
  await publisher.start();
  for (const e of batch) publisher.publish(e.topic, e.key, e.value as never);
  await publisher.flush();
}

const published = (batch: readonly Event[], topic: Input): number => batch.filter((e) => e.topic === topic).length;

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm test builds it)`);
  cluster = await startTestKafka();
  const recording = join(dir, 'rec');
  const out = join(dir, 'replay');
  execFileSync(process.execPath, [CLI, 'simulate', '--out', recording, '--markets', '8', '--events', '4000', '--seed', '1'], { stdio: 'pipe' });
  execFileSync(process.execPath, [CLI, 'replay', recording, '--out', out, '--no-progress'], { stdio: 'pipe', env: tradingEnv({ POLYFLOW_LOG_LEVEL: 'warn', POLYFLOW_BUS_KIND: 'memory', POLYFLOW_STATE_KIND: 'off', POLYFLOW_ANALYTICS_MODE: 'files' }) });
  events = INPUTS.flatMap((topic) => lines<Event['value']>(join(out, `${topic}.jsonl`)).map((value) => ({ topic, key: keyOf(topic, value), value })));
}, 120_000);

afterAll(async () => {
  for (const bus of buses) await bus.close().catch(() => undefined);
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const receiver of receivers) await receiver.close();
  await dropDb();
  cluster?.stop();
});

describe('polyflow run alerts on Kafka', () => {
  it('delivers every alert exactly once per target through 500s, 429s and timeouts, and dead-letters what a target never takes', async () => {
    for (const topic of ['signal.v1', 'fill.v1', 'risk.event'] as const) expect(published(events, topic), topic).toBeGreaterThan(0);
    const expected = [...new Set(events.map(alertIdOf))].sort();
    expect(expected).toHaveLength(events.length);
    // Failures by each alert's place in the expected list: the first attempt of some fails, the next succeeds.
    const place = new Map(expected.map((id, i) => [id, i]));
    const receiver = new WebhookReceiver((path, id, attempt): ReceiverAction | undefined => {
      const i = place.get(id) ?? -1;
      if (path === '/dead') return { status: 500 };
      if (attempt > 1) return undefined;
      if (path === '/ops' && i % 5 === 1) return { status: 500 };
      if (path === '/ops' && i % 20 === 3) return 'hang';
      if (path === '/slack' && i % 4 === 2) return { status: 429, headers: { 'retry-after': '0' } };
      if (path === '/discord' && i % 7 === 0) return { status: 503 };
      return undefined;
    }, Date.now);
    receivers.push(receiver);
    const base = await receiver.start();
    const prefix = `alerts-${randomUUID().slice(0, 8)}.`;
    await cluster.prepareTopics(prefix);
    const env = processEnv(
      prefix,
      [
        { name: 'ops', kind: 'generic', webhookUrl: `${base}/ops` },
        { name: 'chat', kind: 'slack', webhookUrl: `${base}/slack` },
        { name: 'guild', kind: 'discord', webhookUrl: `${base}/discord` },
        { name: 'dead', kind: 'generic', webhookUrl: `${base}/dead` },
      ],
      // Long enough that an answered request never times out on a loaded machine; the hung ones do.
      { POLYFLOW_ALERTS_TIMEOUT_MS: '2000', POLYFLOW_ALERTS_BREAKER_FAILURES: '3', POLYFLOW_ALERTS_BREAKER_COOLDOWN_MS: '600000', POLYFLOW_KAFKA_SESSION_TIMEOUT_MS: '30000' },
    );
    const config = loadConfig({ env });
    const { child, ready } = startAlerts(env);
    await ready;

    const reader = openKafkaBus({ config, group: `test-reader-${randomUUID().slice(0, 8)}`, fromBeginning: true });
    buses.push(reader);
    const alerts: Alert[] = [];
    const dead: DeadLetter[] = [];
    reader.topic('alert.v1').subscribe((a) => alerts.push(a));
    reader.topic('dlq.alerts').subscribe((d) => dead.push(d));
    await reader.start();

    // Every event, then every third one again (same id, as an upstream redelivery would publish it).
    const duplicates = events.filter((_, i) => i % 3 === 0);
    const batch = [...events, ...duplicates];
    await publish(config, batch);

    const deadIds = (): Set<string> => new Set(dead.filter((d) => d.source === 'alerts.webhook.dead').map((d) => (JSON.parse(d.raw) as Alert).id));
    await waitFor(
      () =>
        new Set(receiver.accepted('/ops')).size === expected.length &&
        new Set(receiver.accepted('/slack')).size === expected.length &&
        new Set(receiver.accepted('/discord')).size === expected.length &&
        deadIds().size === expected.length,
      180_000,
      'every alert delivered or dead-lettered',
    );
    // Offsets are committed once the deliveries of their records settled: all of them, in the end.
    await waitFor(async () => {
      for (const topic of INPUTS) if ((await committed(prefix, topic)) !== published(batch, topic)) return false;
      return true;
    }, 60_000, 'input offsets committed');
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);

    // Exactly once per target by the receiver's dedupe key (Idempotency-Key, or the id in the Slack/Discord shape).
    for (const path of ['/ops', '/slack', '/discord']) expect([...receiver.accepted(path)].sort(), path).toEqual(expected);
    for (const r of receiver.requests.filter((q) => q.path === '/ops' || q.path === '/dead')) expect(r.idempotencyKey).toBe(r.alertId);
    // The injected failures happened and were retried.
    const failedFirst = (path: string, status: number | 'hang'): string[] => receiver.requests.filter((r) => r.path === path && r.attempt === 1 && r.status === status).map((r) => r.alertId);
    const retried = (path: string, ids: string[]): void => {
      expect(ids.length, path).toBeGreaterThan(0);
      for (const id of ids) expect(receiver.requests.some((r) => r.path === path && r.alertId === id && r.attempt === 2 && r.status === 200), `${path} ${id}`).toBe(true);
    };
    retried('/ops', failedFirst('/ops', 500));
    retried('/ops', failedFirst('/ops', 'hang'));
    retried('/slack', failedFirst('/slack', 429));
    retried('/discord', failedFirst('/discord', 503));
    // The target that always fails: every alert in dlq.alerts with its reason, none delivered.
    expect([...deadIds()].sort()).toEqual(expected);
    expect(receiver.accepted('/dead')).toEqual([]);
    for (const d of dead) expect(d.reason).not.toBe('');
    expect(dead.every((d) => d.source === 'alerts.webhook.dead')).toBe(true);
    // alert.v1 carries each alert.
    expect([...new Set(alerts.map((a) => a.id))].sort()).toEqual(expected);
  });

  it('commits no offset past an alert still being delivered: a killed process loses none, and a restart re-sends only under the same key, and never to Slack', async () => {
    const expected = [...new Set(events.map(alertIdOf))].sort();
    // Held: the first risk event's alert is not answered by the generic receiver until a second process sends it.
    const held = events.find((e) => e.topic === 'risk.event');
    if (held === undefined) throw new Error('the replay gave no risk event');
    const heldId = alertIdOf(held);
    let release = false;
    const receiver = new WebhookReceiver((path, id) => (path === '/ops' && id === heldId && !release ? 'hang' : undefined), Date.now);
    receivers.push(receiver);
    const base = await receiver.start();
    const prefix = `alerts-crash-${randomUUID().slice(0, 8)}.`;
    await cluster.prepareTopics(prefix);
    // State on: the Slack target's deliveries are recorded in Postgres and read back by the second process.
    const db = await createTestDatabase('polyflow_alerts');
    dropDb = db.drop;
    // Attempts that never time out here: only the kill ends the held one.
    const targets = [
      { name: 'ops', kind: 'generic', webhookUrl: `${base}/ops` },
      { name: 'team', kind: 'slack', webhookUrl: `${base}/slack` },
    ];
    const env = processEnv(prefix, targets, { POLYFLOW_ALERTS_TIMEOUT_MS: '600000', POLYFLOW_STATE_KIND: 'postgres', POLYFLOW_STATE_URL: db.url });
    const config = loadConfig({ env });
    const first = startAlerts(env);
    await first.ready;

    // Signals and fills first, delivered and committed; then the held risk event and everything after it.
    const before = events.filter((e) => e.topic === 'signal.v1' || e.topic === 'fill.v1');
    const after = [held, ...events.filter((e) => e !== held && !before.includes(e))];
    await publish(config, before);
    await waitFor(() => new Set(receiver.accepted('/ops')).size === before.length, 120_000, 'first alerts delivered');
    await waitFor(async () => (await committed(prefix, 'signal.v1')) === published(before, 'signal.v1') && (await committed(prefix, 'fill.v1')) === published(before, 'fill.v1'), 60_000, 'first offsets committed');
    await publish(config, after);
    await waitFor(() => receiver.requests.some((r) => r.path === '/ops' && r.alertId === heldId), 120_000, 'held alert sent');
    // Its record, and any after it on its partition, stay uncommitted while it is in flight.
    expect(await committed(prefix, 'risk.event')).toBeLessThan(published(after, 'risk.event'));

    // Slack took alerts whose inputs are not committed (the held alert's batch): the restart reads them again.
    const beforeIds = new Set(before.map(alertIdOf));
    await waitFor(() => receiver.accepted('/slack').some((id) => !beforeIds.has(id)), 60_000, 'Slack took an alert of the uncommitted batch');

    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    const uncommittedAtSlack = receiver.accepted('/slack').filter((id) => !beforeIds.has(id));
    release = true;
    const second = startAlerts(env);
    await second.ready;
    await waitFor(() => new Set(receiver.accepted('/ops')).size === expected.length, 180_000, 'every alert delivered after the restart');
    await waitFor(async () => {
      for (const topic of INPUTS) if ((await committed(prefix, topic)) !== published(events, topic)) return false;
      return true;
    }, 60_000, 'every offset committed');
    second.child.kill('SIGTERM');
    await once(second.child, 'exit');

    // By dedupe key: every alert once, the held one included (its first request was never answered).
    const accepted = receiver.accepted('/ops');
    expect([...new Set(accepted)].sort()).toEqual(expected);
    expect(accepted.filter((id) => id === heldId)).toHaveLength(1);
    const ops = receiver.requests.filter((r) => r.path === '/ops');
    expect(ops.find((r) => r.alertId === heldId)?.status).toBe('hang');
    // A re-sent alert carries the same Idempotency-Key: a receiver that dedupes on it acts once.
    for (const r of ops) expect(r.idempotencyKey).toBe(r.alertId);
    // Alerts delivered and committed before the kill were not sent again.
    for (const e of before) expect(accepted.filter((id) => id === alertIdOf(e)), alertIdOf(e)).toHaveLength(1);
    // Slack has no idempotency key: the deliveries recorded in the state store kept the restart from
    // posting again what the killed process had posted, though its inputs were read again.
    expect(uncommittedAtSlack.length).toBeGreaterThan(0);
    expect(receiver.accepted('/slack').sort()).toEqual(expected);
  });
});
