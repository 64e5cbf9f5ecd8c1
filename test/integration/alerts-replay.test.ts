import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayRecords } from '../../pipelines/replay.js';
import { loadConfig } from '../../runtime/config.js';
import { createLogger } from '../../runtime/logger.js';
import { fromPackageRoot } from '../../runtime/package-root.js';
import type { Alert } from '../../schemas/alert.js';
import type { Fill } from '../../schemas/fill.js';
import type { RiskEvent } from '../../schemas/risk-event.js';
import type { Signal } from '../../schemas/signal.js';
import { JsonlFiles } from '../../sinks/jsonl-files.js';
import { readReplay } from '../../sources/replay/replay-directory.js';
import { tradingScorer } from '../helpers/trading-model.js';
import { WebhookReceiver, type ReceiverAction } from '../helpers/webhook-receiver.js';

/*
 * End to end: data/sample replayed through the embedded graph with the baseline model (the default
 * ensemble never trades) and two alert targets on a local server. The alerts each target received
 * are compared with the ones derived here, independently, from the signal.v1 / fill.v1 / risk.event
 * JSONL outputs under the same rules. Every 7th alert's first attempt gets a 503, so the retries
 * are exercised too.
 */
const RULES = {
  signalStrengths: ['STRONG', 'MEDIUM'],
  fills: true,
  riskRules: ['market_cap', 'event_cap', 'daily_loss', 'drawdown', 'kill_switch'],
  riskActions: ['trip', 'reset', 'resize'],
  arbitrageKinds: [],
  whaleKinds: [],
} as const;

const readJsonl = <T>(file: string): T[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);

let out = '';
let receiver: WebhookReceiver;
let firstAttempts = 0;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'polyflow-alerts-e2e-'));
  receiver = new WebhookReceiver((_path, _id, attempt): ReceiverAction | undefined => {
    if (attempt > 1) return undefined;
    return ++firstAttempts % 7 === 0 ? { status: 503 } : undefined;
  }, Date.now);
  const base = await receiver.start();
  const config = loadConfig({
    env: {},
    overrides: {
      output: { topics: ['signal.v1', 'fill.v1', 'risk.event', 'alert.v1', 'dlq.alerts'] },
      alerts: {
        ...RULES,
        targets: [
          { name: 'all', kind: 'generic', webhookUrl: `${base}/all` },
          { name: 'urgent', kind: 'slack', webhookUrl: `${base}/urgent`, minSeverity: 'warning' },
        ],
        ratePerSecond: 100_000,
        rateBurst: 1_000,
        retryBaseMs: 5,
        retryMaxMs: 20,
      },
    },
  });
  const files = new JsonlFiles(out);
  try {
    await replayRecords(readReplay(fromPackageRoot('data/sample')), { config, scorer: await tradingScorer(), files, logger: createLogger('silent') });
  } finally {
    files.close();
  }
}, 120_000);
afterAll(async () => receiver.close());

describe('alerts over the replayed sample', () => {
  it('delivers, exactly once per target, the alerts the rules give on the JSONL outputs', () => {
    const signals = readJsonl<Signal>(join(out, 'signal.v1.jsonl'));
    const fills = readJsonl<Fill>(join(out, 'fill.v1.jsonl'));
    const risks = readJsonl<RiskEvent>(join(out, 'risk.event.jsonl'));
    // The rules restated: strength listed; every fill; rule and action listed. Severity: STRONG signal
    // and resize warning, trip critical, the rest info.
    const expected = [
      ...signals.filter((s) => (RULES.signalStrengths as readonly string[]).includes(s.strength)).map((s) => ({ id: `alert:${s.id}`, urgent: s.strength === 'STRONG' })),
      ...fills.map((f) => ({ id: `alert:${f.id}`, urgent: false })),
      ...risks
        .filter((r) => (RULES.riskRules as readonly string[]).includes(r.rule) && (RULES.riskActions as readonly string[]).includes(r.action))
        .map((r) => ({ id: `alert:${r.id}`, urgent: r.action !== 'reset' })),
    ];
    const all = [...new Set(expected.map((e) => e.id))].sort();
    const urgent = [...new Set(expected.filter((e) => e.urgent).map((e) => e.id))].sort();
    // The sample with the baseline model does trade and trip breakers: the test is not vacuous.
    expect(fills.length).toBeGreaterThan(0);
    expect(urgent.length).toBeGreaterThan(0);
    expect(all.length).toBeGreaterThan(urgent.length);

    expect(receiver.accepted('/all').sort()).toEqual(all);
    expect(receiver.accepted('/urgent').sort()).toEqual(urgent);
    expect(firstAttempts).toBeGreaterThanOrEqual(7); // some 503s were answered, and retried

    const published = readJsonl<Alert>(join(out, 'alert.v1.jsonl'));
    expect([...new Set(published.map((a) => a.id))].sort()).toEqual(all);
    expect(readJsonl(join(out, 'dlq.alerts.jsonl'))).toEqual([]);
  });
});
