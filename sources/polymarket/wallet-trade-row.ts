/**
 * One Data API `/trades` row (POLYMARKET.md B.6: `proxyWallet, side, asset, conditionId, size,
 * price, timestamp (s), ..., transactionHash`) -> WalletTrade, or the reason it is refused.
 * `size` and `price` arrive as JSON numbers (decimal strings are accepted too) and become integer
 * micro-units; `timestamp` is in seconds; `side` may be lower-case (normalised as in B.1).
 */
import type { AssetId, MarketId } from '../../schemas/ids.js';
import type { TradeSide } from '../../schemas/trade.js';
import { MICROS, parseMicros, type PriceMicros, type SizeMicros } from '../../schemas/units.js';
import type { WalletTrade } from '../../schemas/wallet-trade.js';

export type WalletTradeRowResult = { ok: true; trade: Omit<WalletTrade, 'id'>; key: string } | { ok: false; reason: string };

export function parseWalletTradeRow(row: unknown): WalletTradeRowResult {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return { ok: false, reason: 'row: expected object' };
  const r = row as Record<string, unknown>;
  const wallet = r.proxyWallet;
  if (typeof wallet !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(wallet)) return { ok: false, reason: `proxyWallet: not an address: ${show(wallet)}` };
  const asset = r.asset;
  if (typeof asset !== 'string' || !/^[0-9]{1,100}$/.test(asset)) return { ok: false, reason: `asset: not a token id: ${show(asset)}` };
  const market = r.conditionId;
  if (typeof market !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(market)) return { ok: false, reason: `conditionId: not a condition id: ${show(market)}` };
  const side = typeof r.side === 'string' ? r.side.toUpperCase() : '';
  if (side !== 'BUY' && side !== 'SELL') return { ok: false, reason: `side: expected BUY or SELL: ${show(r.side)}` };
  const price = micros(r.price);
  if (!(price > 0 && price < MICROS)) return { ok: false, reason: `price: not a price in (0,1): ${show(r.price)}` };
  const size = micros(r.size);
  if (!(size > 0)) return { ok: false, reason: `size: not a positive size: ${show(r.size)}` };
  const seconds = typeof r.timestamp === 'number' ? r.timestamp : typeof r.timestamp === 'string' ? Number(r.timestamp) : NaN;
  if (!(Number.isSafeInteger(seconds) && seconds > 0)) return { ok: false, reason: `timestamp: not epoch seconds: ${show(r.timestamp)}` };
  const tx = typeof r.transactionHash === 'string' ? r.transactionHash : '';
  return {
    ok: true,
    key: `${tx}:${asset}:${wallet.toLowerCase()}:${side}:${price}:${size}`,
    trade: {
      wallet: wallet.toLowerCase(),
      assetId: asset as AssetId,
      market: market as MarketId,
      ts: seconds * 1000,
      side: side as TradeSide,
      price: price as PriceMicros,
      size: size as SizeMicros,
      transactionHash: tx,
    },
  };
}

/** A JSON number or decimal string -> micro-units; NaN when not representable. */
function micros(v: unknown): number {
  if (typeof v === 'string') return parseMicros(v);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return NaN;
  const m = Math.round(v * MICROS);
  return Number.isSafeInteger(m) ? m : NaN;
}

function show(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
