import { describe, expect, it } from 'vitest';
import { gammaResolution, parseGammaMarket, parseIsoMillis } from './gamma-market.js';

// A Gamma market object in the documented shape (POLYMARKET.md B.4), with full-length ids.
const YES = '76041398582478493462466219396214431575196530094542097218262412099618735526425';
const NO = '31693489046281651829618186012419219416745712098744567373519866779005478212770';
const CONDITION = '0x311d0c4b6671ab54af4970c06fcf58662516f5168997bdda209ec3db5aa6b0c1';
const RECV = 1_767_225_609_999;

const market = {
  id: '1031769',
  question: 'Will X happen by June 30?',
  conditionId: CONDITION,
  slug: 'will-x-happen-by-june-30',
  outcomes: '["Yes", "No"]',
  outcomePrices: '["0.43", "0.57"]',
  clobTokenIds: `["${YES}", "${NO}"]`,
  volumeNum: 1843221.55,
  volume24hr: 60211.4,
  liquidityNum: 48210.2,
  startDate: '2026-01-05T16:20:00.123456Z',
  endDate: '2026-06-30T12:00:00Z',
  closedTime: null,
  active: true,
  closed: false,
  acceptingOrders: true,
  enableOrderBook: true,
  orderPriceMinTickSize: 0.01,
  orderMinSize: 5,
  negRisk: false,
  bestBid: 0.42,
  bestAsk: 0.44,
  spread: 0.02,
  lastTradePrice: 0.43,
  umaResolutionStatus: null,
  feesEnabled: true,
  events: [{ id: '125819', slug: 'x-event', title: 'X?' }],
};

function meta(raw: unknown) {
  const r = parseGammaMarket(raw, RECV);
  if (!r.ok) throw new Error(`expected ok, got: ${r.reason}`);
  return r.meta;
}

function reason(raw: unknown): string {
  const r = parseGammaMarket(raw, RECV);
  if (r.ok) throw new Error('expected a rejection');
  return r.reason;
}

