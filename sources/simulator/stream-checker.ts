/**
 * An independent reader of a generated stream, for tests and sanity checks: it parses each frame
 * from its text (not from simulator state), validates it, rebuilds every token's book from
 * snapshots and deltas the way a consumer does (POLYMARKET.md B.1), and reports violations and
 * the stream's own statistics (time-sampled spreads and mids).
 */
import { parseMicros } from '../../schemas/units.js';
import { JUMP_LOGIT_HOURLY, LOGIT_CLIP, MID_RANGE } from './calibration.js';

export interface CheckedMarket {
  readonly conditionId: string;
  readonly yes: string;
  readonly no: string;
  readonly tickMicros: number;
  readonly endTs: number;
}

export interface StreamCheck {
  lines: number;
  dataLines: number;
  pong: number;
  malformed: number;
  arrays: number;
  byType: Record<string, number>;
  violations: string[];
  /** Per YES token on a 0.01 tick, one spread (in ticks) per minute of stream time. */
  spreadTicks: number[];
  /** Per market: YES mid (probability) at each whole minute, with the minute index. */
  mids: Map<string, [number, number][]>;
  resolved: Map<string, { ts: number; yesWon: boolean }>;
}

interface TokenBook {
  bids: Map<number, number>;
  asks: Map<number, number>;
  tick: number;
  /** False after tick_size_change until the next snapshot. */
  live: boolean;
  lastMinute: number;
}

const VIOLATION_CAP = 50;

export function checkedMarkets(records: readonly { market: Record<string, unknown> }[]): CheckedMarket[] {
  return records.map(({ market }) => {
    const tokens = JSON.parse(market['clobTokenIds'] as string) as string[];
    return {
      conditionId: market['conditionId'] as string,
      yes: tokens[0] as string,
      no: tokens[1] as string,
      tickMicros: Math.round((market['orderPriceMinTickSize'] as number) * 1e6),
      endTs: Date.parse(market['endDate'] as string),
    };
  });
}

const best = (levels: Map<number, number>, bid: boolean): number => {
  let b = bid ? -1 : Infinity;
  for (const p of levels.keys()) if (bid ? p > b : p < b) b = p;
  return b;
};

