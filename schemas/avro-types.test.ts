import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  avroSchemaDir,
  avroTypeFor,
  bookUpdateToAvro,
  decodeRecord,
  encodeRecord,
  parseAvroSchema,
} from './avro-types.js';
import type { AvroSchema } from './avro-types.js';
import type { BookUpdate } from './book-update.js';
import { FEATURE_NAMES, FEATURE_SPEC } from './feature-spec.js';
import { assetId, eventId, marketId } from './ids.js';
import { TOPICS, TOPIC_NAMES } from './topics.js';
import type { TopicName, TopicTypes } from './topics.js';
import type { PriceMicros, SizeMicros, UsdMicros } from './units.js';

const p = (n: number): PriceMicros => n as PriceMicros;
const s = (n: number): SizeMicros => n as SizeMicros;
const usd = (n: number): UsdMicros => n as UsdMicros;

const YES = assetId('21742633143463906290569050155826241533067272736897614950488156847949938836455');
const NO = assetId('48331043336612883890938759509493159234755048973500640148014422747788308965732');
const MARKET = marketId('0xdd22472e552920b8438158ea7238bfadfa4f736aa4cee91a6b86c39ead110917');
const MARKET_2 = marketId('0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1');
const EVENT = eventId('903193');
const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

const bookSnapshot: BookUpdate = {
  kind: 'snapshot',
  assetId: YES,
  market: MARKET,
  ts: T0,
  recvTs: T0 + 37,
  hash: '0x7f2ab1c4d09e8e5a3b6f1c2d4e5f60718293a4b5',
  bids: [
    { price: p(514_000), size: s(21_574_080_000) },
    { price: p(513_000), size: s(1_250_000_000) },
  ],
  asks: [
    { price: p(516_000), size: s(880_500_000) },
    { price: p(520_000), size: s(10_500_100_000_000) },
  ],
  tickSize: p(1_000),
};
const bookDelta: BookUpdate = {
  kind: 'delta',
  assetId: YES,
  market: MARKET,
  ts: T0 + 1_250,
  recvTs: T0 + 1_291,
  hash: '',
  changes: [
    { price: p(514_000), size: s(0), side: 'bid' },
    { price: p(515_000), size: s(300_000_000), side: 'ask' },
  ],
  bestBid: p(513_000),
  bestAsk: p(-1),
};
const bookTickSize: BookUpdate = {
  kind: 'tick_size',
  assetId: YES,
  market: MARKET,
  ts: T0 + 60_000,
  recvTs: T0 + 60_012,
  hash: '',
  oldTickSize: p(10_000),
  newTickSize: p(1_000),
};

const featureValues = FEATURE_NAMES.map((_, i) => (i % 7 === 3 ? NaN : i === 0 ? 0.515 : i * -0.125));

