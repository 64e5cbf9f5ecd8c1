/**
 * Market discovery from Gamma (POLYMARKET.md B.4): lists open markets through `/markets/keyset`
 * with server-side filters (`volume_num_min`, `liquidity_num_min`, `end_date_min/max`, `tag_id`,
 * `active=true`, `closed=false`), filters neg-risk client-side (`negRisk`), keeps the
 * `maxMarkets` most traded (24 h volume), and says which outcome tokens to subscribe
 * (`clobTokenIds`, a JSON-encoded string parsed twice, B.4 "Gotchas"). Tick size and end date
 * travel inside the Gamma record (`orderPriceMinTickSize`, `endDate`) that ingest turns into
 * `pm.market.meta`.
 *
 * Each refresh returns the records to feed ingest, as a replay would: a `market` record
 * `{kind:'market', recvTs, market: <Gamma object as fetched>}` for every market that is new or
 * whose tokens, tick, dates, neg-risk or state changed, and a `market_resolved` frame
 * (market-resolved-frame.ts) for every market that resolved. Resolution (B.4 "Reading
 * resolution", option 2, as the fallback to the websocket's `market_resolved`): a market that
 * leaves the open listing, or is listed closed, is looked up with `closed=true&condition_ids=`
 * (at most 100 per request, B.4) until `gammaResolution` finds a final binary payout; 50-50 and
 * non-binary payouts end the watch without a resolution, and a market not final within
 * `pendingMaxMs` is given up.
 */
import type { HttpClient, QueryValue } from '../../runtime/http/http-client.js';
import type { ReplayRecord } from '../replay/replay-record.js';
import { gammaResolution, parseGammaMarket } from './gamma-market.js';
import { gammaMarketPages } from './gamma-market-pages.js';
import { marketResolvedFrame } from './market-resolved-frame.js';

export type NegRiskFilter = 'include' | 'exclude' | 'only';

export interface DiscoveryFilters {
  readonly minVolumeUsd: number;
  readonly minLiquidityUsd: number;
  /** Only markets ending within this many days (0: any end date in the future). */
  readonly maxEndDays: number;
  /** Gamma tag ids (one listing per tag); empty: all. */
  readonly tagIds: readonly number[];
  readonly negRisk: NegRiskFilter;
  readonly maxMarkets: number;
  readonly maxPages: number;
}

export const DEFAULT_DISCOVERY_FILTERS: DiscoveryFilters = {
  minVolumeUsd: 10_000,
  minLiquidityUsd: 1_000,
  maxEndDays: 0,
  tagIds: [],
  negRisk: 'include',
  maxMarkets: 100,
  maxPages: 50,
};

export interface DiscoveryResult {
  /** Records for ingest, in order. */
  readonly records: ReplayRecord[];
  /** Outcome tokens to be subscribed now. */
  readonly assets: string[];
  /** Markets tracked now (condition ids). */
  readonly markets: number;
  /** Condition ids that resolved in this refresh. */
  readonly resolved: string[];
}

export interface MarketDiscoveryOptions {
  readonly gamma: HttpClient;
  readonly filters?: Partial<DiscoveryFilters>;
  readonly now: () => number;
  readonly signal?: AbortSignal;
  /** Give up watching a delisted market for its resolution after this long. Default 14 days. */
  readonly pendingMaxMs?: number;
}

interface Tracked {
  readonly conditionId: string;
  readonly tokens: readonly string[];
}

const CONDITION_IDS_PER_REQUEST = 100;
const DAY_MS = 86_400_000;

export class GammaMarketDiscovery {
  private readonly filters: DiscoveryFilters;
  /** Signature of the last record emitted, per Gamma id. */
  private readonly emitted = new Map<string, string>();
  private tracked = new Map<string, Tracked>();
  /** Delisted or closed markets awaiting a final resolution, with when they were first seen so. */
  private readonly pending = new Map<string, { tracked: Tracked; since: number }>();
  private readonly resolved = new Set<string>();

  constructor(private readonly options: MarketDiscoveryOptions) {
    this.filters = { ...DEFAULT_DISCOVERY_FILTERS, ...options.filters };
  }

  /** A resolution already known from elsewhere (the websocket): not emitted again. */
  noteResolved(conditionId: string): void {
    this.resolved.add(conditionId);
    this.pending.delete(conditionId);
  }

  async refresh(): Promise<DiscoveryResult> {
    const records: ReplayRecord[] = [];
    const listed = await this.listOpen();
    const now = this.options.now();
    const wanted = new Map<string, Tracked>();
    const rawOf = new Map<string, unknown>();
    const closedNow: unknown[] = [];
    for (const raw of listed) {
      const m = raw as Record<string, unknown>;
      if (m.closed === true) {
        closedNow.push(raw);
        continue;
      }
      const parsed = parseGammaMarket(raw, now);
      // A record ingest will refuse still goes to it once, so the dead-letter queue says why.
      if (!parsed.ok) this.emitOnce(raw, now, records);
      if (!parsed.ok || m.enableOrderBook === false || this.resolved.has(parsed.meta.market)) continue;
      wanted.set(parsed.meta.market, { conditionId: parsed.meta.market, tokens: parsed.meta.assetIds });
      rawOf.set(parsed.meta.market, raw);
    }
    const chosen = this.choose(wanted, listed);
    for (const cid of chosen.keys()) this.emitOnce(rawOf.get(cid), now, records);
    for (const [cid, t] of this.tracked) if (!chosen.has(cid) && !this.pending.has(cid)) this.pending.set(cid, { tracked: t, since: now });
    for (const cid of chosen.keys()) this.pending.delete(cid);
    this.tracked = chosen;

    const resolved: string[] = [];
    for (const raw of closedNow) this.resolveFrom(raw, now, records, resolved);
    await this.checkPending(now, records, resolved);
    return { records, assets: [...chosen.values()].flatMap((t) => t.tokens), markets: chosen.size, resolved };
  }