export function checkStream(markets: readonly CheckedMarket[], frames: Iterable<{ recvTs: number; frame: string }>): StreamCheck {
  const out: StreamCheck = { lines: 0, dataLines: 0, pong: 0, malformed: 0, arrays: 0, byType: {}, violations: [], spreadTicks: [], mids: new Map(), resolved: new Map() };
  const violate = (msg: string): void => {
    if (out.violations.length < VIOLATION_CAP) out.violations.push(msg);
  };
  const books = new Map<string, TokenBook>();
  const yesOf = new Map<string, CheckedMarket>();
  for (const m of markets) {
    for (const token of [m.yes, m.no]) books.set(token, { bids: new Map(), asks: new Map(), tick: m.tickMicros, live: false, lastMinute: -1 });
    yesOf.set(m.yes, m);
    out.mids.set(m.conditionId, []);
  }
  let lastRecv = -Infinity;

  /** Records one sample per whole minute elapsed for a YES token, from its state before `ts`. */
  const sample = (asset: string, ts: number): void => {
    const m = yesOf.get(asset);
    const b = books.get(asset);
    if (m === undefined || b === undefined || !b.live) return;
    const minute = Math.floor(ts / 60_000);
    if (b.lastMinute < 0) b.lastMinute = minute;
    if (minute <= b.lastMinute) return;
    const bb = best(b.bids, true);
    const ba = best(b.asks, false);
    if (bb >= 0 && ba < Infinity) {
      const series = out.mids.get(m.conditionId) as [number, number][];
      for (let k = Math.max(b.lastMinute + 1, minute - 180); k <= minute; k++) {
        if (b.tick === 10_000) out.spreadTicks.push(Math.round((ba - bb) / b.tick));
        series.push([k, (ba + bb) / 2e6]);
      }
    }
    b.lastMinute = minute;
  };

  const decimal = (v: unknown, tick: number | undefined): number => {
    if (typeof v !== 'string') return NaN;
    const x = parseMicros(v);
    if (tick !== undefined && Number.isFinite(x) && x % tick !== 0) return NaN;
    return x;
  };

  /** Validates one event; returns an error text or applies it and returns undefined. */
  const apply = (ev: unknown): string | undefined => {
    if (typeof ev !== 'object' || ev === null) return 'not an object';
    const e = ev as Record<string, unknown>;
    const type = e['event_type'];
    const ts = Number(e['timestamp']);
    if (!Number.isSafeInteger(ts)) return 'bad timestamp';
    switch (type) {
      case 'book': {
        const asset = e['asset_id'];
        const b = typeof asset === 'string' ? books.get(asset) : undefined;
        if (b === undefined) return 'book: unknown asset_id';
        const side = (levels: unknown): Map<number, number> | undefined => {
          if (!Array.isArray(levels)) return undefined;
          const map = new Map<number, number>();
          for (const l of levels as Record<string, unknown>[]) {
            const p = decimal(l['price'], b.tick);
            const s = decimal(l['size'], undefined);
            if (!(p > 0 && p < 1e6) || !(s > 0)) return undefined;
            map.set(p, s);
          }
          return map;
        };
        const tick = decimal(e['tick_size'], undefined);
        if (tick !== b.tick) return 'book: tick_size differs from the tracked tick';
        const bids = side(e['bids']);
        const asks = side(e['asks']);
        if (bids === undefined || asks === undefined) return 'book: bad level';
        sample(asset as string, ts);
        b.bids = bids;
        b.asks = asks;
        b.live = true;
        if (best(bids, true) >= best(asks, false)) violate(`crossed book snapshot ${String(asset)} at ${ts}`);
        return undefined;
      }
      case 'price_change': {
        const entries = e['price_changes'];
        if (!Array.isArray(entries) || entries.length === 0) return 'price_change: no entries';
        const parsed: { b: TokenBook; asset: string; side: string; p: number; s: number; bb: number; ba: number }[] = [];
        for (const x of entries as Record<string, unknown>[]) {
          const asset = x['asset_id'];
          const b = typeof asset === 'string' ? books.get(asset) : undefined;
          if (b === undefined) return 'price_change: unknown asset_id';
          const p = decimal(x['price'], b.tick);
          const s = decimal(x['size'], undefined);
          const side = x['side'];
          if (!(p > 0 && p < 1e6) || !(s >= 0) || (side !== 'BUY' && side !== 'SELL')) return 'price_change: bad level';
          const bb = decimal(x['best_bid'], undefined);
          const ba = decimal(x['best_ask'], undefined);
          if (!Number.isFinite(bb) || !Number.isFinite(ba)) return 'price_change: bad best';
          if (typeof x['hash'] !== 'string') return 'price_change: no hash';
          parsed.push({ b, asset: asset as string, side, p, s, bb, ba });
        }
        for (const x of parsed) {
          if (!x.b.live) continue;
          sample(x.asset, ts);
          const levels = x.side === 'BUY' ? x.b.bids : x.b.asks;
          if (x.s === 0) levels.delete(x.p);
          else levels.set(x.p, x.s);
        }
        for (const x of parsed) {
          if (!x.b.live) continue;
          const bb = best(x.b.bids, true);
          const ba = best(x.b.asks, false);
          if (bb !== x.bb || ba !== x.ba) violate(`best_bid/best_ask ${x.bb}/${x.ba} != tracked ${bb}/${ba} (${x.asset.slice(0, 8)} at ${ts})`);
          if (bb >= ba) violate(`crossed book ${x.asset.slice(0, 8)} at ${ts}`);
        }
        return undefined;
      }
      case 'last_trade_price': {
        const asset = e['asset_id'];
        const b = typeof asset === 'string' ? books.get(asset) : undefined;
        if (b === undefined) return 'last_trade_price: unknown asset_id';
        const p = decimal(e['price'], b.tick);
        const s = decimal(e['size'], undefined);
        if (!(p > 0 && p < 1e6) || !(s > 0)) return 'last_trade_price: bad price or size';
        return undefined;
      }
      case 'tick_size_change': {
        const asset = e['asset_id'];
        const b = typeof asset === 'string' ? books.get(asset) : undefined;
        if (b === undefined) return 'tick_size_change: unknown asset_id';
        const oldTick = decimal(e['old_tick_size'], undefined);
        const newTick = decimal(e['new_tick_size'], undefined);
        if (oldTick !== b.tick || !(newTick > 0)) return 'tick_size_change: bad ticks';
        sample(asset as string, ts);
        b.tick = newTick;
        b.live = false;
        return undefined;
      }
      case 'market_resolved': {
        const market = e['market'];
        const winner = e['winning_asset_id'];
        const m = markets.find((x) => x.conditionId === market);
        if (m === undefined || (winner !== m.yes && winner !== m.no)) return 'market_resolved: unknown market or winner';
        out.resolved.set(m.conditionId, { ts, yesWon: winner === m.yes });
        return undefined;
      }
      default:
        return `unknown event_type ${String(type)}`;
    }
  };

  for (const { recvTs, frame } of frames) {
    out.lines++;
    if (recvTs < lastRecv) violate(`recvTs went back at line ${out.lines}`);
    lastRecv = recvTs;
    if (frame === 'PONG') {
      out.pong++;
      continue;
    }
    out.dataLines++;
    let parsed: unknown;
    try {
      parsed = JSON.parse(frame);
    } catch {
      out.malformed++;
      continue;
    }
    const events = Array.isArray(parsed) ? parsed : [parsed];
    if (Array.isArray(parsed)) out.arrays++;
    let bad = false;
    for (const ev of events) {
      const err = apply(ev);
      if (err !== undefined) {
        bad = true;
        break;
      }
      const type = String((ev as Record<string, unknown>)['event_type']);
      out.byType[type] = (out.byType[type] ?? 0) + 1;
    }
    if (bad) out.malformed++;
  }
  return out;
}