describe('parseGammaMarket', () => {
  it('maps the documented market object to MarketMeta', () => {
    expect(meta(market)).toEqual({
      market: CONDITION,
      eventId: '125819',
      question: 'Will X happen by June 30?',
      slug: 'will-x-happen-by-june-30',
      category: 'other',
      outcomes: ['Yes', 'No'],
      assetIds: [YES, NO],
      tickSize: 10_000,
      negRisk: false,
      startTs: Date.UTC(2026, 0, 5, 16, 20, 0, 123),
      endTs: Date.UTC(2026, 5, 30, 12, 0, 0),
      ts: RECV,
    });
  });

  it('carries no look-ahead field (volume, closed time, final prices)', () => {
    const m = meta({ ...market, closed: true, closedTime: '2026-06-30 13:00:00+00', outcomePrices: '["1", "0"]' });
    expect(Object.keys(m).sort()).toEqual(
      ['assetIds', 'category', 'endTs', 'eventId', 'market', 'negRisk', 'outcomes', 'question', 'slug', 'startTs', 'tickSize', 'ts'].sort(),
    );
    expect(JSON.stringify(m)).not.toMatch(/1843221|60211|closed|outcomePrices/);
  });

  it('converts tick sizes exactly, including 0.001, 0.0025 and 0.0001', () => {
    expect(meta({ ...market, orderPriceMinTickSize: 0.001 }).tickSize).toBe(1_000);
    expect(meta({ ...market, orderPriceMinTickSize: 0.0025 }).tickSize).toBe(2_500);
    expect(meta({ ...market, orderPriceMinTickSize: 0.0001 }).tickSize).toBe(100);
    expect(meta({ ...market, orderPriceMinTickSize: '0.005' }).tickSize).toBe(5_000);
    expect(meta({ ...market, orderPriceMinTickSize: undefined }).tickSize).toBe(0);
  });

  it('reads negRisk, and the category from the field, the event or the tags, lower-cased', () => {
    expect(meta({ ...market, negRisk: true }).negRisk).toBe(true);
    expect(meta({ ...market, negRisk: undefined }).negRisk).toBe(false);
    expect(meta({ ...market, category: 'Politics' }).category).toBe('politics');
    expect(meta({ ...market, category: 'Pop Culture' }).category).toBe('culture');
    // Aliases and paths map to the fee and feature categories; an unknown name is kept, normalised.
    expect(meta({ ...market, category: 'sports/mlb' }).category).toBe('sports');
    expect(meta({ ...market, category: 'Elections' }).category).toBe('politics');
    expect(meta({ ...market, category: 'Economy' }).category).toBe('economics');
    expect(meta({ ...market, category: 'Coronavirus' }).category).toBe('coronavirus');
    expect(meta({ ...market, category: '' }).category).toBe('other');
    expect(meta({ ...market, tags: [{ id: '2', label: 'Joe Biden', slug: 'joe-biden' }, { id: '1', label: 'Crypto', slug: 'crypto' }] }).category).toBe('crypto');
    expect(meta({ ...market, tags: ['Trump', 'Politics'] }).category).toBe('politics');
    expect(meta({ ...market, tags: [{ label: 'Weird', slug: 'weird' }] }).category).toBe('other');
    expect(meta({ ...market, events: [{ id: '9', category: 'Sports' }] }).category).toBe('sports');
    expect(meta({ ...market, events: [{ id: '9', tags: [{ label: 'Weather', slug: 'weather' }] }] }).category).toBe('weather');
  });

  it('falls back to the market id for the event id, to createdAt and endDateIso for dates', () => {
    expect(meta({ ...market, events: undefined }).eventId).toBe('1031769');
    expect(meta({ ...market, events: [] }).eventId).toBe('1031769');
    expect(meta({ ...market, events: [{ id: 125819 }] }).eventId).toBe('125819');
    expect(meta({ ...market, startDate: undefined, createdAt: '2025-12-31T23:59:59Z' }).startTs).toBe(Date.UTC(2025, 11, 31, 23, 59, 59));
    expect(meta({ ...market, endDate: null, endDateIso: '2026-06-30' }).endTs).toBe(Date.UTC(2026, 5, 30));
  });

  it('accepts outcomes and clobTokenIds already decoded into arrays', () => {
    expect(meta({ ...market, outcomes: ['Yes', 'No'], clobTokenIds: [YES, NO] }).assetIds).toEqual([YES, NO]);
  });

  it.each([
    ['a non-object', null, '(record): '],
    ['an empty conditionId', { ...market, conditionId: '' }, 'conditionId: not a 0x-prefixed 32-byte hex id'],
    ['a missing conditionId', { ...market, conditionId: undefined }, 'conditionId: '],
    ['a missing question', { ...market, question: undefined }, 'question: '],
    ['a missing id', { ...market, id: undefined }, 'id: '],
    ['outcomes that are not JSON', { ...market, outcomes: 'Yes,No' }, 'outcomes: not a JSON-encoded array: "Yes,No"'],
    ['outcomes that are a JSON object', { ...market, outcomes: '{"a":1}' }, 'outcomes: not a JSON-encoded array: '],
    ['a single outcome', { ...market, outcomes: '["Yes"]', clobTokenIds: `["${YES}"]` }, 'outcomes: expected at least 2, got 1'],
    ['a missing clobTokenIds', { ...market, clobTokenIds: undefined }, 'clobTokenIds: '],
    ['fewer token ids than outcomes', { ...market, clobTokenIds: `["${YES}"]` }, 'clobTokenIds: 1 ids for 2 outcomes'],
    ['an empty token id', { ...market, clobTokenIds: `["${YES}", ""]` }, 'clobTokenIds[1]: expected a non-empty string, got ""'],
    ['a non-decimal token id', { ...market, clobTokenIds: `["${YES}", "0xabc"]` }, 'clobTokenIds[1]: not a decimal token id: "0xabc"'],
    ['a tick finer than a micro', { ...market, orderPriceMinTickSize: 0.0000005 }, 'orderPriceMinTickSize: not a tick in (0,1): 5e-7'],
    ['a tick of 1', { ...market, orderPriceMinTickSize: 1 }, 'orderPriceMinTickSize: not a tick in (0,1): 1'],
    ['no start date', { ...market, startDate: undefined }, 'startDate: missing (and no createdAt)'],
    ['a bad start date', { ...market, startDate: 'yesterday' }, 'startDate: not an ISO date: "yesterday"'],
    ['no end date', { ...market, endDate: undefined }, 'endDate: missing (and no endDateIso)'],
    ['an impossible end date', { ...market, endDate: '2026-02-30T00:00:00Z' }, 'endDate: not an ISO date: "2026-02-30T00:00:00Z"'],
  ])('rejects %s', (_name, raw, expected) => {
    const r = reason(raw);
    if (expected.endsWith(': ')) expect(r.startsWith(expected)).toBe(true);
    else expect(r).toBe(expected);
  });
});