/** Hand-written, realistic records: one list per topic, typed so a missing or extra field fails to compile. */
const SAMPLES: { readonly [K in TopicName]: readonly TopicTypes[K][] } = {
  'pm.market.raw': [
    {
      recvTs: T0 + 37,
      payload: `[{"event_type":"book","asset_id":"${YES}","market":"${MARKET}","bids":[{"price":"0.514","size":"21574.08"}],"asks":[],"timestamp":"${T0}","hash":"0x7f2a"}]`,
    },
  ],
  'pm.book': [bookSnapshot, bookDelta, bookTickSize],
  'pm.trade': [
    {
      id: 'tr-9f1c2e7a',
      assetId: YES,
      market: MARKET,
      ts: T0 + 2_000,
      recvTs: T0 + 2_044,
      price: p(516_000),
      size: s(150_000_000),
      side: 'BUY',
      feeRateBps: 0,
    },
  ],
  'pm.market.meta': [
    {
      market: MARKET,
      eventId: EVENT,
      question: 'Will the Fed cut rates in March 2026?',
      slug: 'will-the-fed-cut-rates-in-march-2026',
      category: 'economics',
      outcomes: ['Yes', 'No'],
      assetIds: [YES, NO],
      tickSize: p(1_000),
      negRisk: true,
      startTs: T0 - 30 * 86_400_000,
      endTs: T0 + 78 * 86_400_000,
      ts: T0,
    },
  ],
  'pm.resolution': [{ market: MARKET, ts: T0 + 80 * 86_400_000, winningAssetId: NO, winningOutcome: 'No' }],
  'pm.wallet.trade': [
    {
      id: '0x3c5e9a1b7d2f4e6a8c0b1d3f5e7a9c2b4d6f8e0a1c3e5b7d9f2a4c6e8b0d1f3a-12',
      wallet: '0x56687bf447db6ffa42ffe2204a05edaa20f55839',
      assetId: YES,
      market: MARKET,
      ts: T0 + 3_000,
      side: 'SELL',
      price: p(512_000),
      size: s(48_000_000_000),
      transactionHash: '0x3c5e9a1b7d2f4e6a8c0b1d3f5e7a9c2b4d6f8e0a1c3e5b7d9f2a4c6e8b0d1f3a',
    },
  ],
  'news.item': [
    {
      id: 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9',
      url: 'https://www.reuters.com/markets/us/fed-signals-patience-rate-cuts-2026-01-01/',
      title: 'Fed signals patience on rate cuts — “no rush”, officials say',
      source: 'reuters',
      publishedTs: T0 - 3_600_000,
      recvTs: T0 - 3_540_000,
      sentiment: -0.375,
      markets: [MARKET, MARKET_2],
    },
  ],
  'dlq.ingest': [
    {
      source: 'ingest.market-channel',
      reason: 'price "1.2" out of [0, 1]',
      raw: '{"event_type":"price_change","price":"1.2"}',
      ts: T0 + 5,
    },
  ],
  'features.v1': [
    {
      id: `${YES}:${T0}:42`,
      assetId: YES,
      market: MARKET,
      ts: T0,
      specVersion: FEATURE_SPEC.version,
      values: featureValues,
      bestBid: p(514_000),
      bestAsk: p(-1),
      bidDepth: s(22_824_080_000),
      askDepth: s(0),
    },
  ],
  'prediction.v1': [
    {
      id: `pred:${YES}:${T0}:42`,
      featuresId: `${YES}:${T0}:42`,
      assetId: YES,
      market: MARKET,
      ts: T0,
      modelVersion: 'ensemble-2026.01.01-3f9c',
      pModel: 0.583_214_7,
      pMarket: NaN,
      confidence: 0.91,
      bestBid: p(514_000),
      bestAsk: p(-1),
      bidDepth: s(22_824_080_000),
      askDepth: s(0),
    },
  ],
  'signal.v1': [
    {
      id: `sig:${YES}:${T0}:42`,
      predictionId: `pred:${YES}:${T0}:42`,
      assetId: YES,
      market: MARKET,
      ts: T0,
      direction: 'NO',
      strength: 'MEDIUM',
      probability: 0.416_785_3,
      price: p(486_000),
      edge: -0.069_214_7,
      confidence: 0.91,
      liquidity: s(22_824_080_000),
    },
  ],
  'order.v1': [
    {
      id: `ord:${YES}:${T0}:42`,
      signalId: `sig:${YES}:${T0}:42`,
      assetId: YES,
      market: MARKET,
      ts: T0 + 1,
      direction: 'YES',
      limitPrice: p(520_000),
      size: s(96_153_846),
      stake: usd(50_000_000),
      kellyFraction: 0.25,
    },
  ],
  'fill.v1': [
    {
      id: `fill:ord:${YES}:${T0}:42:0`,
      orderId: `ord:${YES}:${T0}:42`,
      assetId: YES,
      market: MARKET,
      ts: T0 + 251,
      direction: 'YES',
      price: p(516_842),
      size: s(90_000_000),
      fee: usd(0),
      unfilled: s(6_153_846),
    },
  ],
  'portfolio.v1': [
    {
      id: `pf:paper:${T0 + 251}`,
      ts: T0 + 251,
      reason: 'fill',
      cash: usd(9_953_484_220),
      equity: usd(9_999_834_220),
      realizedPnl: usd(-12_500_000),
      unrealizedPnl: usd(-165_780),
      exposure: usd(46_515_780),
      peakEquity: usd(10_012_500_000),
      drawdown: 0.001_265_125,
      openPositions: 3,
    },
  ],
  'risk.event': [
    {
      id: `risk:${T0}:stale_book`,
      ts: T0 + 30_000,
      rule: 'stale_book',
      action: 'trip',
      reason: 'no book update for 30000 ms',
      signalId: '',
      assetId: '',
      market: MARKET,
      eventId: '',
    },
  ],
  'arbitrage.v1': [
    {
      id: `arb:${EVENT}:${T0}`,
      ts: T0,
      kind: 'neg_risk_buy',
      markets: [MARKET, MARKET_2],
      eventId: EVENT,
      edge: 0.012,
      size: s(250_000_000),
      expiresTs: T0 + 4_000,
      profit: usd(3_000_000),
      assetIds: [YES, NO],
      prices: [p(480_000), p(505_000)],
      limitPrices: [p(481_000), p(506_000)],
    },
  ],
  'whale.v1': [
    {
      id: 'whale:0x3c5e9a1b-12',
      ts: T0 + 3_000,
      wallet: '0x56687bf447db6ffa42ffe2204a05edaa20f55839',
      assetId: YES,
      market: MARKET,
      size: s(48_000_000_000),
      notional: usd(24_576_000_000),
      depthRatio: 2.103,
      kind: 'large_trade',
      source: 'data_api',
      side: 'SELL',
      price: p(512_000),
      walletVolume: usd(120_000_000_000),
      walletRealizedPnl: usd(-4_250_000_000),
      walletRank: 3,
      position: s(12_000_000_000),
    },
  ],
  'alert.v1': [
    {
      id: `alert:sig:${YES}:${T0}:42`,
      ts: T0 + 2,
      kind: 'signal',
      severity: 'warning',
      title: 'NO signal: Fed March cut',
      body: 'edge -6.9% at 0.486, liquidity 22824 shares',
      sourceEventId: `sig:${YES}:${T0}:42`,
    },
  ],
};

