/**
 * The frame generator: a discrete-event simulation over the catalog's markets. Actions arrive as a
 * Poisson stream (rate steered so the requested number of lines fills the horizon), each picks a
 * market by activity, moves its latent path and acts on its book: takers trade through the top
 * when the fair value leaves the spread, makers re-quote toward it, and otherwise levels are
 * resized, added and cancelled. Scheduled lines (PONGs, resolutions) are merged in by time.
 */
import {
  FINE_TICK_BOUNDS,
  INFORMED_TAKER_SLOPE,
  LATENCY_MEDIAN_MS,
  LATENCY_SIGMA,
  PING_INTERVAL_MS,
  SNAPSHOT_AFTER_TRADE,
  SNAPSHOT_CADENCE_SCALE,
  SNAPSHOT_INTERVAL_MS,
  TRADE_SIZE_MEDIAN,
  TRADE_SIZE_SIGMA,
} from './calibration.js';
import { drawLevelGap, drawLevelSize, drawSpreadTicks, MILLS, YesBook, type Side } from './book-model.js';
import type { SimEvent, SimMarket } from './market-catalog.js';
import { LatentEvent, Mispricing, sigmoid } from './market-model.js';
import { Prng } from './prng.js';
import {
  bookFrame,
  lastTradeFrame,
  malformFrame,
  MALFORMED_KINDS,
  marketResolvedFrame,
  priceChangeFrame,
  tickSizeChangeFrame,
  type WireMarket,
} from './wire.js';

export interface Frame {
  readonly recvTs: number;
  readonly frame: string;
  /** Set on the lines the generator damaged on purpose (the consumer must dead-letter them). */
  readonly malformed?: true;
}

export interface StreamOptions {
  readonly events: number;
  readonly startTs: number;
  readonly durationMs: number;
  readonly malformedRate: number;
  /** Share of trades whose frames are sent as one JSON array. */
  readonly arrayRate: number;
}

interface MarketState {
  readonly m: SimMarket;
  readonly latent: LatentEvent;
  readonly wire: WireMarket;
  readonly book: YesBook;
  readonly mispricing: Mispricing;
  spread: number;
  lastTrade: number;
  nextSnapshotTs: number;
  alive: boolean;
}

const MIN_LEVELS = 3;
const MAX_LEVELS = 14;
const SNAPSHOT_SIGMA = Math.log((SNAPSHOT_INTERVAL_MS[2] as number) / (SNAPSHOT_INTERVAL_MS[0] as number)) / 2.563;

