/**
 * Gamma market records (`https://gamma-api.polymarket.com/markets`, POLYMARKET.md B.4) -> MarketMeta,
 * and the resolution a closed Gamma record implies. Cold path (a few records per second at most),
 * so zod checks the structure; derived fields are checked by hand.
 *
 * Behaviour followed (B.4): `outcomes`, `outcomePrices` and `clobTokenIds` are JSON-encoded strings
 * and are parsed twice (a decoded array is accepted too); `conditionId` "" is refused (it keys
 * `pm.market.meta`). Look-ahead fields (lifetime volume, `closedTime`, final `outcomePrices`) are
 * never copied into MarketMeta. Resolution: closed + `umaResolutionStatus` resolved/settled with
 * binary-shaped `outcomePrices`, following NautilusTrader's strict rule (exactly two outcomes and
 * two token ids); "50-50" and non-binary payouts yield no Resolution.
 */
import { z } from 'zod';
import type { AssetId, EventId, MarketId } from '../../schemas/ids.js';
import type { MarketMeta } from '../../schemas/market-meta.js';
import type { Resolution } from '../../schemas/resolution.js';
import { MICROS, parseMicros, type PriceMicros } from '../../schemas/units.js';

export type GammaMarketResult = { ok: true; meta: MarketMeta } | { ok: false; reason: string };
export type GammaResolutionResult = { resolution: Resolution } | { resolution: null; reason: string };

/**
 * Canonical categories: the fee categories of POLYMARKET.md fact 9 plus Gamma's other top-level
 * ones, with the names and paths Gamma and older records use for them ("sports/mlb", "Pop Culture",
 * "elections", "economy"). Fees and the feature one-hots key on these, so an alias that fell
 * through would silently get the default fee and `cat_other`.
 */
const CATEGORY_ALIASES: Readonly<Record<string, string>> = {
  politics: 'politics',
  elections: 'politics',
  'us-politics': 'politics',
  'global-elections': 'politics',
  sports: 'sports',
  crypto: 'crypto',
  economics: 'economics',
  economy: 'economics',
  finance: 'economics',
  business: 'economics',
  culture: 'culture',
  'pop-culture': 'culture',
  entertainment: 'culture',
  weather: 'weather',
  geopolitics: 'geopolitics',
  world: 'geopolitics',
  science: 'science',
  tech: 'tech',
};

/** The canonical category of a name or path, or undefined when it is none of the known ones. */
export function canonicalCategory(name: string): string | undefined {
  const first = normaliseCategory(name).split('/')[0] ?? '';
  return CATEGORY_ALIASES[first];
}

const gammaId = z.union([z.string().min(1), z.number().int().nonnegative().transform(String)]);
const jsonList = z.union([z.string(), z.array(z.unknown())]);
const optionalText = z.string().nullish();

const GammaMarketRecord = z.object({
  id: gammaId,
  conditionId: z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'not a 0x-prefixed 32-byte hex id'),
  question: z.string().min(1),
  slug: z.string(),
  category: optionalText,
  tags: z.array(z.unknown()).nullish(),
  events: z.array(z.unknown()).nullish(),
  outcomes: jsonList,
  clobTokenIds: jsonList,
  orderPriceMinTickSize: z.union([z.number(), z.string()]).nullish(),
  negRisk: z.boolean().nullish(),
  startDate: optionalText,
  createdAt: optionalText,
  endDate: optionalText,
  endDateIso: optionalText,
});

const GammaResolutionRecord = z.object({
  conditionId: z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'not a 0x-prefixed 32-byte hex id'),
  closed: z.boolean().nullish(),
  umaResolutionStatus: optionalText,
  outcomes: jsonList,
  clobTokenIds: jsonList,
  outcomePrices: jsonList,
  closedTime: optionalText,
});

