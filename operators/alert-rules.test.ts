import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../schemas/alert.js';
import type { Fill } from '../schemas/fill.js';
import { assetId, marketId } from '../schemas/ids.js';
import type { RiskEvent } from '../schemas/risk-event.js';
import type { Signal, Strength } from '../schemas/signal.js';
import type { PriceMicros, SizeMicros, UsdMicros } from '../schemas/units.js';
import type { WhaleEvent } from '../schemas/whale-event.js';
import type { AlertInput } from './alert-of.js';
import { alertRules, type AlertRulesOptions } from './alert-rules.js';

const A = assetId('111');
const M = marketId('0xabc');
const RULES: AlertRulesOptions = {
  signalStrengths: ['STRONG'],
  fills: true,
  riskRules: ['daily_loss', 'kill_switch'],
  riskActions: ['trip'],
  arbitrageKinds: [],
  whaleKinds: ['large_trade'],
};

const signal = (id: string, strength: Strength): AlertInput => ({
  kind: 'signal',
  signal: {
    id, predictionId: 'p', assetId: A, market: M, ts: 1_000, direction: 'YES', strength,
    probability: 0.62, price: 480_000 as PriceMicros, edge: 0.12, confidence: 1, liquidity: 200_000_000 as SizeMicros,
  } satisfies Signal,
});
const fill: AlertInput = {
  kind: 'fill',
  fill: { id: 'fill:1', orderId: 'o1', assetId: A, market: M, ts: 2_000, direction: 'NO', price: 510_000 as PriceMicros, size: 10_000_000 as SizeMicros, fee: 120_000 as UsdMicros, unfilled: 0 as SizeMicros } satisfies Fill,
};
const risk = (id: string, rule: RiskEvent['rule'], action: RiskEvent['action']): AlertInput => ({
  kind: 'risk',
  risk: { id, ts: 3_000, rule, action, reason: `${rule} ${action}`, signalId: '', assetId: '', market: '', eventId: '' },
});
const whale = (kind: WhaleEvent['kind']): AlertInput => ({
  kind: 'whale',
  whale: {
    id: `whale:${kind}`, ts: 4_000, wallet: '0xw', assetId: A, market: M, size: 1 as SizeMicros, notional: 5_000_000_000 as UsdMicros, depthRatio: Number.NaN,
    kind, source: 'data_api', side: 'BUY', price: 500_000 as PriceMicros, walletVolume: 0 as UsdMicros, walletRealizedPnl: 0 as UsdMicros, walletRank: 2, position: 0 as SizeMicros,
  },
});

describe('alertRules', () => {
  it('keeps what the rules list, with severity by kind and id/dedupe key from the source event', () => {
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      const input = cold('a-b-c-d-e-f-g-h|', {
        a: signal('sig:1', 'STRONG'),
        b: signal('sig:2', 'MEDIUM'),
        c: fill,
        d: risk('risk:1', 'daily_loss', 'trip'),
        e: risk('risk:2', 'daily_loss', 'block'),
        f: risk('risk:3', 'market_cap', 'trip'),
        g: whale('large_trade'),
        h: whale('tracked_wallet'),
      });
      expectObservable(input.pipe(alertRules(RULES))).toBe('a---c-d-----g--|', {
        a: expect.objectContaining({ id: 'alert:sig:1', kind: 'signal', severity: 'warning', sourceEventId: 'sig:1', ts: 1_000 }),
        c: expect.objectContaining({ id: 'alert:fill:1', kind: 'fill', severity: 'info', ts: 2_000 }),
        d: expect.objectContaining({ id: 'alert:risk:1', kind: 'risk', severity: 'critical', title: 'Risk daily_loss: trip', body: 'daily_loss trip' }),
        g: expect.objectContaining({ id: 'alert:whale:large_trade', kind: 'whale', severity: 'warning' }),
      });
    });
  });

  it('gives the same alert for a redelivered event (delivery dedupes on its id)', () => {
    const got: Alert[] = [];
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold }) => {
      cold('ab|', { a: signal('sig:1', 'STRONG'), b: signal('sig:1', 'STRONG') })
        .pipe(alertRules(RULES))
        .subscribe((a) => got.push(a));
    });
    expect(got).toHaveLength(2);
    expect(got[1]).toEqual(got[0]);
    expect(got[0]?.body).toBe('edge 12.0% at 0.48 (model 62.0%), liquidity 200 shares; market 0xabc, asset 111');
  });
});