interface RecordSchema {
  readonly type: 'record';
  readonly name: string;
  readonly namespace: string;
  readonly fields: readonly { readonly name: string; readonly type: unknown; readonly doc?: string }[];
}

const readSchema = (name: string): RecordSchema =>
  JSON.parse(readFileSync(join(avroSchemaDir(), `${name}.avsc`), 'utf8')) as RecordSchema;

const avscFiles = readdirSync(avroSchemaDir()).filter((f) => f.endsWith('.avsc'));

describe('avro schemas', () => {
  it('has exactly one .avsc per distinct topic schema', () => {
    const expected = new Set(TOPIC_NAMES.map((t) => `${TOPICS[t].schema}.avsc`));
    expect(new Set(avscFiles)).toEqual(expected);
  });

  it.each(avscFiles)('%s is a valid polyflow record schema with documented fields', (file) => {
    const schema = readSchema(file.replace(/\.avsc$/, ''));
    expect(() => parseAvroSchema(schema as unknown as AvroSchema)).not.toThrow();
    expect(schema.type).toBe('record');
    expect(schema.namespace).toBe('polyflow');
    for (const field of schema.fields) expect(field.doc, `${file}: ${field.name}`).toMatch(/\S/);
  });

  it.each(TOPIC_NAMES)('%s: the samples and the schema have the same fields', (topic) => {
    const fields = new Set(readSchema(TOPICS[topic].schema).fields.map((f) => f.name));
    const keys = new Set(SAMPLES[topic].flatMap((sample) => Object.keys(sample)));
    expect(keys).toEqual(fields);
    for (const sample of SAMPLES[topic]) for (const key of Object.keys(sample)) expect(fields).toContain(key);
  });

  it.each(TOPIC_NAMES)('%s: every sample round-trips to an equal value', (topic) => {
    for (const sample of SAMPLES[topic]) {
      const decoded = decodeRecord(topic, encodeRecord(topic, sample));
      expect(decoded).toStrictEqual(sample);
    }
  });

  it('keeps NaN features and empty sides (-1) through a round trip', () => {
    const [vector] = SAMPLES['features.v1'];
    const decoded = decodeRecord('features.v1', encodeRecord('features.v1', vector!));
    expect(decoded.values).toHaveLength(FEATURE_NAMES.length);
    expect(Number.isNaN(decoded.values[3])).toBe(true);
    expect(decoded.values[0]).toBe(0.515);
    expect(decoded.bestAsk).toBe(-1);
  });

  it('caches one parsed type per schema', () => {
    expect(avroTypeFor('pm.trade')).toBe(avroTypeFor('pm.trade'));
  });
});

