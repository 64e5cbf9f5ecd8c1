import type { Resolution } from '../../schemas/resolution.js';

/**
 * A resolution learnt from Gamma, written as the market channel's own `market_resolved` event
 * (POLYMARKET.md B.1, custom feature: `market`, `assets_ids`, `winning_asset_id`,
 * `winning_outcome`, `timestamp`) plus `"polyflow_source":"gamma"`. As a frame it goes through
 * ingest into `pm.resolution` and into a recording like any other, so a replay sees it too.
 */
export function marketResolvedFrame(resolution: Resolution, assetIds: readonly string[]): string {
  return JSON.stringify({
    event_type: 'market_resolved',
    market: resolution.market,
    assets_ids: assetIds,
    winning_asset_id: resolution.winningAssetId,
    winning_outcome: resolution.winningOutcome,
    timestamp: String(resolution.ts),
    polyflow_source: 'gamma',
  });
}
