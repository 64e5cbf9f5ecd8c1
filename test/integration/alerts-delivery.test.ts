import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertsPipeline } from '../../pipelines/alerts.js';
import { loadConfig } from '../../runtime/config.js';
import { InFlight } from '../../runtime/in-flight.js';
import { MemoryBus } from '../../runtime/memory-bus.js';
import { PipelineMetrics } from '../../runtime/metrics.js';
import type { Alert } from '../../schemas/alert.js';
import type { DeadLetter } from '../../schemas/dead-letter.js';
import type { Fill } from '../../schemas/fill.js';
import { assetId, marketId } from '../../schemas/ids.js';
import type { RiskEvent } from '../../schemas/risk-event.js';
import type { Signal, Strength } from '../../schemas/signal.js';
import type { PriceMicros, SizeMicros, UsdMicros } from '../../schemas/units.js';
import { ManualClock } from '../../runtime/http/manual-clock.js';
import { WebhookReceiver, type ReceiverAction } from '../helpers/webhook-receiver.js';

/*
 * The alerts pipeline against a local webhook server (127.0.0.1) with failures injected: 500s, a
 * timeout, a 429 with Retry-After, a permanent 404 and a permanent 500. Backoff, Retry-After and
 * rate-limit waits run on a ManualClock; only the per-attempt timeout is real (250 ms).
 */
const A = assetId('111');
const M = marketId('0xabc');
const SECRET = 'T0-B0-s3cr3t';
const signal = (id: string, strength: Strength): Signal => ({
  id, predictionId: 'p', assetId: A, market: M, ts: 1_000, direction: 'YES', strength,
  probability: 0.62, price: 480_000 as PriceMicros, edge: 0.12, confidence: 1, liquidity: 200_000_000 as SizeMicros,
});
const fill = (id: string): Fill => ({
  id, orderId: 'o1', assetId: A, market: M, ts: 2_000, direction: 'NO', price: 510_000 as PriceMicros, size: 10_000_000 as SizeMicros, fee: 120_000 as UsdMicros, unfilled: 0 as SizeMicros,
});
const risk = (id: string, action: RiskEvent['action']): RiskEvent => ({ id, ts: 3_000, rule: 'daily_loss', action, reason: `daily loss ${action}`, signalId: '', assetId: '', market: '', eventId: '' });

interface Run {
  readonly receiver: WebhookReceiver;
  readonly clock: ManualClock;
  readonly alerts: Alert[];
  readonly dead: DeadLetter[];
  readonly logs: string[];
  readonly publishAll: () => Promise<void>;
  readonly stop: () => Promise<void>;
}

async function startRun(script: (path: string, id: string, attempt: number) => ReceiverAction | undefined, alertsConfig: Record<string, unknown>, targets: (base: string) => unknown[]): Promise<Run> {
  const clock = new ManualClock();
  const receiver = new WebhookReceiver(script, () => clock.now());
  const base = await receiver.start();
  const config = loadConfig({ env: {}, overrides: { alerts: { ...alertsConfig, targets: targets(base) } } });
  const bus = new MemoryBus();
  const inFlight = new InFlight();
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, new Writable({ write: (chunk: Buffer, _enc, done) => (logs.push(chunk.toString()), done()) }));
  const alerts: Alert[] = [];
  const dead: DeadLetter[] = [];
  bus.topic('alert.v1').subscribe((a) => alerts.push(a));
  bus.topic('dlq.alerts').subscribe((d) => dead.push(d));
  const running = alertsPipeline(bus, config, { metrics: new PipelineMetrics(), inFlight, clock, logger });
  const publishAll = async (): Promise<void> => {
    bus.publish('signal.v1', A, signal('sig:A', 'STRONG'));
    bus.publish('signal.v1', A, signal('sig:weak', 'WEAK'));
    bus.publish('fill.v1', A, fill('fill:B'));
    bus.publish('risk.event', 'global', risk('risk:C', 'trip'));
    bus.publish('risk.event', 'global', risk('risk:block', 'block'));
    bus.publish('fill.v1', A, fill('fill:D'));
    await inFlight.whenIdle();
  };
  return {
    receiver, clock, alerts, dead, logs, publishAll,
    stop: async () => {
      running.unsubscribe();
      await receiver.close();
    },
  };
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
beforeAll(() => void process.on('unhandledRejection', onUnhandled));
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

