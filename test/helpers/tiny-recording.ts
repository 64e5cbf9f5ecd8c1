import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Ids of the one-market recording below. */
export const TINY = {
  market: `0x${'ab'.repeat(32)}`,
  yes: '1'.repeat(77),
  no: '2'.repeat(77),
  t0: Date.UTC(2026, 0, 5, 12),
} as const;

const level = (price: string, size: string) => ({ price, size });

/**
 * A hand-written recording of one binary market: a snapshot of each token, level changes, trades,
 * malformed frames of every kind, then the resolution. Valid frames surround every bad one, so a
 * test can tell that a bad frame did not stop or skip anything after it.
 */
export function writeTinyRecording(dir: string, opts: { malformed: boolean }): { frames: number; malformed: number } {
  mkdirSync(dir, { recursive: true });
  const { market, yes, no, t0 } = TINY;
  const gamma = {
    id: '501',
    conditionId: market,
    questionID: `0x${'cd'.repeat(32)}`,
    question: 'Will the test pass?',
    slug: 'will-the-test-pass',
    category: 'Politics',
    outcomes: '["Yes","No"]',
    clobTokenIds: JSON.stringify([yes, no]),
    orderPriceMinTickSize: 0.01,
    orderMinSize: 5,
    negRisk: false,
    active: true,
    closed: false,
    startDate: new Date(t0 - 86_400_000).toISOString(),
    endDate: new Date(t0 + 3_600_000).toISOString(),
    events: [{ id: '9001', slug: 'test-event', title: 'Test event' }],
  };
  writeFileSync(join(dir, 'markets.jsonl'), `${JSON.stringify({ recvTs: t0 - 1, market: gamma })}\n`);
  const valid: Array<[number, unknown]> = [
    [t0, { event_type: 'book', market, asset_id: yes, timestamp: String(t0), hash: 'h1', tick_size: '0.01',
      bids: [level('0.40', '1000'), level('0.39', '500')], asks: [level('0.42', '800'), level('0.43', '2000')] }],
    [t0 + 1, { event_type: 'book', market, asset_id: no, timestamp: String(t0 + 1), hash: 'h2', tick_size: '0.01',
      bids: [level('0.58', '800'), level('0.57', '2000')], asks: [level('0.60', '1000'), level('0.61', '500')] }],
    [t0 + 1_000, { event_type: 'price_change', market, timestamp: String(t0 + 1_000), price_changes: [
      { asset_id: yes, price: '0.41', size: '300', side: 'BUY', hash: 'h3', best_bid: '0.41', best_ask: '0.42' },
      { asset_id: no, price: '0.59', size: '300', side: 'SELL', hash: 'h4', best_bid: '0.58', best_ask: '0.59' }] }],
    [t0 + 2_000, { event_type: 'last_trade_price', market, asset_id: yes, price: '0.42', size: '150', side: 'BUY', fee_rate_bps: '0', timestamp: String(t0 + 2_000) }],
    [t0 + 3_000, { event_type: 'tick_size_change', market, asset_id: yes, old_tick_size: '0.01', new_tick_size: '0.001', timestamp: String(t0 + 3_000) }],
    [t0 + 4_000, { event_type: 'book', market, asset_id: yes, timestamp: String(t0 + 4_000), hash: 'h5', tick_size: '0.001',
      bids: [level('0.405', '900')], asks: [level('0.415', '700')] }],
    [t0 + 3_600_000, { event_type: 'market_resolved', id: '501', market, assets_ids: [yes, no], winning_asset_id: yes, winning_outcome: 'Yes', timestamp: String(t0 + 3_600_000), tags: [] }],
  ];
  const bad: Array<[number, string]> = [
    [t0 + 500, '{"event_type":"book","market":"0x1",'],
    [t0 + 1_500, JSON.stringify({ event_type: 'mystery', market })],
    [t0 + 2_500, JSON.stringify({ event_type: 'last_trade_price', market, asset_id: yes, price: 'abc', size: '1', side: 'BUY', timestamp: String(t0 + 2_500) })],
    [t0 + 2_600, JSON.stringify({ event_type: 'price_change', market, timestamp: String(t0 + 2_600), price_changes: [{ asset_id: yes, price: '0.40', size: '-5', side: 'BUY', hash: 'x', best_bid: '0.40', best_ask: '0.42' }] })],
    [t0 + 2_700, JSON.stringify({ event_type: 'last_trade_price', market, price: '0.42', size: '1', side: 'SELL', timestamp: String(t0 + 2_700) })],
  ];
  const lines = [...valid.map(([ts, f]): [number, string] => [ts, JSON.stringify(f)]), ...(opts.malformed ? bad : [])]
    .sort((a, b) => a[0] - b[0])
    .map(([ts, frame]) => `${ts + 20}\t${frame}`);
  writeFileSync(join(dir, 'market-ws-0000.log'), `${lines.join('\n')}\n`);
  return { frames: lines.length, malformed: opts.malformed ? bad.length : 0 };
}
