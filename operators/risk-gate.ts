import type { OperatorFunction } from 'rxjs';
import { liveOptions, type LiveOptions } from './live-options.js';
import { stepOperator } from './step-operator.js';
import type { StateSlot } from '../runtime/state-registry.js';
import type { BookUpdate } from '../schemas/book-update.js';
import type { Fill } from '../schemas/fill.js';
import type { AssetId, EventId, MarketId } from '../schemas/ids.js';
import type { MarketMeta } from '../schemas/market-meta.js';
import type { Order } from '../schemas/order.js';
import type { PortfolioSnapshot } from '../schemas/portfolio-snapshot.js';
import type { Resolution } from '../schemas/resolution.js';
import type { RiskEvent, RiskRule } from '../schemas/risk-event.js';
import type { Direction, Signal, Strength } from '../schemas/signal.js';
import { formatMicros, MICROS, notionalMicros, type PriceMicros, type SizeMicros, type UsdMicros } from '../schemas/units.js';
import { kellyStake, sizeForStake } from './kelly-size.js';
import { takerFeePerShare, takerFeeRate, type TakerFeeOptions } from './taker-fee.js';

/** Everything the gate reads, on one merged stream (fills and snapshots are fed back from the broker and portfolio). */
export type RiskGateInput =
  | { readonly kind: 'signal'; readonly signal: Signal }
  | { readonly kind: 'fill'; readonly fill: Fill }
  | { readonly kind: 'portfolio'; readonly snapshot: PortfolioSnapshot }
  | { readonly kind: 'resolution'; readonly resolution: Resolution }
  | { readonly kind: 'book'; readonly update: BookUpdate }
  | { readonly kind: 'meta'; readonly meta: MarketMeta }
  /** A `model_drift` trip or reset from the drift monitor: the model-drift breaker follows it. */
  | { readonly kind: 'drift'; readonly event: RiskEvent };

export type RiskGateOutput = Order | RiskEvent;

/** Options of `riskGate`. Exposure caps and loss limits are fractions of current equity. */
export interface RiskGateOptions {
  /** Starting equity, before the first portfolio snapshot. */
  readonly bankroll: UsdMicros;
  /** Taker fee rates by category; the all-in cost Kelly sizes on is price + fee. */
  readonly fees: TakerFeeOptions;
  /** Kelly multiplier (0.25 = quarter Kelly). Default 0.25. */
  readonly kellyFraction?: number;
  /** Largest stake of one order, micro-dollars. Default Infinity. */
  readonly maxStake?: number;
  /** Cost basis held in one market. Default 0.05. */
  readonly maxMarketExposure?: number;
  /** Cost basis held across the markets of one event. Default 0.10. */
  readonly maxEventExposure?: number;
  /** Cost basis held in all markets. Default 0.50. */
  readonly maxTotalExposure?: number;
  /** Drawdown from peak equity that trips the (latched) breaker. Default 0.20. */
  readonly maxDrawdown?: number;
  /** Loss from the start-of-UTC-day equity that trips the breaker until the next UTC day. Default 0.05. */
  readonly maxDailyLoss?: number;
  /** A signal more than this long after its asset's last book update is blocked. Default 300 000. */
  readonly staleBookMs?: number;
  /** Blocks every signal. Default false. */
  readonly killSwitch?: boolean;
  /** Strengths that become orders; other signals pass silently. Default STRONG, MEDIUM. */
  readonly tradeStrengths?: readonly Strength[];
  /** Polymarket orderMinSize, in whole shares. Default 5. */
  readonly minOrderShares?: number;
  /** limitPrice = signal price + this many ticks. Default 1. */
  readonly maxSlippageTicks?: number;
  /** Tick when neither meta nor the book gave one, micro-dollars. Default 10 000 (0.01). */
  readonly defaultTickSize?: PriceMicros;
}