const logit = (p: number): number => {
  const c = Math.min(1 - LOGIT_CLIP, Math.max(LOGIT_CLIP, p));
  return Math.log(c / (1 - c));
};

/**
 * Per-market diffusive hourly logit vol of the stream's mids (the statistic of
 * `measureCalibration`'s perMarketLogitVol), using only hours at least `minHoursToClose` before the
 * market's end date; markets with fewer than `minSteps` mid-range steps are skipped.
 */
export function hourlyLogitVols(check: StreamCheck, markets: readonly CheckedMarket[], minHoursToClose: number, minSteps = 10): number[] {
  const vols: number[] = [];
  for (const m of markets) {
    const series = check.mids.get(m.conditionId) ?? [];
    const hourly = series.filter(([minute]) => minute % 60 === 0);
    let sum = 0;
    let n = 0;
    for (let i = 1; i < hourly.length; i++) {
      const [m0, p0] = hourly[i - 1] as [number, number];
      const [m1, p1] = hourly[i] as [number, number];
      if (m1 - m0 !== 60) continue;
      if ((m.endTs - m1 * 60_000) / 3_600_000 < minHoursToClose) continue;
      if (p0 < (MID_RANGE[0] as number) || p0 > (MID_RANGE[1] as number) || p1 < (MID_RANGE[0] as number) || p1 > (MID_RANGE[1] as number)) continue;
      const d = logit(p1) - logit(p0);
      if (Math.abs(d) > JUMP_LOGIT_HOURLY) continue;
      sum += d * d;
      n++;
    }
    if (n >= minSteps) vols.push(Math.sqrt(sum / n));
  }
  return vols;
}
