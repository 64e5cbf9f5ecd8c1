import type { AssetId, MarketId } from './ids.js';

/** Topic `pm.resolution` (key: market): a market resolved; the winning token pays 1. */
export interface Resolution {
  readonly market: MarketId;
  readonly ts: number;
  readonly winningAssetId: AssetId;
  readonly winningOutcome: string;
}