export function* frameStream(events: readonly SimEvent[], opts: StreamOptions, rng: Prng): Generator<Frame> {
  const out: Frame[] = [];
  let lastRecv = 0;
  const malformedOdds = opts.malformedRate / Math.max(1e-9, 1 - opts.malformedRate);

  const push = (ts: number, frame: string, data = true): void => {
    const recvTs = Math.max(lastRecv, ts + Math.round(rng.lognormal(LATENCY_MEDIAN_MS, LATENCY_SIGMA)));
    lastRecv = recvTs;
    out.push({ recvTs, frame });
    if (data && rng.chance(malformedOdds)) {
      out.push({ recvTs, frame: malformFrame(frame, rng.pick(MALFORMED_KINDS), 0.1 + 0.85 * rng.next()), malformed: true });
    }
  };
  const hash = (): string => rng.hex(40);

  const states: MarketState[] = [];
  const resolutions: { ts: number; event: SimEvent; latent: LatentEvent }[] = [];
  for (const e of events) {
    const latent = new LatentEvent(
      e.logitVol / 1.702,
      e.endTs,
      opts.startTs,
      e.markets.map((m) => Math.log(m.p0 / (1 - m.p0)) / 1.702),
    );
    if (e.resolves) resolutions.push({ ts: e.endTs, event: e, latent });
    for (const m of e.markets) {
      const book = new YesBook(m.tick);
      const spread = drawSpreadTicks(rng);
      book.rebuild(m.p0 * MILLS, spread, rng.int(8, MAX_LEVELS), rng);
      states.push({
        m,
        latent,
        wire: { conditionId: m.conditionId, yesToken: m.yesToken, noToken: m.noToken },
        book,
        mispricing: new Mispricing(opts.startTs, rng),
        spread,
        lastTrade: Math.round((book.bestBid + book.bestAsk) / 2 / m.tick) * m.tick,
        nextSnapshotTs: opts.startTs + SNAPSHOT_CADENCE_SCALE * rng.lognormal(SNAPSHOT_INTERVAL_MS[1] as number, SNAPSHOT_SIGMA),
        alive: true,
      });
    }
  }
  resolutions.sort((a, b) => a.ts - b.ts);

  const snapshot = (s: MarketState, ts: number, yes: boolean): string => bookFrame(s.wire, s.book, yes, ts, hash(), s.lastTrade);
  const change = (s: MarketState, ts: number, side: Side, price: number, size: number): string => {
    s.book.set(side, price, size);
    return priceChangeFrame(s.wire, s.book, side, price, size, ts, hash(), hash(), rng.chance(0.5));
  };

  // Subscription dump: the server answers the subscribe frame with arrays of book snapshots.
  let yielded = 0;
  for (let i = 0; i < states.length; i += 5) {
    const books = states.slice(i, i + 5).flatMap((s) => [snapshot(s, opts.startTs, true), snapshot(s, opts.startTs, false)]);
    push(opts.startTs, `[${books.join(',')}]`, false);
  }

  // Activity weights over live markets, rebuilt when a market resolves.
  let live: MarketState[] = [];
  let cumulative = new Float64Array(0);
  const rebuildWeights = (): void => {
    live = states.filter((s) => s.alive);
    cumulative = new Float64Array(live.length);
    let acc = 0;
    live.forEach((s, i) => {
      acc += s.m.activity;
      cumulative[i] = acc;
    });
  };
  rebuildWeights();
  const pickMarket = (): MarketState | undefined => {
    if (live.length === 0) return undefined;
    const x = rng.next() * (cumulative[live.length - 1] as number);
    let lo = 0;
    let hi = live.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) > x) hi = mid;
      else lo = mid + 1;
    }
    return live[lo];
  };

  const end = opts.startTs + opts.durationMs;
  let t = opts.startTs + 100;
  let nextPing = opts.startTs + PING_INTERVAL_MS;
  let actions = 0;
  let actionLines = 0;

  while (true) {
    while (out.length > 0) {
      if (yielded >= opts.events) return;
      yield out.shift() as Frame;
      yielded++;
    }
    if (yielded >= opts.events) return;
    const remaining = opts.events - yielded;
    const perAction = actions < 50 ? 1.5 : actionLines / actions;
    const rate = remaining / (Math.max(1000, end - t) * perAction);
    t += rng.exp(1 / rate);
    while (nextPing <= t) {
      push(nextPing, 'PONG', false);
      nextPing += PING_INTERVAL_MS;
    }
    const firstRes = resolutions[0];
    if (firstRes !== undefined && firstRes.ts <= t) {
      resolutions.shift();
      resolve(firstRes.event, firstRes.latent, firstRes.ts);
      continue;
    }
    const s = pickMarket();
    if (s === undefined) {
      // Every market resolved: only keepalives remain.
      push(nextPing, 'PONG', false);
      nextPing += PING_INTERVAL_MS;
      continue;
    }
    const before = out.length;
    act(s, t);
    actions++;
    actionLines += out.length - before;
  }

  function resolve(e: SimEvent, latent: LatentEvent, ts: number): void {
    const outcome = latent.resolve(rng);
    for (const m of e.markets) {
      const s = states[m.index] as MarketState;
      s.alive = false;
      push(ts + m.rank, marketResolvedFrame(s.wire, m.gammaId, outcome[m.rank] === true, ts + m.rank, m.tags));
    }
    rebuildWeights();
  }

  function act(s: MarketState, now: number): void {
    const ts = Math.floor(now);
    const book = s.book;
    s.latent.advance(now, rng);
    const trueLogit = s.latent.trueLogit(s.m.rank);
    const pTrue = sigmoid(trueLogit);
    const pMkt = sigmoid(trueLogit + s.mispricing.advance(now, rng));
    const fair = pMkt * MILLS;
    let tick = book.tick;

    if (tick === 10 && (pMkt < (FINE_TICK_BOUNDS[0] as number) || pMkt > (FINE_TICK_BOUNDS[1] as number))) {
      push(ts, tickSizeChangeFrame(s.wire, true, 10, 1, ts));
      push(ts, tickSizeChangeFrame(s.wire, false, 10, 1, ts));
      book.tick = 1;
      book.rebuild(fair, s.spread, rng.int(8, MAX_LEVELS), rng);
      s.lastTrade = Math.min(MILLS - 1, Math.max(1, s.lastTrade));
      push(ts, snapshot(s, ts, true));
      push(ts, snapshot(s, ts, false));
      return;
    }
    if (rng.chance(0.02)) s.spread = drawSpreadTicks(rng);
    const bb = book.bestBid;
    const ba = book.bestAsk;
    const mid = (bb + ba) / 2;
    // A book left far behind the fair value (a quiet market after news) is re-sent whole.
    if (Math.abs(fair - mid) > 10 * tick + (ba - bb) / 2) {
      book.rebuild(fair, s.spread, rng.int(8, MAX_LEVELS), rng);
      push(ts, snapshot(s, ts, true));
      push(ts, snapshot(s, ts, false));
      return;
    }
    if (now >= s.nextSnapshotTs) {
      s.nextSnapshotTs = now + SNAPSHOT_CADENCE_SCALE * rng.lognormal(SNAPSHOT_INTERVAL_MS[1] as number, SNAPSHOT_SIGMA);
      push(ts, snapshot(s, ts, true));
      push(ts, snapshot(s, ts, false));
      return;
    }
    // Keep each side a few levels deep.
    if (book.bidLevels < MIN_LEVELS && addDeeper(s, ts, 'BUY')) return;
    if (book.askLevels < MIN_LEVELS && addDeeper(s, ts, 'SELL')) return;
    if (book.bidLevels > MAX_LEVELS) return cancelLevel(s, ts, 'BUY', true);
    if (book.askLevels > MAX_LEVELS) return cancelLevel(s, ts, 'SELL', true);

    // Fair value outside the spread: takers hit the top, or makers pull it.
    if (fair >= ba + tick / 2) {
      if (rng.chance(0.65)) return trade(s, ts, 'BUY', true);
      if (book.askLevels > 1) return void push(ts, change(s, ts, 'SELL', ba, 0));
      return trade(s, ts, 'BUY', false);
    }
    if (fair <= bb - tick / 2) {
      if (rng.chance(0.65)) return trade(s, ts, 'SELL', true);
      if (book.bidLevels > 1) return void push(ts, change(s, ts, 'BUY', bb, 0));
      return trade(s, ts, 'SELL', false);
    }
    // Makers quote toward the fair value.
    tick = book.tick;
    const bidStar = Math.min(Math.max(Math.floor((fair - (s.spread * tick) / 2) / tick) * tick, tick), MILLS - 2 * tick);
    const askStar = Math.min(bidStar + s.spread * tick, MILLS - tick);
    if (bb < bidStar) {
      const p = Math.min(bidStar, ba - tick);
      if (p > bb) return void push(ts, change(s, ts, 'BUY', p, drawLevelSize(0, rng)));
    }
    if (ba > askStar) {
      const p = Math.max(askStar, bb + tick);
      if (p < ba) return void push(ts, change(s, ts, 'SELL', p, drawLevelSize(0, rng)));
    }
    // Book in place: background flow.
    const r = rng.next();
    if (r < 0.14) {
      const buy = rng.chance(Math.min(0.9, Math.max(0.1, 0.5 + INFORMED_TAKER_SLOPE * (pTrue - pMkt))));
      return trade(s, ts, buy ? 'BUY' : 'SELL', false);
    }
    const side: Side = rng.chance(0.5) ? 'BUY' : 'SELL';
    if (r < 0.8 && r >= 0.6 && addDeeper(s, ts, side)) return;
    if (r >= 0.8 && (side === 'BUY' ? book.bidLevels : book.askLevels) > MIN_LEVELS + 1) return cancelLevel(s, ts, side, false);
    resizeLevel(s, ts, side);
  }

  /** A taker order at the top of the book: `last_trade_price`, then the level's new size. */
  function trade(s: MarketState, ts: number, takerSide: Side, sweep: boolean): void {
    const book = s.book;
    const restingSide: Side = takerSide === 'BUY' ? 'SELL' : 'BUY';
    const price = takerSide === 'BUY' ? book.bestAsk : book.bestBid;
    const resting = book.size(restingSide, price);
    if (resting <= 0) return resizeLevel(s, ts, restingSide);
    const levels = restingSide === 'BUY' ? book.bidLevels : book.askLevels;
    let size = Math.max(100, Math.round(rng.lognormal(TRADE_SIZE_MEDIAN, TRADE_SIZE_SIGMA)) * 100);
    if ((sweep && rng.chance(0.6)) || size >= resting) size = resting;
    if (levels <= 1) {
      // The last level on a side is never taken out: a maker refills it first.
      if (resting - size < 500) size = resting - 500;
      if (size < 1) {
        push(ts, change(s, ts, restingSide, price, resting + drawLevelSize(0, rng)));
        return;
      }
    }
    const left = resting - size;
    // Either token's trade is the same match: a YES buy at p is a NO sell at 1 - p.
    const onYes = rng.chance(0.5);
    const ltp = onYes
      ? lastTradeFrame(s.wire, true, price, size, takerSide, ts)
      : lastTradeFrame(s.wire, false, MILLS - price, size, takerSide === 'BUY' ? 'SELL' : 'BUY', ts);
    s.lastTrade = price;
    const pc = change(s, ts, restingSide, price, left);
    if (rng.chance(opts.arrayRate)) push(ts, `[${ltp},${pc}]`);
    else {
      push(ts, ltp);
      push(ts, pc);
    }
    if (rng.chance(SNAPSHOT_AFTER_TRADE)) push(ts, snapshot(s, ts, onYes));
  }

  function addDeeper(s: MarketState, ts: number, side: Side): boolean {
    const book = s.book;
    const tick = book.tick;
    const levels = side === 'BUY' ? book.bidLevels : book.askLevels;
    if (levels >= MAX_LEVELS) return false;
    const prices = book.levels(side);
    const deepest = prices[prices.length - 1];
    const gap = drawLevelGap(rng) * tick;
    let p: number;
    if (side === 'BUY') p = deepest === undefined ? Math.min(book.bestAsk - tick, MILLS - 2 * tick) : deepest - gap;
    else p = deepest === undefined ? Math.max(book.bestBid + tick, 2 * tick) : deepest + gap;
    p = Math.round(p / tick) * tick;
    if (p < tick || p > MILLS - tick || book.size(side, p) > 0) return false;
    if (side === 'BUY' ? p >= book.bestAsk : p <= book.bestBid) return false;
    push(ts, change(s, ts, side, p, drawLevelSize(Math.min(prices.length, 4), rng)));
    return true;
  }

  function cancelLevel(s: MarketState, ts: number, side: Side, deepest: boolean): void {
    const prices = s.book.levels(side);
    if (prices.length <= 1) return resizeLevel(s, ts, side);
    const p = deepest ? (prices[prices.length - 1] as number) : (prices[rng.int(1, prices.length)] as number);
    push(ts, change(s, ts, side, p, 0));
  }

  function resizeLevel(s: MarketState, ts: number, side: Side): void {
    const prices = s.book.levels(side);
    if (prices.length === 0) {
      if (!addDeeper(s, ts, side)) push(ts, snapshot(s, ts, true));
      return;
    }
    const i = Math.min(prices.length - 1, Math.floor(rng.exp(1.5)));
    const p = prices[i] as number;
    const old = s.book.size(side, p);
    // An order joins or leaves the level: the wire carries the new aggregate size.
    const delta = Math.max(500, Math.round(rng.lognormal(TRADE_SIZE_MEDIAN * 3, 1.2)) * 100);
    const next = rng.chance(0.55) || old - delta < 500 ? old + delta : old - delta;
    push(ts, change(s, ts, side, p, next));
  }
}
