/**
 * `polyflow run alerts` on the real clock against the local fake Polymarket: large market-channel
 * prints become whale alerts delivered to a local webhook; the webhook URL never reaches the output.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCommand } from '../../bin/commands/run.js';
import type { Alert } from '../../schemas/alert.js';
import { FakePolymarket } from '../helpers/fake-polymarket.js';
import { addMarket } from '../helpers/live-harness.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

let fake: FakePolymarket;
let receiver: WebhookReceiver;
const saved = { ...process.env };
const SECRET = 'hook-s3cr3t';

beforeEach(async () => {
  fake = await FakePolymarket.start(() => Date.now());
  addMarket(fake, 1);
  receiver = new WebhookReceiver(() => undefined, Date.now);
  const base = await receiver.start();
  Object.assign(process.env, {
    POLYMARKET_WS_URL: fake.wsUrl,
    POLYMARKET_GAMMA_URL: fake.httpUrl,
    POLYMARKET_CLOB_URL: fake.httpUrl,
    POLYMARKET_DATA_URL: fake.httpUrl,
    POLYFLOW_LOG_LEVEL: 'silent',
    POLYFLOW_LIVE_WHALE_MIN_USD: '0',
    POLYFLOW_LIVE_MIN_VOLUME_USD: '0',
    POLYFLOW_LIVE_MIN_LIQUIDITY_USD: '0',
    POLYFLOW_ALERTS_TARGETS: JSON.stringify([{ name: 'ops', kind: 'generic', webhookUrl: `${base}/${SECRET}` }]),
    POLYFLOW_ALERTS_RATE_PER_SECOND: '1000',
    POLYFLOW_ALERTS_RATE_BURST: '100',
  });
});
afterEach(async () => {
  process.env = { ...saved };
  await fake.close();
  await receiver.close();
});

describe('polyflow run alerts', () => {
  it('delivers the alerts of a live run once each and writes alert.v1; the webhook URL is never printed', async () => {
    const out = mkdtempSync(join(tmpdir(), 'polyflow-alerts-cli-'));
    const printed: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (printed.push(String(chunk)), true));
    const asset = (): string => fake.books.keys().next().value as string;
    const ticker = setInterval(() => fake.trade(asset(), '0.40', '5000000', 'BUY'), 100);
    try {
      await expect(runCommand(['alerts', '--out', out, '--duration', '1.5'])).resolves.toBe(0);
    } finally {
      clearInterval(ticker);
      spy.mockRestore();
    }
    const alerts = readFileSync(join(out, 'alert.v1.jsonl'), 'utf8').trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Alert);
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts.every((a) => a.kind === 'whale' && a.severity === 'warning')).toBe(true);
    const received = receiver.accepted(`/${SECRET}`);
    expect(received.length).toBeGreaterThan(0);
    expect(new Set(received).size).toBe(received.length);
    for (const id of received) expect(alerts.map((a) => a.id)).toContain(id);
    expect(existsSync(join(out, 'dlq.alerts.jsonl'))).toBe(true);
    expect(printed.join('')).not.toContain(SECRET);
  });

  it('refuses to start without targets', async () => {
    delete process.env.POLYFLOW_ALERTS_TARGETS;
    await expect(runCommand(['alerts', '--duration', '0.1'])).rejects.toThrow(/no alert targets configured/);
  });
});
