import type { FeatureVector } from '../../schemas/feature-vector.js';
import type { AssetId } from '../../schemas/ids.js';
import type { Row } from './clickhouse-sink.js';

/**
 * Top-of-book samples for the `book_top` table, taken from feature vectors (which carry the best
 * bid and ask after every book update): at most one per asset per `intervalMs` of event time, so
 * the table grows with time and assets, not with the update rate. A vector stamped before the
 * asset's last sample is ignored.
 */
export class TopOfBookSampler {
  private readonly last = new Map<AssetId, number>();

  constructor(private readonly intervalMs: number) {}

  sample(f: FeatureVector): Row | undefined {
    const prev = this.last.get(f.assetId);
    if (prev !== undefined && f.ts < prev + Math.max(1, this.intervalMs)) return undefined;
    this.last.set(f.assetId, f.ts);
    return {
      asset_id: f.assetId,
      market: f.market,
      ts: f.ts,
      best_bid: f.bestBid,
      best_ask: f.bestAsk,
      bid_depth: f.bidDepth,
      ask_depth: f.askDepth,
    };
  }
}