describe('gammaResolution', () => {
  const closed = { ...market, closed: true, umaResolutionStatus: 'resolved', outcomePrices: '["1", "0"]', closedTime: '2026-06-30 13:05:09+00' };

  it('resolves a closed, resolved binary market to the token priced 1, at closedTime', () => {
    expect(gammaResolution(closed)).toEqual({
      resolution: { market: CONDITION, ts: Date.UTC(2026, 5, 30, 13, 5, 9), winningAssetId: YES, winningOutcome: 'Yes' },
    });
    expect(gammaResolution({ ...closed, umaResolutionStatus: 'settled', outcomePrices: '["0", "1"]' })).toEqual({
      resolution: { market: CONDITION, ts: Date.UTC(2026, 5, 30, 13, 5, 9), winningAssetId: NO, winningOutcome: 'No' },
    });
  });

  it('accepts an absent status when the prices are already a binary payout', () => {
    expect(gammaResolution({ ...closed, umaResolutionStatus: null }).resolution?.winningAssetId).toBe(YES);
    expect(gammaResolution({ ...closed, umaResolutionStatus: undefined, outcomePrices: '["0.0", "1.0"]' }).resolution?.winningAssetId).toBe(NO);
  });

  it.each([
    ['an open market', { ...market }, 'not closed'],
    ['a proposed (not final) resolution', { ...closed, umaResolutionStatus: 'proposed' }, 'umaResolutionStatus: not final: "proposed"'],
    ['a disputed resolution', { ...closed, umaResolutionStatus: 'disputed' }, 'umaResolutionStatus: not final: "disputed"'],
    ['a 50-50 resolution', { ...closed, outcomePrices: '["0.5", "0.5"]' }, '50-50 resolution: outcomePrices ["0.5","0.5"]'],
    ['the legacy 0/0 shape', { ...closed, outcomePrices: '["0", "0"]' }, 'outcomePrices: not a binary payout: ["0","0"]'],
    ['closed but still trading prices', { ...closed, umaResolutionStatus: null, outcomePrices: '["0.97", "0.03"]' }, 'outcomePrices: not a binary payout: ["0.97","0.03"]'],
    [
      'a non-binary market',
      { ...closed, outcomes: '["A","B","C"]', clobTokenIds: `["1","2","3"]`, outcomePrices: '["1","0","0"]' },
      'non-binary: 3 outcomes, 3 token ids, 3 prices',
    ],
    ['no closedTime', { ...closed, closedTime: undefined }, 'closedTime: missing'],
    ['a bad closedTime', { ...closed, closedTime: 'later' }, 'closedTime: not an ISO date: "later"'],
    ['no outcomePrices', { ...closed, outcomePrices: undefined }, 'outcomePrices: '],
  ])('gives null with a reason for %s', (_name, raw, expected) => {
    const r = gammaResolution(raw);
    expect(r.resolution).toBeNull();
    if (r.resolution !== null) return;
    if (expected.endsWith(': ')) expect(r.reason.startsWith(expected)).toBe(true);
    else expect(r.reason).toBe(expected);
  });
});

describe('parseIsoMillis', () => {
  it.each([
    ['2026-06-30T12:00:00Z', Date.UTC(2026, 5, 30, 12)],
    ['2026-06-30T12:00:00.5Z', Date.UTC(2026, 5, 30, 12, 0, 0, 500)],
    ['2024-01-04T22:47:28.921631Z', Date.UTC(2024, 0, 4, 22, 47, 28, 921)],
    ['2025-01-07 17:11:24+00', Date.UTC(2025, 0, 7, 17, 11, 24)],
    ['2025-01-07T19:11:24+02:00', Date.UTC(2025, 0, 7, 17, 11, 24)],
    ['2025-01-07T12:11:24-0500', Date.UTC(2025, 0, 7, 17, 11, 24)],
    ['2025-01-07T17:11:24', Date.UTC(2025, 0, 7, 17, 11, 24)],
    ['2024-02-29', Date.UTC(2024, 1, 29)],
  ])('%s', (text, expected) => {
    expect(parseIsoMillis(text)).toBe(expected);
  });

  it.each(['', 'June 30', '2026', '2026-13-01', '2026-02-29', '2026-06-30T24:00:00Z', '2026-06-30T12:00:00Zjunk'])('refuses %j', (text) => {
    expect(parseIsoMillis(text)).toBeNaN();
  });
});
