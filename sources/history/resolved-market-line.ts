/**
 * One Gamma market object -> a markets.jsonl line, or the reason it cannot be one. Identity,
 * outcomes, tokens, category and dates come from parseGammaMarket; the winner from gammaResolution
 * (POLYMARKET.md B.4 "Reading resolution", option 2: closed + umaResolutionStatus resolved/settled
 * + a binary outcomePrices payout; "50-50" payouts are voided markets; NautilusTrader's strict
 * two-outcome rule). The rest (event, tags, volume, liquidity) is read here from the raw record.
 */
import { gammaResolution, parseGammaMarket, parseIsoMillis } from '../polymarket/gamma-market.js';
import type { MarketLine, SkipReason } from './history-records.js';

export type ResolvedMarketResult =
  | { ok: true; line: MarketLine; startMs: number; closeMs: number }
  | { ok: false; marketId: string; reason: SkipReason; detail: string };

export function resolvedMarketLine(raw: unknown): ResolvedMarketResult {
  const rec = isRecord(raw) ? raw : {};
  const marketId = typeof rec.id === 'string' || typeof rec.id === 'number' ? String(rec.id) : '';
  const parsed = parseGammaMarket(raw, 0);
  if (!parsed.ok) return { ok: false, marketId, reason: 'malformed', detail: parsed.reason };
  const meta = parsed.meta;
  const resolved = gammaResolution(raw);
  if (resolved.resolution === null) return { ok: false, marketId, ...classify(resolved.reason) };
  const { resolution } = resolved;

  const event = Array.isArray(rec.events) && isRecord(rec.events[0]) ? rec.events[0] : undefined;
  const outcomes = [...meta.outcomes];
  const yesNo = outcomes.length === 2 && outcomes[0]?.toLowerCase() === 'yes' && outcomes[1]?.toLowerCase() === 'no';
  const line: MarketLine = {
    market_id: marketId,
    condition_id: meta.market,
    question: meta.question,
    market_slug: meta.slug,
    event_id: idText(event?.id),
    event_slug: text(event?.slug),
    event_title: text(event?.title),
    category: meta.category,
    tags: tagSlugs(rec.tags, event?.tags),
    end_date: isoSeconds(meta.endTs),
    closed_time: isoSeconds(resolution.ts),
    start_date: isoSeconds(meta.startTs),
    volume: usd(rec.volumeNum, rec.volume),
    liquidity: usd(rec.liquidityNum, rec.liquidity),
    neg_risk: meta.negRisk,
    outcomes,
    token_ids: [...meta.assetIds],
    winning_outcome: resolution.winningOutcome,
    yes_resolved: yesNo ? (resolution.winningOutcome.toLowerCase() === 'yes' ? 1 : 0) : null,
    uma_resolution_status: text(rec.umaResolutionStatus),
    flags: [],
  };
  return { ok: true, line, startMs: meta.startTs, closeMs: resolution.ts };
}

/** When a market closed for the --since/--until window: closedTime, else endDate; NaN if neither reads. */
export function closedAtMillis(raw: unknown): number {
  if (!isRecord(raw)) return NaN;
  for (const field of ['closedTime', 'endDate', 'endDateIso']) {
    const v = raw[field];
    if (typeof v === 'string') {
      const ms = parseIsoMillis(v);
      if (!Number.isNaN(ms)) return ms;
    }
  }
  return NaN;
}

/** Lifetime volume for --min-volume; null when the record has none. */
export function volumeUsd(raw: unknown): number | null {
  return isRecord(raw) ? usd(raw.volumeNum, raw.volume) : null;
}

/** gammaResolution's reasons, mapped to the skip reasons the manifest counts. */
function classify(reason: string): { reason: SkipReason; detail: string } {
  if (reason.startsWith('50-50')) return { reason: 'voided_50_50', detail: reason };
  if (reason === 'not closed') return { reason: 'not_closed', detail: reason };
  if (reason.startsWith('umaResolutionStatus')) return { reason: 'not_final', detail: reason };
  if (reason.startsWith('non-binary')) return { reason: 'non_binary', detail: reason };
  if (reason.startsWith('outcomePrices')) return { reason: 'no_winner', detail: reason };
  if (reason.startsWith('closedTime')) return { reason: 'no_closed_time', detail: reason };
  return { reason: 'malformed', detail: reason };
}

/** Epoch ms -> "2025-11-01T16:00:00Z" (milliseconds only when present), as in the shared data. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

function usd(num: unknown, textValue: unknown): number | null {
  if (typeof num === 'number' && Number.isFinite(num)) return num;
  if (typeof textValue === 'string' && textValue.trim() !== '') {
    const n = Number(textValue);
    if (Number.isFinite(n)) return n;
  }
  if (typeof textValue === 'number' && Number.isFinite(textValue)) return textValue;
  return null;
}

/** Tag slugs (else labels) of the market, else of its event; Gamma's catch-all "all" left out. */
function tagSlugs(own: unknown, ofEvent: unknown): string[] {
  const list = Array.isArray(own) && own.length > 0 ? own : Array.isArray(ofEvent) ? ofEvent : [];
  const slugs: string[] = [];
  for (const tag of list) {
    const name = typeof tag === 'string' ? tag : isRecord(tag) ? (text(tag.slug) ?? text(tag.label)) : null;
    if (name !== null && name !== 'all' && !slugs.includes(name)) slugs.push(name);
  }
  return slugs;
}

function idText(v: unknown): string | null {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return text(v);
}

function text(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