/** Parses one Gamma market object; `recvTs` (when it was fetched) becomes the record's `ts`. */
export function parseGammaMarket(raw: unknown, recvTs: number): GammaMarketResult {
  const parsed = GammaMarketRecord.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: zodReason(parsed.error) };
  const m = parsed.data;

  const outcomes = stringList(m.outcomes, 'outcomes');
  if (typeof outcomes === 'string') return { ok: false, reason: outcomes };
  const tokens = stringList(m.clobTokenIds, 'clobTokenIds');
  if (typeof tokens === 'string') return { ok: false, reason: tokens };
  if (outcomes.length < 2) return { ok: false, reason: `outcomes: expected at least 2, got ${outcomes.length}` };
  if (tokens.length !== outcomes.length) {
    return { ok: false, reason: `clobTokenIds: ${tokens.length} ids for ${outcomes.length} outcomes` };
  }
  const badToken = tokens.findIndex((t) => !/^[0-9]{1,100}$/.test(t));
  if (badToken >= 0) return { ok: false, reason: `clobTokenIds[${badToken}]: not a decimal token id: ${JSON.stringify(tokens[badToken])}` };

  const tickSize = tickMicros(m.orderPriceMinTickSize);
  if (Number.isNaN(tickSize)) {
    return { ok: false, reason: `orderPriceMinTickSize: not a tick in (0,1): ${JSON.stringify(m.orderPriceMinTickSize)}` };
  }

  const startText = m.startDate ?? m.createdAt;
  const startField = m.startDate != null ? 'startDate' : 'createdAt';
  if (startText == null) return { ok: false, reason: 'startDate: missing (and no createdAt)' };
  const startTs = parseIsoMillis(startText);
  if (Number.isNaN(startTs)) return { ok: false, reason: `${startField}: not an ISO date: ${JSON.stringify(startText)}` };
  const endText = m.endDate ?? m.endDateIso;
  const endField = m.endDate != null ? 'endDate' : 'endDateIso';
  if (endText == null) return { ok: false, reason: 'endDate: missing (and no endDateIso)' };
  const endTs = parseIsoMillis(endText);
  if (Number.isNaN(endTs)) return { ok: false, reason: `${endField}: not an ISO date: ${JSON.stringify(endText)}` };

  const firstEvent = m.events?.[0];
  const eventIdParsed = isRecord(firstEvent) ? gammaId.safeParse(firstEvent.id) : undefined;
  const eventId = eventIdParsed?.success === true ? eventIdParsed.data : m.id;

  return {
    ok: true,
    meta: {
      market: m.conditionId as MarketId,
      eventId: eventId as EventId,
      question: m.question,
      slug: m.slug,
      category: categoryOf(m.category, m.tags, firstEvent),
      outcomes,
      assetIds: tokens as AssetId[],
      tickSize: tickSize as PriceMicros,
      negRisk: m.negRisk ?? false,
      startTs,
      endTs,
      ts: recvTs,
    },
  };
}

/**
 * The resolution a Gamma record states, or null with the reason there is none (yet). Final when
 * `closed` and `umaResolutionStatus` is resolved/settled, or when the status is absent but
 * `outcomePrices` is already a binary payout; `ts` is `closedTime`.
 */
export function gammaResolution(raw: unknown): GammaResolutionResult {
  const parsed = GammaResolutionRecord.safeParse(raw);
  if (!parsed.success) return { resolution: null, reason: zodReason(parsed.error) };
  const m = parsed.data;
  if (m.closed !== true) return { resolution: null, reason: 'not closed' };
  const status = m.umaResolutionStatus;
  if (status != null && status !== 'resolved' && status !== 'settled') {
    return { resolution: null, reason: `umaResolutionStatus: not final: ${JSON.stringify(status)}` };
  }
  const outcomes = stringList(m.outcomes, 'outcomes');
  if (typeof outcomes === 'string') return { resolution: null, reason: outcomes };
  const tokens = stringList(m.clobTokenIds, 'clobTokenIds');
  if (typeof tokens === 'string') return { resolution: null, reason: tokens };
  const prices = stringList(m.outcomePrices, 'outcomePrices');
  if (typeof prices === 'string') return { resolution: null, reason: prices };
  if (outcomes.length !== 2 || tokens.length !== 2 || prices.length !== 2) {
    return {
      resolution: null,
      reason: `non-binary: ${outcomes.length} outcomes, ${tokens.length} token ids, ${prices.length} prices`,
    };
  }
  const payout = prices.map(parseMicros);
  const winner = payout.indexOf(MICROS);
  const loser = payout.indexOf(0);
  if (winner < 0 || loser < 0 || winner === loser) {
    const fifty = payout.every((p) => p === MICROS / 2);
    return {
      resolution: null,
      reason: fifty ? `50-50 resolution: outcomePrices ${JSON.stringify(prices)}` : `outcomePrices: not a binary payout: ${JSON.stringify(prices)}`,
    };
  }
  if (m.closedTime == null) return { resolution: null, reason: 'closedTime: missing' };
  const ts = parseIsoMillis(m.closedTime);
  if (Number.isNaN(ts)) return { resolution: null, reason: `closedTime: not an ISO date: ${JSON.stringify(m.closedTime)}` };
  return {
    resolution: {
      market: m.conditionId as MarketId,
      ts,
      winningAssetId: tokens[winner] as AssetId,
      winningOutcome: outcomes[winner] as string,
    },
  };
}