export const RISK_GATE_DEFAULTS = {
  kellyFraction: 0.25,
  maxStake: Number.POSITIVE_INFINITY,
  maxMarketExposure: 0.05,
  maxEventExposure: 0.1,
  maxTotalExposure: 0.5,
  maxDrawdown: 0.2,
  maxDailyLoss: 0.05,
  staleBookMs: 300_000,
  killSwitch: false,
  tradeStrengths: ['STRONG', 'MEDIUM'] as readonly Strength[],
  minOrderShares: 5,
  maxSlippageTicks: 1,
  defaultTickSize: 10_000 as PriceMicros,
} as const;

export type ResolvedRiskGateOptions = Required<RiskGateOptions>;

export function resolveRiskGateOptions(opts: RiskGateOptions): ResolvedRiskGateOptions {
  return { ...RISK_GATE_DEFAULTS, ...opts };
}

export const DAY_MS = 86_400_000;
/** Highest price an order may carry: one micro-dollar below $1. */
export const MAX_LIMIT_PRICE = 999_999 as PriceMicros;

// ---- pure kernels ----------------------------------------------------------------------------

/** UTC day number of an event time. */
export const utcDay = (ts: number): number => Math.floor(ts / DAY_MS);

/** The drawdown breaker trips at or beyond the limit. */
export const drawdownBreached = (drawdown: number, maxDrawdown: number): boolean => drawdown >= maxDrawdown;

/** The daily loss breaker trips when day-start equity - equity >= maxDailyLoss · day-start equity. */
export const dailyLossBreached = (dayStartEquity: number, equity: number, maxDailyLoss: number): boolean =>
  dayStartEquity - equity >= maxDailyLoss * dayStartEquity;

/** A book is stale for a signal when none was ever seen, or the signal is more than staleBookMs after it. */
export const bookStale = (signalTs: number, lastBookTs: number | undefined, staleBookMs: number): boolean =>
  lastBookTs === undefined || signalTs - lastBookTs > staleBookMs;

export interface CapFit {
  /** floor(capFraction · equity). */
  readonly limit: number;
  /** limit - exposure (<= 0: nothing fits). */
  readonly room: number;
  /** The stake cut down to the room (never negative). */
  readonly stake: number;
}

/** Fits a stake under an exposure cap that is a fraction of equity. */
export function fitToCap(stake: number, exposure: number, capFraction: number, equity: number): CapFit {
  const limit = Math.floor(capFraction * Math.max(equity, 0));
  const room = limit - exposure;
  return { limit, room, stake: Math.max(0, Math.min(stake, room)) };
}

/** Orders below Polymarket's minimum size are refused by the venue. */
export const meetsMinSize = (size: SizeMicros, minOrderShares: number): boolean => size >= minOrderShares * MICROS;

/** Worst accepted price: `ticks` ticks above the signal price, at most 0.999999. */
export const limitPriceFor = (price: PriceMicros, tick: PriceMicros, ticks: number): PriceMicros =>
  Math.min(price + ticks * tick, MAX_LIMIT_PRICE) as PriceMicros;

// ---- state -------------------------------------------------------------------------------------

interface MarketInfo {
  readonly eventId: EventId;
  readonly category: string;
  readonly assetIds: readonly AssetId[];
}

/**
 * Per-subscription state, a plain object of maps. `riskGateStep` updates it in place: book updates
 * arrive at feed rate, and copying the per-asset map on each would cost more than the gate itself.
 * Entries of a market are dropped at its resolution.
 */
export interface RiskGateState {
  equity: number;
  drawdown: number;
  /** UTC day of the latest event time seen (undefined before the first event). */
  utcDay: number | undefined;
  dayStartEquity: number;
  /** Why the drawdown breaker tripped; latched once set. */
  drawdownTrip: string | undefined;
  /** Why the daily loss breaker tripped; cleared at the next UTC day. */
  dailyLossTrip: string | undefined;
  /** The drift monitor's reason while its model_drift breaker is tripped. */
  modelDriftTrip: string | undefined;
  totalExposure: number;
  readonly exposureByMarket: Map<MarketId, number>;
  readonly metaByMarket: Map<MarketId, MarketInfo>;
  readonly marketsByEvent: Map<EventId, Set<MarketId>>;
  readonly tickByMarket: Map<MarketId, PriceMicros>;
  readonly lastBookTs: Map<AssetId, number>;
  /** The gate's clock: the latest event time it has seen on any input but meta. */
  now: number;
  /** Markets resolved while running: a signal for one is refused, never re-opened. Bounded. */
  readonly resolvedMarkets: Set<MarketId>;
  /** The direction held on each asset (from fills), so a signal never opens the opposite side. */
  readonly heldDirection: Map<AssetId, { readonly market: MarketId; readonly direction: Direction }>;
}

