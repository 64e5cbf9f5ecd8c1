import type { OperatorFunction } from 'rxjs';
import type { StateSlot } from '../runtime/state-registry.js';
import type { ArbitrageKind, ArbitrageOpportunity } from '../schemas/arbitrage-opportunity.js';
import type { AssetId, EventId, MarketId } from '../schemas/ids.js';
import type { MarketMeta } from '../schemas/market-meta.js';
import type { Resolution } from '../schemas/resolution.js';
import { sizeSet, type ArbitrageLeg } from './arbitrage-sizing.js';
import type { BookChange, BookView } from './book-view.js';
import { liveOptions, type LiveOptions } from './live-options.js';
import { stepOperator } from './step-operator.js';
import { takerFeeRate, type TakerFeeOptions } from './taker-fee.js';

/** Options of `arbitrage`. */
export interface ArbitrageOptions {
  readonly fees: TakerFeeOptions;
  /** Profit per set after fees must be above this (fraction of $1). Default 0. */
  readonly minEdge?: number;
  /** An opportunity is considered gone this long after it is seen; one still standing then is reported again. Default 5 000. */
  readonly ttlMs?: number;
  /** Levels walked per leg when sizing. Default 50. */
  readonly maxLevels?: number;
  /** Markets listing the same question twice (condition id pairs). */
  readonly duplicatePairs?: ReadonlyArray<readonly [string, string]>;
}

type Resolved = Required<ArbitrageOptions>;

const resolveOptions = (o: ArbitrageOptions): Resolved => ({ minEdge: 0, ttlMs: 5_000, maxLevels: 50, duplicatePairs: [], ...o });

export type ArbitrageInput =
  | { readonly kind: 'meta'; readonly meta: MarketMeta }
  | { readonly kind: 'book'; readonly change: BookChange }
  | { readonly kind: 'resolution'; readonly resolution: Resolution };

/** A set of tokens whose prices are tied: one share of each pays exactly $1. */
interface Group {
  readonly key: string;
  readonly kinds: readonly { readonly kind: ArbitrageKind; readonly action: 'buy' | 'sell' }[];
  readonly assets: readonly AssetId[];
  /** Market of each asset. */
  readonly legMarkets: readonly MarketId[];
  readonly markets: readonly MarketId[];
  readonly eventId: EventId | '';
}

export interface ArbitrageState {
  readonly books: Map<AssetId, BookView>;
  /** Books whose last applied update left them consistent (status ok). */
  readonly healthy: Map<AssetId, boolean>;
  readonly metas: Map<MarketId, MarketMeta>;
  readonly resolved: Set<MarketId>;
  /** Neg-risk markets of each event. */
  readonly negRiskEvents: Map<EventId, Set<MarketId>>;
  readonly groups: Map<string, Group>;
  readonly groupsByAsset: Map<AssetId, Set<string>>;
  /** Open episodes by `<kind>|<group>`: when the current one stops counting as open. */
  readonly open: Map<string, number>;
}

export const initialArbitrageState = (): ArbitrageState => ({
  books: new Map(),
  healthy: new Map(),
  metas: new Map(),
  resolved: new Set(),
  negRiskEvents: new Map(),
  groups: new Map(),
  groupsByAsset: new Map(),
  open: new Map(),
});

const COMPLEMENT = [
  { kind: 'complement_buy', action: 'buy' },
  { kind: 'complement_sell', action: 'sell' },
] as const;
const NEG_RISK = [
  { kind: 'neg_risk_buy', action: 'buy' },
  { kind: 'neg_risk_sell', action: 'sell' },
] as const;
const DUPLICATE = [{ kind: 'duplicate', action: 'buy' }] as const;

function setGroup(s: ArbitrageState, group: Group | undefined, key: string): void {
  const old = s.groups.get(key);
  if (old !== undefined) for (const a of old.assets) s.groupsByAsset.get(a)?.delete(key);
  if (group === undefined) {
    s.groups.delete(key);
    for (const k of [...s.open.keys()]) if (k.endsWith(`|${key}`)) s.open.delete(k);
    return;
  }
  s.groups.set(key, group);
  for (const a of group.assets) {
    let set = s.groupsByAsset.get(a);
    if (set === undefined) s.groupsByAsset.set(a, (set = new Set()));
    set.add(key);
  }
}

const live = (s: ArbitrageState, m: MarketId): MarketMeta | undefined => (s.resolved.has(m) ? undefined : s.metas.get(m));