describe('pm.book mapping', () => {
  it('writes the fields of the other kinds as null', () => {
    expect(bookUpdateToAvro(bookTickSize)).toStrictEqual({
      kind: 'tick_size',
      assetId: YES,
      market: MARKET,
      ts: T0 + 60_000,
      recvTs: T0 + 60_012,
      hash: '',
      bids: null,
      asks: null,
      tickSize: null,
      changes: null,
      bestBid: null,
      bestAsk: null,
      oldTickSize: 10_000,
      newTickSize: 1_000,
    });
  });

  it('refuses a record that lacks a field its kind needs', () => {
    const broken = { ...bookUpdateToAvro(bookDelta), changes: null };
    const buf = avroTypeFor('pm.book').toBuffer(broken);
    expect(() => decodeRecord('pm.book', buf)).toThrow(/delta record has no changes/);
  });
});

describe('encode and decode errors', () => {
  it('names the topic and the field of a value that does not fit the schema', () => {
    const [trade] = SAMPLES['pm.trade'];
    const bad = { ...trade!, price: p(0.514) };
    expect(() => encodeRecord('pm.trade', bad)).toThrow(/pm\.trade: .* at price/);
  });

  it('refuses truncated bytes', () => {
    const [trade] = SAMPLES['pm.trade'];
    const buf = encodeRecord('pm.trade', trade!);
    expect(() => decodeRecord('pm.trade', buf.subarray(0, buf.length - 3))).toThrow();
  });
});

describe('schema evolution (new fields optional with a default)', () => {
  const v1Schema = readSchema('pm.trade');
  const v1 = avroTypeFor('pm.trade');
  const v2 = parseAvroSchema({
    ...v1Schema,
    fields: [
      ...v1Schema.fields,
      { name: 'makerOrderId', type: ['null', 'string'], default: null, doc: 'Added in v2.' },
    ],
  } as unknown as AvroSchema);
  const [trade] = SAMPLES['pm.trade'];

  it('a v2 reader reads a v1 record, the new field at its default', () => {
    const decoded: unknown = v2.fromBuffer(encodeRecord('pm.trade', trade!), v2.createResolver(v1));
    expect({ ...(decoded as object) }).toStrictEqual({ ...trade!, makerOrderId: null });
  });

  it('a v1 reader reads a v2 record, dropping the new field', () => {
    const buf = v2.toBuffer({ ...trade!, makerOrderId: '0xabc123' });
    const decoded: unknown = v1.fromBuffer(buf, v1.createResolver(v2));
    expect({ ...(decoded as object) }).toStrictEqual(trade);
  });

  it('a field added without a default cannot read old records', () => {
    const v2Required = parseAvroSchema({
      ...v1Schema,
      fields: [...v1Schema.fields, { name: 'makerOrderId', type: 'string' }],
    } as unknown as AvroSchema);
    expect(() => v2Required.createResolver(v1)).toThrow();
  });
});