/** Resolved markets remembered; the oldest is forgotten past this. */
const MAX_RESOLVED_MARKETS = 100_000;

export function initialRiskGateState(bankroll: UsdMicros): RiskGateState {
  return {
    equity: bankroll,
    drawdown: 0,
    utcDay: undefined,
    dayStartEquity: bankroll,
    drawdownTrip: undefined,
    dailyLossTrip: undefined,
    modelDriftTrip: undefined,
    totalExposure: 0,
    exposureByMarket: new Map(),
    metaByMarket: new Map(),
    marketsByEvent: new Map(),
    tickByMarket: new Map(),
    lastBookTs: new Map(),
    now: Number.NEGATIVE_INFINITY,
    resolvedMarkets: new Set(),
    heldDirection: new Map(),
  };
}

/** Cost basis held across the markets of `market`'s event (the market alone when its meta is unknown). */
export function eventExposure(s: RiskGateState, market: MarketId): number {
  const info = s.metaByMarket.get(market);
  const siblings = info === undefined ? undefined : s.marketsByEvent.get(info.eventId);
  if (siblings === undefined) return s.exposureByMarket.get(market) ?? 0;
  let sum = 0;
  for (const m of siblings) sum += s.exposureByMarket.get(m) ?? 0;
  return sum;
}

// ---- reasons -----------------------------------------------------------------------------------

const usd = (micros: number): string => `$${formatMicros(Math.round(micros))}`;
const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
const shares = (size: number): string => formatMicros(size);
const dayName = (day: number): string => {
  const date = new Date(day * DAY_MS);
  return Number.isNaN(date.getTime()) ? `#${day}` : date.toISOString().slice(0, 10);
};

function riskEvent(
  rule: RiskRule,
  action: RiskEvent['action'],
  reason: string,
  ts: number,
  signal: Signal | undefined,
  eventId: EventId | '',
): RiskEvent {
  return {
    id: `risk:${rule}:${action}:${signal === undefined ? ts : signal.id}`,
    ts,
    rule,
    action,
    reason,
    signalId: signal?.id ?? '',
    assetId: signal?.assetId ?? '',
    market: signal?.market ?? '',
    eventId,
  };
}

// ---- step --------------------------------------------------------------------------------------

function rollDay(s: RiskGateState, ts: number, out: RiskGateOutput[]): void {
  const day = utcDay(ts);
  if (s.utcDay !== undefined && day <= s.utcDay) return;
  const first = s.utcDay === undefined;
  s.utcDay = day;
  s.dayStartEquity = s.equity;
  if (first || s.dailyLossTrip === undefined) return;
  s.dailyLossTrip = undefined;
  const reason = `Daily loss breaker reset: UTC day ${dayName(day)} began with equity ${usd(s.equity)} as the new day-start equity.`;
  out.push(riskEvent('daily_loss', 'reset', reason, ts, undefined, ''));
}

function applySnapshot(s: RiskGateState, snap: PortfolioSnapshot, o: ResolvedRiskGateOptions, out: RiskGateOutput[]): void {
  s.equity = snap.equity;
  s.drawdown = snap.drawdown;
  if (s.drawdownTrip === undefined && drawdownBreached(snap.drawdown, o.maxDrawdown)) {
    s.drawdownTrip = `drawdown reached ${pct(snap.drawdown)} (limit ${pct(o.maxDrawdown)}) at equity ${usd(snap.equity)} from peak ${usd(snap.peakEquity)}`;
    out.push(riskEvent('drawdown', 'trip', `Drawdown breaker tripped: ${s.drawdownTrip}; new orders stay blocked for the rest of this run (it latches).`, snap.ts, undefined, ''));
  }
  if (s.dailyLossTrip === undefined && dailyLossBreached(s.dayStartEquity, s.equity, o.maxDailyLoss)) {
    const loss = s.dayStartEquity - s.equity;
    const day = dayName(utcDay(snap.ts));
    s.dailyLossTrip = `on UTC day ${day} equity ${usd(s.equity)} fell ${usd(loss)} (${pct(loss / s.dayStartEquity)}) below the day-start equity ${usd(s.dayStartEquity)}, at or past the ${pct(o.maxDailyLoss)} limit`;
    out.push(riskEvent('daily_loss', 'trip', `Daily loss breaker tripped: ${s.dailyLossTrip}; new orders are blocked until the next UTC day.`, snap.ts, undefined, ''));
  }
}