describe('alerts -> webhooks, with failures injected', () => {
  let run: Run;
  beforeAll(async () => {
    const script = (path: string, id: string, attempt: number): ReceiverAction | undefined => {
      if (path.startsWith('/gone')) return { status: 404 };
      if (path.startsWith('/generic')) {
        if (id === 'alert:sig:A' && attempt <= 2) return { status: 500 };
        if (id === 'alert:fill:B' && attempt === 1) return 'hang';
        if (id === 'alert:risk:C' && attempt === 1) return { status: 429, headers: { 'retry-after': '7' } };
        if (id === 'alert:fill:D') return { status: 500 };
      }
      if (path.startsWith('/slack') && attempt === 1) return { status: 503 };
      if (path.startsWith('/discord') && id === 'alert:risk:C' && attempt === 1) return 'hang';
      return undefined;
    };
    run = await startRun(script, { maxAttempts: 4, retryBaseMs: 1_000, timeoutMs: 250, ratePerSecond: 100, rateBurst: 10 }, (base) => [
      { name: 'ops', kind: 'generic', webhookUrl: `${base}/generic/${SECRET}` },
      { name: 'team-slack', kind: 'slack', webhookUrl: `${base}/slack/${SECRET}`, minSeverity: 'warning' },
      { name: 'team-discord', kind: 'discord', webhookUrl: `${base}/discord/${SECRET}` },
      { name: 'gone', kind: 'generic', webhookUrl: `${base}/gone/${SECRET}` },
    ]);
    await run.publishAll();
  });
  afterAll(async () => run.stop());

  it('publishes one alert.v1 record per alerting event (rules: STRONG signals, fills, risk trips)', () => {
    expect(run.alerts.map((a) => a.id)).toEqual(['alert:sig:A', 'alert:fill:B', 'alert:risk:C', 'alert:fill:D']);
    expect(run.alerts.map((a) => a.severity)).toEqual(['warning', 'info', 'critical', 'info']);
  });

  it('delivers each alert exactly once per target, through 500s, a timeout and a 429, filtered by minSeverity', () => {
    const r = run.receiver;
    expect(r.accepted(`/generic/${SECRET}`).sort()).toEqual(['alert:fill:B', 'alert:risk:C', 'alert:sig:A']);
    expect(r.accepted(`/slack/${SECRET}`).sort()).toEqual(['alert:risk:C', 'alert:sig:A']);
    expect(r.accepted(`/discord/${SECRET}`).sort()).toEqual(['alert:fill:B', 'alert:fill:D', 'alert:risk:C', 'alert:sig:A']);
    expect(r.accepted(`/gone/${SECRET}`)).toEqual([]);
    // The retries did happen: 2 x 500 then 200; a hang then 200; a 429 then 200; 4 x 500 and no more.
    const tries = (path: string, id: string) => r.requests.filter((q) => q.path === path && q.alertId === id).map((q) => q.status);
    expect(tries(`/generic/${SECRET}`, 'alert:sig:A')).toEqual([500, 500, 200]);
    expect(tries(`/generic/${SECRET}`, 'alert:fill:B')).toEqual(['hang', 200]);
    expect(tries(`/generic/${SECRET}`, 'alert:risk:C')).toEqual([429, 200]);
    expect(tries(`/generic/${SECRET}`, 'alert:fill:D')).toEqual([500, 500, 500, 500]);
    expect(tries(`/gone/${SECRET}`, 'alert:sig:A')).toEqual([404]);
    // Generic targets carry Idempotency-Key = alert id and the alert record as body.
    for (const q of r.requests.filter((q) => q.path.startsWith('/generic') || q.path.startsWith('/gone'))) {
      expect(q.idempotencyKey).toBe(q.alertId);
      expect((q.body as Alert).id).toBe(q.alertId);
    }
    // Retry-After: 7 was honoured (on the virtual clock).
    expect(run.clock.sleeps).toContain(7_000);
  });

  it('sends Slack {text, blocks} and Discord {content, embeds} bodies', () => {
    const slack = run.receiver.requests.find((q) => q.path.startsWith('/slack') && q.status === 200)?.body as { text: string; blocks: { type: string }[] };
    expect(slack.text).toMatch(/^\[(WARNING|CRITICAL)\] /);
    expect(slack.blocks.map((b) => b.type)).toEqual(['header', 'section', 'context']);
    const discord = run.receiver.requests.find((q) => q.path.startsWith('/discord') && q.alertId === 'alert:risk:C' && q.status === 200)?.body as {
      content: string;
      embeds: { title: string; description: string; footer: { text: string } }[];
    };
    expect(discord.content).toBe('**[CRITICAL]** Risk daily_loss: trip');
    expect(discord.embeds).toEqual([expect.objectContaining({ title: 'Risk daily_loss: trip', description: 'daily loss trip', footer: { text: 'alert:risk:C' } })]);
  });

  it('dead-letters undeliverable alerts to dlq.alerts with the reason, and never logs the webhook URL', () => {
    const byTarget = (source: string) => run.dead.filter((d) => d.source === source);
    expect(byTarget('alerts.webhook.gone').map((d) => (JSON.parse(d.raw) as Alert).id).sort()).toEqual(['alert:fill:B', 'alert:fill:D', 'alert:risk:C', 'alert:sig:A']);
    for (const d of byTarget('alerts.webhook.gone')) expect(d.reason).toBe('HTTP 404 (not retriable) after 1 attempt(s): error 404');
    expect(byTarget('alerts.webhook.ops')).toEqual([expect.objectContaining({ reason: 'HTTP 500 after 4 attempt(s): error 500', ts: 2_000 })]);
    expect(run.dead).toHaveLength(5);
    expect(run.logs.length).toBeGreaterThan(0);
    const logged = run.logs.join('');
    expect(logged).toContain('alert delivery retry');
    expect(logged).not.toContain(SECRET);
    expect(JSON.stringify(run.dead)).not.toContain(SECRET);
  });

  it('does not deliver an alert again when the bus redelivers its event (a failed one is tried again)', async () => {
    const before = run.receiver.requests.length;
    await run.publishAll();
    const again = run.receiver.requests.slice(before);
    // Only the two failed ones go out again: fill:D to ops (4 x 500), and all four to `gone` (404).
    expect(again.every((q) => q.status !== 200)).toBe(true);
    expect(again.filter((q) => q.path.startsWith('/generic')).map((q) => q.alertId)).toEqual(Array(4).fill('alert:fill:D'));
    expect(run.receiver.accepted(`/generic/${SECRET}`)).toHaveLength(3);
    expect(run.receiver.accepted(`/discord/${SECRET}`)).toHaveLength(4);
    expect(run.dead).toHaveLength(10);
  });
});