  private async listOpen(): Promise<unknown[]> {
    const f = this.filters;
    const now = this.options.now();
    const base: Record<string, QueryValue> = {
      active: true,
      closed: false,
      volume_num_min: f.minVolumeUsd > 0 ? f.minVolumeUsd : undefined,
      liquidity_num_min: f.minLiquidityUsd > 0 ? f.minLiquidityUsd : undefined,
      end_date_min: new Date(now).toISOString(),
      end_date_max: f.maxEndDays > 0 ? new Date(now + f.maxEndDays * DAY_MS).toISOString() : undefined,
    };
    const queries = f.tagIds.length === 0 ? [base] : f.tagIds.map((tag) => ({ ...base, tag_id: tag }));
    const seen = new Set<string>();
    const out: unknown[] = [];
    for (const query of queries) {
      for await (const page of gammaMarketPages({ gamma: this.options.gamma, query, maxPages: f.maxPages, ...this.signal() })) {
        for (const raw of page) {
          const key = typeof raw === 'object' && raw !== null ? gammaKey(raw as Record<string, unknown>) : '';
          if (key !== '' && seen.has(key)) continue;
          seen.add(key);
          if (this.negRiskWanted(raw)) out.push(raw);
        }
      }
    }
    return out;
  }

  private negRiskWanted(raw: unknown): boolean {
    const negRisk = typeof raw === 'object' && raw !== null && (raw as { negRisk?: unknown }).negRisk === true;
    return this.filters.negRisk === 'include' || (this.filters.negRisk === 'only') === negRisk;
  }

  /** The `maxMarkets` most traded over 24 h (then lifetime volume); ties keep listing order. */
  private choose(wanted: Map<string, Tracked>, listed: unknown[]): Map<string, Tracked> {
    if (wanted.size <= this.filters.maxMarkets) return wanted;
    const volume = new Map<string, number>();
    for (const raw of listed) {
      const m = raw as Record<string, unknown>;
      if (typeof m.conditionId === 'string') volume.set(m.conditionId, num(m.volume24hr) * 1e6 + num(m.volumeNum) / 1e9);
    }
    const ranked = [...wanted.keys()].sort((a, b) => (volume.get(b) ?? 0) - (volume.get(a) ?? 0));
    return new Map(ranked.slice(0, this.filters.maxMarkets).map((cid) => [cid, wanted.get(cid) as Tracked]));
  }

  private async checkPending(now: number, records: ReplayRecord[], resolved: string[]): Promise<void> {
    for (const [cid, p] of this.pending) if (now - p.since > (this.options.pendingMaxMs ?? 14 * DAY_MS)) this.pending.delete(cid);
    const ids = [...this.pending.keys()];
    for (let i = 0; i < ids.length; i += CONDITION_IDS_PER_REQUEST) {
      const chunk = ids.slice(i, i + CONDITION_IDS_PER_REQUEST);
      for await (const page of gammaMarketPages({ gamma: this.options.gamma, query: { closed: true, condition_ids: chunk }, maxPages: 2, ...this.signal() })) {
        for (const raw of page) this.resolveFrom(raw, now, records, resolved);
      }
    }
  }

  private resolveFrom(raw: unknown, now: number, records: ReplayRecord[], resolved: string[]): void {
    const cid = typeof raw === 'object' && raw !== null ? (raw as { conditionId?: unknown }).conditionId : undefined;
    if (typeof cid !== 'string' || this.resolved.has(cid)) return;
    const result = gammaResolution(raw);
    if (result.resolution === null) {
      // Final without a winner: nothing more will come.
      if (/^(non-binary|50-50|outcomePrices: not a binary)/.test(result.reason)) this.pending.delete(cid);
      else if (!this.pending.has(cid) && this.tracked.has(cid)) this.pending.set(cid, { tracked: this.tracked.get(cid) as Tracked, since: now });
      return;
    }
    const tokens = parseGammaMarket(raw, now);
    const assetIds = tokens.ok ? tokens.meta.assetIds : (this.pending.get(cid)?.tracked.tokens ?? this.tracked.get(cid)?.tokens ?? []);
    this.resolved.add(cid);
    this.pending.delete(cid);
    this.tracked.delete(cid);
    resolved.push(cid);
    records.push({ kind: 'frame', recvTs: now, frame: marketResolvedFrame(result.resolution, assetIds) });
  }

  /** A `market` record for ingest when the market is new or changed since its last record. */
  private emitOnce(raw: unknown, now: number, records: ReplayRecord[]): void {
    if (typeof raw !== 'object' || raw === null) return;
    const m = raw as Record<string, unknown>;
    const key = gammaKey(m);
    const signature = signatureOf(m);
    if (key === '' || this.emitted.get(key) === signature) return;
    this.emitted.set(key, signature);
    records.push({ kind: 'market', recvTs: now, market: raw });
  }

  private signal(): { signal?: AbortSignal } {
    return this.options.signal === undefined ? {} : { signal: this.options.signal };
  }
}

function gammaKey(m: Record<string, unknown>): string {
  const id = m.id ?? m.conditionId;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : '';
}

/** The fields whose change is worth a new `pm.market.meta` record. */
function signatureOf(m: Record<string, unknown>): string {
  return JSON.stringify([
    m.conditionId,
    m.question,
    m.clobTokenIds,
    m.outcomes,
    m.orderPriceMinTickSize,
    m.endDate ?? m.endDateIso,
    m.startDate,
    m.negRisk,
    m.active,
    m.closed,
    m.acceptingOrders,
    m.category,
  ]);
}

function num(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : 0;
}