function applyMeta(s: RiskGateState, meta: MarketMeta): void {
  const prev = s.metaByMarket.get(meta.market);
  if (prev !== undefined && prev.eventId !== meta.eventId) s.marketsByEvent.get(prev.eventId)?.delete(meta.market);
  s.metaByMarket.set(meta.market, { eventId: meta.eventId, category: meta.category, assetIds: meta.assetIds });
  let siblings = s.marketsByEvent.get(meta.eventId);
  if (siblings === undefined) s.marketsByEvent.set(meta.eventId, (siblings = new Set()));
  siblings.add(meta.market);
  if (meta.tickSize > 0) s.tickByMarket.set(meta.market, meta.tickSize);
}

function applyBook(s: RiskGateState, u: BookUpdate): void {
  const last = s.lastBookTs.get(u.assetId);
  if (last === undefined || u.ts > last) s.lastBookTs.set(u.assetId, u.ts);
  if (u.kind === 'snapshot' && u.tickSize > 0) s.tickByMarket.set(u.market, u.tickSize);
  else if (u.kind === 'tick_size' && u.newTickSize > 0) s.tickByMarket.set(u.market, u.newTickSize);
}

function applyFill(s: RiskGateState, f: Fill): void {
  if (f.size <= 0) return;
  s.heldDirection.set(f.assetId, { market: f.market, direction: f.direction });
  const cost = notionalMicros(f.price, f.size) + f.fee;
  s.exposureByMarket.set(f.market, (s.exposureByMarket.get(f.market) ?? 0) + cost);
  s.totalExposure += cost;
}

function release(s: RiskGateState, r: Resolution): void {
  s.resolvedMarkets.add(r.market);
  if (s.resolvedMarkets.size > MAX_RESOLVED_MARKETS) {
    const oldest = s.resolvedMarkets.values().next();
    if (oldest.done !== true) s.resolvedMarkets.delete(oldest.value);
  }
  for (const [asset, held] of s.heldDirection) if (held.market === r.market) s.heldDirection.delete(asset);
  s.totalExposure -= s.exposureByMarket.get(r.market) ?? 0;
  s.exposureByMarket.delete(r.market);
  s.tickByMarket.delete(r.market);
  const info = s.metaByMarket.get(r.market);
  if (info === undefined) return;
  for (const a of info.assetIds) s.lastBookTs.delete(a);
  const siblings = s.marketsByEvent.get(info.eventId);
  siblings?.delete(r.market);
  if (siblings?.size === 0) s.marketsByEvent.delete(info.eventId);
  s.metaByMarket.delete(r.market);
}

interface Cap {
  readonly rule: 'market_cap' | 'event_cap' | 'total_cap';
  readonly what: string;
  readonly exposure: number;
  readonly fraction: number;
}