/**
 * ISO-8601 date or date-time -> epoch ms. Accepts what Gamma sends: "2024-11-05T12:00:00Z",
 * "2024-01-04T22:47:28.921631Z" (fraction truncated to ms), "2025-01-07 17:11:24+00", and a bare
 * "2024-11-05" (UTC midnight). No zone means UTC. NaN for anything else, including impossible dates.
 */
export function parseIsoMillis(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(text.trim());
  if (m === null) return NaN;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return NaN;
  const ms = frac === '' ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  // Date.UTC rolls 2024-02-30 over into March; refuse instead.
  if (new Date(local).getUTCDate() !== day) return NaN;
  let offsetMin = 0;
  if (zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0'));
  }
  return local - offsetMin * 60_000;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A JSON-encoded string array (or an already decoded one) -> string[]; a reason string on failure. */
function stringList(v: string | unknown[], name: string): string[] | string {
  let list: unknown = v;
  if (typeof v === 'string') {
    try {
      list = JSON.parse(v);
    } catch {
      return `${name}: not a JSON-encoded array: ${JSON.stringify(v.slice(0, 60))}`;
    }
  }
  if (!Array.isArray(list)) return `${name}: not a JSON-encoded array: ${JSON.stringify(v).slice(0, 60)}`;
  const bad = list.findIndex((x) => typeof x !== 'string' || x.length === 0);
  if (bad >= 0) return `${name}[${bad}]: expected a non-empty string, got ${JSON.stringify(list[bad]) ?? 'undefined'}`;
  return list as string[];
}

/** Tick size in micros; 0 when absent (unknown, as in BookUpdate), NaN when not a tick in (0,1). */
function tickMicros(v: number | string | null | undefined): number {
  if (v == null || v === '') return 0;
  let micros: number;
  if (typeof v === 'string') micros = parseMicros(v);
  else {
    micros = Math.round(v * MICROS);
    // A float tick must be a whole number of micros (0.001 -> 1000), not 0.0000005.
    if (Math.abs(v * MICROS - micros) > 1e-6) return NaN;
  }
  return micros > 0 && micros < MICROS ? micros : NaN;
}

/** `category` when given (normalised), else a known category among the market's or its event's tags, else 'other'. */
function categoryOf(category: string | null | undefined, tags: readonly unknown[] | null | undefined, event: unknown): string {
  const own = normaliseCategory(category ?? '');
  if (own !== '') return canonicalCategory(own) ?? own;
  const ofEvent = isRecord(event) && typeof event.category === 'string' ? normaliseCategory(event.category) : '';
  if (ofEvent !== '') return canonicalCategory(ofEvent) ?? ofEvent;
  const eventTags = isRecord(event) && Array.isArray(event.tags) ? event.tags : [];
  for (const tag of [...(tags ?? []), ...eventTags]) {
    for (const name of tagNames(tag)) {
      const known = canonicalCategory(name);
      if (known !== undefined) return known;
    }
  }
  return 'other';
}

/** "Pop Culture" -> "pop-culture": lower-case, whitespace runs to one hyphen. */
function normaliseCategory(name: string): string {
  return name.trim().toLowerCase().replace(/\s+/g, '-');
}

/** Gamma tags are `{label, slug}` objects; CLOB records carry plain strings. */
function tagNames(tag: unknown): string[] {
  if (typeof tag === 'string') return [tag];
  if (!isRecord(tag)) return [];
  const names: string[] = [];
  if (typeof tag.slug === 'string') names.push(tag.slug);
  if (typeof tag.label === 'string') names.push(tag.label);
  return names;
}

function zodReason(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? issue.path.map(String).join('.') : '(record)'}: ${issue.message}`)
    .join('; ');
}
