// Hand-written, realistic records of every topic (shared by the Avro unit tests and the Kafka integration tests).
import { FEATURE_NAMES } from '../../schemas/feature-spec.js';
import type { BookUpdate } from '../../schemas/book-update.js';
import { assetId, eventId, marketId } from '../../schemas/ids.js';
import type { TopicName, TopicTypes } from '../../schemas/topics.js';
import type { PriceMicros, SizeMicros, UsdMicros } from '../../schemas/units.js';
import { FEATURE_SPEC } from '../../schemas/feature-spec.js';


export const p = (n: number): PriceMicros => n as PriceMicros;
export const s = (n: number): SizeMicros => n as SizeMicros;
export const usd = (n: number): UsdMicros => n as UsdMicros;

export const YES = assetId('21742633143463906290569050155826241533067272736897614950488156847949938836455');
export const NO = assetId('48331043336612883890938759509493159234755048973500640148014422747788308965732');
export const MARKET = marketId('0xdd22472e552920b8438158ea7238bfadfa4f736aa4cee91a6b86c39ead110917');
export const MARKET_2 = marketId('0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1');
export const EVENT = eventId('903193');
export const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

export const bookSnapshot: BookUpdate = {
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
export const bookDelta: BookUpdate = {
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
export const bookTickSize: BookUpdate = {
  kind: 'tick_size',
  assetId: YES,
  market: MARKET,
  ts: T0 + 60_000,
  recvTs: T0 + 60_012,
  hash: '',
  oldTickSize: p(10_000),
  newTickSize: p(1_000),
};

export const featureValues = FEATURE_NAMES.map((_, i) => (i % 7 === 3 ? NaN : i === 0 ? 0.515 : i * -0.125));

/** Hand-written, realistic records: one list per topic, typed so a missing or extra field fails to compile. */
export const SAMPLES: { readonly [K in TopicName]: readonly TopicTypes[K][] } = {
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
      recvTs: T0 + 3,
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
      dueTs: T0 + 1_003,
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
  'dlq.alerts': [
    {
      source: 'alerts.webhook.ops-slack',
      reason: 'HTTP 404 (not retried)',
      raw: `{"id":"alert:sig:${YES}:${T0}:42"}`,
      ts: T0 + 2,
    },
  ],
};