function gateSignal(s: RiskGateState, sig: Signal, o: ResolvedRiskGateOptions, out: RiskGateOutput[]): void {
  if (!o.tradeStrengths.includes(sig.strength)) return;
  const info = s.metaByMarket.get(sig.market);
  const eventId = info?.eventId ?? '';
  const block = (rule: RiskRule, reason: string): void => {
    out.push(riskEvent(rule, 'block', reason, sig.ts, sig, eventId));
  };

  if (o.killSwitch) return block('kill_switch', `Blocked ${sig.id}: the kill switch is on.`);
  if (s.resolvedMarkets.has(sig.market)) {
    return block('market_resolved', `Blocked ${sig.id}: market ${sig.market} has already resolved.`);
  }
  const held = s.heldDirection.get(sig.assetId);
  if (held !== undefined && held.direction !== sig.direction) {
    return block(
      'opposing_position',
      `Blocked ${sig.id}: it would buy ${sig.direction} on asset ${sig.assetId} while a ${held.direction} position is held there (that only pays the spread and fees twice).`,
    );
  }
  if (s.drawdownTrip !== undefined) {
    return block('drawdown', `Blocked ${sig.id}: the drawdown breaker is tripped (${s.drawdownTrip}).`);
  }
  if (s.dailyLossTrip !== undefined) {
    return block('daily_loss', `Blocked ${sig.id}: the daily loss breaker is tripped (${s.dailyLossTrip}).`);
  }
  if (s.modelDriftTrip !== undefined) {
    return block('model_drift', `Blocked ${sig.id}: the model-drift breaker is tripped (${s.modelDriftTrip}).`);
  }
  // Staleness is measured against the gate's own clock (the newest event it has seen on any
  // stream), not the signal's time, which is the time of the very update that produced it.
  const lastBook = s.lastBookTs.get(sig.assetId);
  const now = Math.max(s.now, sig.ts);
  if (bookStale(now, lastBook, o.staleBookMs)) {
    return block(
      'stale_book',
      lastBook === undefined
        ? `Blocked ${sig.id}: no book update has been seen for asset ${sig.assetId}.`
        : `Blocked ${sig.id}: the book of asset ${sig.assetId} was last updated ${now - lastBook} ms before the latest event, more than the ${o.staleBookMs} ms limit.`,
    );
  }

  const rate = info === undefined ? o.fees.defaultTakerFeeRate : takerFeeRate(o.fees, info.category);
  const kelly = kellyStake({
    probability: sig.probability,
    price: sig.price,
    feePerShare: takerFeePerShare(rate, sig.price / MICROS),
    equity: s.equity as UsdMicros,
    fraction: o.kellyFraction,
    maxStake: o.maxStake,
  });
  const costText = `$${Number(kelly.cost.toFixed(6))}`;
  if (!meetsMinSize(kelly.size, o.minOrderShares)) {
    return block(
      'min_size',
      `Blocked ${sig.id}: the Kelly stake ${usd(kelly.stake)} (f* ${kelly.kellyFraction.toFixed(4)} × ${o.kellyFraction} of equity ${usd(s.equity)}${Number.isFinite(o.maxStake) ? `, at most ${usd(o.maxStake)}` : ''}) buys ${shares(kelly.size)} shares at an all-in cost of ${costText}, below the ${o.minOrderShares}-share minimum order.`,
    );
  }

  const caps: readonly Cap[] = [
    { rule: 'market_cap', what: 'market', exposure: s.exposureByMarket.get(sig.market) ?? 0, fraction: o.maxMarketExposure },
    { rule: 'event_cap', what: info === undefined ? 'event' : `event ${info.eventId}`, exposure: eventExposure(s, sig.market), fraction: o.maxEventExposure },
    { rule: 'total_cap', what: 'total', exposure: s.totalExposure, fraction: o.maxTotalExposure },
  ];
  let stake = kelly.stake as number;
  const resizes: RiskEvent[] = [];
  let binding: { readonly cap: Cap; readonly limit: number } | undefined;
  for (const cap of caps) {
    const fit = fitToCap(stake, cap.exposure, cap.fraction, s.equity);
    const capText = `its cap of ${usd(fit.limit)} (${pct(cap.fraction)} of equity ${usd(s.equity)})`;
    if (fit.room <= 0) {
      return block(cap.rule, `Blocked ${sig.id}: ${cap.what} exposure ${usd(cap.exposure)} is already at or above ${capText}.`);
    }
    if (fit.stake < stake) {
      const reason = `Resized ${sig.id}: a stake of ${usd(stake)} would take ${cap.what} exposure from ${usd(cap.exposure)} to ${usd(cap.exposure + stake)}, above ${capText}; stake cut to ${usd(fit.stake)}.`;
      resizes.push(riskEvent(cap.rule, 'resize', reason, sig.ts, sig, eventId));
      stake = fit.stake;
      binding = { cap, limit: fit.limit };
    }
  }
  const size = sizeForStake(stake, kelly.cost);
  if (!meetsMinSize(size, o.minOrderShares)) {
    const rule = binding?.cap.rule ?? 'min_size';
    const what = binding === undefined ? 'the caps leave' : `the ${binding.cap.what} cap of ${usd(binding.limit)} leaves`;
    return block(
      rule,
      `Blocked ${sig.id}: ${what} room for ${usd(stake)}, which buys ${shares(size)} shares at an all-in cost of ${costText}, below the ${o.minOrderShares}-share minimum order.`,
    );
  }
  const tick = s.tickByMarket.get(sig.market) ?? o.defaultTickSize;
  out.push(...resizes, {
    id: `ord:${sig.id}`,
    signalId: sig.id,
    assetId: sig.assetId,
    market: sig.market,
    ts: sig.ts,
    direction: sig.direction,
    limitPrice: limitPriceFor(sig.price, tick, o.maxSlippageTicks),
    size,
    stake: stake as UsdMicros,
    kellyFraction: kelly.kellyFraction,
  });
}