describe('alerts: per-target rate limit', () => {
  // One target: the ManualClock is shared, so two targets' concurrent waits would move each other's arrival times.
  it('spaces requests to one target at the configured rate, retries included (virtual clock)', async () => {
    const script = (_path: string, id: string, attempt: number): ReceiverAction | undefined => (id === 'alert:fill:B' && attempt === 1 ? { status: 500 } : undefined);
    const run = await startRun(script, { ratePerSecond: 2, rateBurst: 3, retryBaseMs: 1, signalStrengths: ['STRONG', 'WEAK'] }, (base) => [
      { name: 'ops', kind: 'generic', webhookUrl: `${base}/generic` },
    ]);
    try {
      const t0 = run.clock.now();
      await run.publishAll(); // 5 alerts (sig:A, sig:weak, fill:B, risk:C, fill:D) + 1 retry = 6 requests
      const times = run.receiver.requests.map((q) => q.at - t0);
      expect(times).toHaveLength(6);
      // Burst 3, then one token per 500 ms: in any window of w ms at most 3 + 2 * w / 1000 requests.
      for (let i = 0; i < times.length; i++) {
        for (let j = i; j < times.length; j++) expect(j - i + 1).toBeLessThanOrEqual(3 + Math.floor((2 * ((times[j] ?? 0) - (times[i] ?? 0))) / 1000));
      }
      expect(times.slice(0, 3)).toEqual([0, 0, 0]);
      expect(times[5]).toBeGreaterThanOrEqual(1_500);
      expect(run.receiver.accepted('/generic')).toHaveLength(5);
    } finally {
      await run.stop();
    }
  });
});

describe('alerts: a dead target', () => {
  it('is skipped after breakerFailures alerts in a row fail, and tried again after the cooldown', async () => {
    const run = await startRun(() => ({ status: 404 }), { breakerFailures: 2, breakerCooldownMs: 60_000, signalStrengths: ['STRONG', 'WEAK'] }, (base) => [
      { name: 'gone', kind: 'generic', webhookUrl: `${base}/gone` },
    ]);
    try {
      await run.publishAll(); // 5 alerts: 2 tried (404), 3 skipped
      expect(run.receiver.requests.map((q) => q.alertId)).toEqual(['alert:sig:A', 'alert:sig:weak']);
      expect(run.dead.map((d) => d.reason.split(':')[0])).toEqual(['HTTP 404 (not retriable) after 1 attempt(s)', 'HTTP 404 (not retriable) after 1 attempt(s)', 'target skipped', 'target skipped', 'target skipped']);
      run.clock.advance(60_000);
      await run.publishAll(); // the cooldown is over: the first alert is tried (404 again), the target skipped again at once
      expect(run.receiver.requests).toHaveLength(3);
      expect(run.dead).toHaveLength(10);
    } finally {
      await run.stop();
    }
  });
});