/** Rebuilds every group the market takes part in, from the metas known now. */
function rebuildGroups(s: ArbitrageState, market: MarketId, o: Resolved): void {
  const meta = live(s, market);
  const binary = meta !== undefined && meta.assetIds.length === 2;
  // (a) the two tokens of a binary market.
  setGroup(
    s,
    binary
      ? { key: `market:${market}`, kinds: COMPLEMENT, assets: meta.assetIds, legMarkets: [market, market], markets: [market], eventId: meta.eventId }
      : undefined,
    `market:${market}`,
  );
  // (b) the YES tokens of every neg-risk market of an event: exactly one of them pays $1.
  const eventId = s.metas.get(market)?.eventId;
  if (eventId !== undefined) {
    const members = s.negRiskEvents.get(eventId) ?? new Set<MarketId>();
    if (meta?.negRisk === true) members.add(market);
    else members.delete(market);
    s.negRiskEvents.set(eventId, members);
    const markets = [...members].filter((m) => live(s, m) !== undefined).sort();
    const assets = markets.map((m) => s.metas.get(m)!.assetIds[0]).filter((a): a is AssetId => a !== undefined);
    setGroup(
      s,
      markets.length >= 2 && assets.length === markets.length
        ? { key: `event:${eventId}`, kinds: NEG_RISK, assets, legMarkets: markets, markets, eventId }
        : undefined,
      `event:${eventId}`,
    );
  }
  // (c) the same question listed twice: YES of one and NO of the other pay exactly $1 together.
  for (const [a, b] of o.duplicatePairs) {
    if (a !== market && b !== market) continue;
    const ma = live(s, a as MarketId);
    const mb = live(s, b as MarketId);
    const ok = ma !== undefined && mb !== undefined && ma.assetIds.length === 2 && mb.assetIds.length === 2;
    const pair = (x: MarketMeta, y: MarketMeta): Group => ({
      key: `dup:${x.market}|${y.market}`,
      kinds: DUPLICATE,
      assets: [x.assetIds[0]!, y.assetIds[1]!],
      legMarkets: [x.market, y.market],
      markets: [x.market, y.market],
      eventId: x.eventId === y.eventId ? x.eventId : '',
    });
    setGroup(s, ok ? pair(ma, mb) : undefined, `dup:${a}|${b}`);
    setGroup(s, ok ? pair(mb, ma) : undefined, `dup:${b}|${a}`);
  }
}

function evaluate(s: ArbitrageState, group: Group, ts: number, o: Resolved, fees: TakerFeeOptions, out: ArbitrageOpportunity[]): void {
  const legs: ArbitrageLeg[] = [];
  let usable = true;
  for (let i = 0; i < group.assets.length; i++) {
    const asset = group.assets[i]!;
    const book = s.books.get(asset);
    if (book === undefined || !book.ready || s.healthy.get(asset) !== true) {
      usable = false;
      break;
    }
    const meta = s.metas.get(group.legMarkets[i]!);
    legs.push({ book, feeRate: takerFeeRate(fees, meta?.category ?? '') });
  }
  for (const { kind, action } of group.kinds) {
    const key = `${kind}|${group.key}`;
    const sizing = usable ? sizeSet(legs, action, o.minEdge, o.maxLevels) : undefined;
    if (sizing === undefined) {
      // The book moved away: the episode is over, the next mispricing is a new one.
      s.open.delete(key);
      continue;
    }
    const until = s.open.get(key);
    if (until !== undefined && ts < until) continue;
    const expiresTs = ts + o.ttlMs;
    s.open.set(key, expiresTs);
    out.push({
      id: `arb:${kind}:${group.key}:${ts}`,
      ts,
      kind,
      markets: group.markets,
      eventId: group.eventId,
      edge: sizing.edge,
      size: sizing.size,
      expiresTs,
      profit: sizing.profit,
      assetIds: group.assets,
      prices: sizing.prices,
      limitPrices: sizing.limitPrices,
    });
  }
}

/** Step: updates the state in place and returns the opportunities that open with this input. */
export function arbitrageStep(s: ArbitrageState, input: ArbitrageInput, o: Resolved, fees: TakerFeeOptions): ArbitrageOpportunity[] | undefined {
  switch (input.kind) {
    case 'meta': {
      s.metas.set(input.meta.market, input.meta);
      rebuildGroups(s, input.meta.market, o);
      return undefined;
    }
    case 'resolution': {
      s.resolved.add(input.resolution.market);
      rebuildGroups(s, input.resolution.market, o);
      return undefined;
    }
    case 'book': {
      const { book, status } = input.change;
      const asset = book.assetId;
      s.books.set(asset, book);
      // `invalid` left the book as it was; anything else says whether it can be trusted now.
      if (status !== 'invalid') s.healthy.set(asset, status === 'ok');
      const keys = s.groupsByAsset.get(asset);
      if (keys === undefined || keys.size === 0) return undefined;
      const out: ArbitrageOpportunity[] = [];
      for (const key of keys) {
        const group = s.groups.get(key);
        if (group !== undefined) evaluate(s, group, input.change.update.ts, o, fees, out);
      }
      return out.length === 0 ? undefined : out;
    }
  }
}

/**
 * Arbitrage between books whose prices are tied (DESIGN.md §1 watch):
 * (a) complement: YES + NO of a binary market (buy both under $1, or split $1 and sell both above it);
 * (b) neg-risk events: the YES tokens of all outcomes (exactly one pays);
 * (c) duplicate listings (config pairs): YES of one market + NO of the other.
 * Each opportunity is sized by walking the levels while still profitable after the taker fee of
 * every leg (operators/taker-fee.ts), and emitted once per episode: when it opens, and again only
 * after the book moved away and came back, or after `ttlMs` (its `expiresTs`) if it still stands.
 * Only books whose last update left them consistent (status `ok`, snapshot seen) are used.
 * Caveat (b): the sum covers the event's neg-risk markets seen in meta; a market of the event
 * outside the watched universe would make the buy side look cheaper than it is.
 */
export function arbitrage(opts: LiveOptions<ArbitrageOptions>, slot?: StateSlot): OperatorFunction<ArbitrageInput, ArbitrageOpportunity> {
  const read = liveOptions(opts, (o) => ({ resolved: resolveOptions(o), fees: o.fees }));
  return stepOperator(
    initialArbitrageState,
    (state, input: ArbitrageInput) => {
      const { resolved, fees } = read();
      return arbitrageStep(state, input, resolved, fees);
    },
    { slot },
  );
}