const inputTs = (input: Exclude<RiskGateInput, { kind: 'meta' }>): number => {
  switch (input.kind) {
    case 'signal':
      return input.signal.ts;
    case 'fill':
      return input.fill.ts;
    case 'portfolio':
      return input.snapshot.ts;
    case 'resolution':
      return input.resolution.ts;
    case 'book':
      return input.update.ts;
    case 'drift':
      return input.event.ts;
  }
};

/**
 * One input through the gate: updates `s` in place and returns what to emit, in order. Meta records
 * do not move the UTC day (their `ts` is when the record was valid, not stream time).
 */
export function riskGateStep(s: RiskGateState, input: RiskGateInput, o: ResolvedRiskGateOptions): RiskGateOutput[] {
  const out: RiskGateOutput[] = [];
  if (input.kind === 'meta') {
    applyMeta(s, input.meta);
    return out;
  }
  const ts = inputTs(input);
  if (ts > s.now) s.now = ts;
  rollDay(s, ts, out);
  switch (input.kind) {
    case 'book':
      applyBook(s, input.update);
      break;
    case 'fill':
      applyFill(s, input.fill);
      break;
    case 'resolution':
      release(s, input.resolution);
      break;
    case 'portfolio':
      applySnapshot(s, input.snapshot, o, out);
      break;
    case 'signal':
      gateSignal(s, input.signal, o, out);
      break;
    case 'drift':
      if (input.event.rule !== 'model_drift') break;
      if (input.event.action === 'trip') s.modelDriftTrip = input.event.reason;
      else if (input.event.action === 'reset') s.modelDriftTrip = undefined;
      break;
  }
  return out;
}

/**
 * The one gate every order passes (DESIGN.md §7): kill switch, drawdown and daily loss breakers,
 * stale book, then a fractional-Kelly size cut to the market, event and total exposure caps and
 * checked against the venue's minimum size. Each block, resize, trip and reset is a `RiskEvent`
 * with a deterministic id and a reason that states its numbers.
 *
 * Exposure counts fills only: an order still in flight is not yet exposure, so the cooldown of
 * `edgeSignal` and the broker's fill latency bound how far a burst can overshoot a cap.
 *
 * @example
 * merge(signals$.pipe(map((signal) => ({ kind: 'signal', signal }) as const)), ...)
 *   .pipe(riskGate({ bankroll: 1_000_000_000 as UsdMicros, fees }))
 */
export function riskGate(opts: LiveOptions<RiskGateOptions>, slot?: StateSlot): OperatorFunction<RiskGateInput, RiskGateOutput> {
  // A getter (settings changed at run time) is read per input: limits and the kill switch apply
  // from the next input on; the bankroll only seeds a fresh state.
  const read = liveOptions(opts, resolveRiskGateOptions);
  return stepOperator(
    () => initialRiskGateState(read().bankroll),
    (state, input: RiskGateInput) => riskGateStep(state, input, read()),
    { slot },
  );
}
