import { describe, expect, it } from 'vitest';
import type { FeatureVector } from '../../schemas/feature-vector.js';
import { assetId, marketId } from '../../schemas/ids.js';
import type { PriceMicros, SizeMicros } from '../../schemas/units.js';
import { TopOfBookSampler } from './top-of-book-sampler.js';

const vector = (asset: string, ts: number, bid = 400_000): FeatureVector => ({
  id: `${asset}:${ts}`,
  assetId: assetId(asset),
  market: marketId('0xm'),
  ts,
  recvTs: ts,
  specVersion: 'v',
  values: [],
  bestBid: bid as PriceMicros,
  bestAsk: 410_000 as PriceMicros,
  bidDepth: 1 as SizeMicros,
  askDepth: 2 as SizeMicros,
});

describe('TopOfBookSampler', () => {
  it('keeps at most one sample per asset per interval of event time', () => {
    const sampler = new TopOfBookSampler(1_000);
    const kept = [vector('a', 0), vector('a', 500), vector('b', 600), vector('a', 1_000), vector('a', 1_999), vector('a', 900), vector('a', 2_000), vector('b', 1_599), vector('b', 1_600)]
      .filter((v) => sampler.sample(v) !== undefined)
      .map((v) => `${v.assetId}@${v.ts}`);
    expect(kept).toEqual(['a@0', 'b@600', 'a@1000', 'a@2000', 'b@1600']);
  });

  it('gives the row of the book_top table', () => {
    expect(new TopOfBookSampler(0).sample(vector('a', 5, -1))).toEqual({
      asset_id: 'a',
      market: '0xm',
      ts: 5,
      best_bid: -1,
      best_ask: 410_000,
      bid_depth: 1,
      ask_depth: 2,
    });
  });
});
