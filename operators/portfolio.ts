import type { OperatorFunction } from 'rxjs';
import { stepOperator } from './step-operator.js';
import type { StateSlot } from '../runtime/state-registry.js';
import type { Fill } from '../schemas/fill.js';
import type { AssetId, MarketId } from '../schemas/ids.js';
import type { MarketMeta } from '../schemas/market-meta.js';
import type { PortfolioSnapshot } from '../schemas/portfolio-snapshot.js';
import type { Resolution } from '../schemas/resolution.js';
import type { Direction } from '../schemas/signal.js';
import { MICROS, notionalMicros, type SizeMicros, type UsdMicros } from '../schemas/units.js';
import type { BookChange } from './book-view.js';

/**
 * Book-keeping of the paper account: cash, positions at cost, marks at mid, settlement at
 * resolution, and a `PortfolioSnapshot` after each of them.
 */

/** `meta` is accepted so every trading operator takes the same merged input; the portfolio needs nothing from it. */
export type PortfolioInput =
  | { readonly kind: 'fill'; readonly fill: Fill }
  | { readonly kind: 'resolution'; readonly resolution: Resolution }
  | { readonly kind: 'book'; readonly change: BookChange }
  | { readonly kind: 'meta'; readonly meta: MarketMeta };

export interface PortfolioOptions {
  /** Starting cash, micro-dollars. */
  readonly bankroll: UsdMicros;
  /** Least event time between two 'mark' snapshots, ms. Default 60_000. */
  readonly markIntervalMs?: number;
  /** Assets whose last mid is remembered before we hold them (the longest-held evicted first). Default 50_000. */
  readonly maxAssets?: number;
}

export const PORTFOLIO_DEFAULTS = { markIntervalMs: 60_000, maxAssets: 50_000 } as const;

/** One open position: a YES or NO holding on one outcome token. YES and NO on the same token are kept apart, never netted. */
export interface Position {
  readonly assetId: AssetId;
  readonly market: MarketId;
  readonly direction: Direction;
  size: number;
  /** Notional paid plus fees, micro-dollars. */
  cost: number;
  /** Last price of the held side (YES: mid; NO: 1e6 - mid), micro-dollars, may be x.5; undefined until marked. */
  mark: number | undefined;
}

/** A position closed at resolution; the portfolio's record of one win or loss. */
export interface SettledPosition {
  readonly assetId: AssetId;
  readonly market: MarketId;
  readonly direction: Direction;
  readonly ts: number;
  readonly size: SizeMicros;
  readonly cost: UsdMicros;
  readonly payout: UsdMicros;
  /** payout - cost. */
  readonly realizedPnl: UsdMicros;
}

export interface PortfolioState {
  cash: number;
  realizedPnl: number;
  peakEquity: number;
  /** Keyed `${assetId}|${direction}`. */
  readonly positions: Map<string, Position>;
  /** Last two-sided mid per asset (oldest-inserted evicted past maxAssets). */
  readonly mids: Map<AssetId, number>;
  /** Assets with an open position, so a book change of any other asset costs one lookup. */
  readonly held: Set<AssetId>;
  lastMarkTs: number;
  seq: number;
}

export const initialPortfolioState = (opts: PortfolioOptions): PortfolioState => ({
  cash: opts.bankroll,
  realizedPnl: 0,
  peakEquity: opts.bankroll,
  positions: new Map(),
  mids: new Map(),
  held: new Set(),
  lastMarkTs: -Infinity,
  seq: 0,
});

/** What the kernel emits: every snapshot, and the position a settlement snapshot closed. */
export interface PortfolioOutput {
  readonly snapshot: PortfolioSnapshot;
  readonly settled?: SettledPosition;
}

const positionKey = (asset: AssetId, direction: Direction): string => `${asset}|${direction}`;

const markOf = (direction: Direction, mid: number): number => (direction === 'YES' ? mid : MICROS - mid);

/** Marked value; a never-marked position is held at cost. */
const valueOf = (p: Position): number => (p.mark === undefined ? p.cost : Math.round((p.mark * p.size) / MICROS));

function snapshot(state: PortfolioState, reason: PortfolioSnapshot['reason'], ts: number): PortfolioSnapshot {
  let value = 0;
  let exposure = 0;
  for (const p of state.positions.values()) {
    value += valueOf(p);
    exposure += p.cost;
  }
  const equity = state.cash + value;
  // The peak is taken over emitted states only, so every snapshot's peak is one a consumer saw.
  if (equity > state.peakEquity) state.peakEquity = equity;
  const peak = state.peakEquity;
  return {
    id: `pf:${reason}:${ts}:${state.seq++}`,
    ts,
    reason,
    cash: state.cash as UsdMicros,
    equity: equity as UsdMicros,
    realizedPnl: state.realizedPnl as UsdMicros,
    unrealizedPnl: (value - exposure) as UsdMicros,
    exposure: exposure as UsdMicros,
    peakEquity: peak as UsdMicros,
    drawdown: peak > 0 ? Math.max(0, (peak - equity) / peak) : 0,
    openPositions: state.positions.size,
  };
}

/**
 * The pure step: applies one input to `state` (in place) and returns what it emits.
 * A settlement emits one snapshot per position it closes, so each realised result is visible
 * on the stream as one `realizedPnl` increment (analytics derives its win rate from that).
 */
export function portfolioStep(state: PortfolioState, input: PortfolioInput, opts: PortfolioOptions): PortfolioOutput[] {
  switch (input.kind) {
    case 'meta':
      return [];
    case 'fill': {
      const { fill } = input;
      if (!(fill.size > 0)) return [];
      const cost = notionalMicros(fill.price, fill.size) + fill.fee;
      state.cash -= cost;
      const key = positionKey(fill.assetId, fill.direction);
      const mid = state.mids.get(fill.assetId);
      state.held.add(fill.assetId);
      const pos = state.positions.get(key);
      if (pos === undefined) {
        state.positions.set(key, {
          assetId: fill.assetId,
          market: fill.market,
          direction: fill.direction,
          size: fill.size,
          cost,
          mark: mid === undefined ? undefined : markOf(fill.direction, mid),
        });
      } else {
        pos.size += fill.size;
        pos.cost += cost;
      }
      return [{ snapshot: snapshot(state, 'fill', fill.ts) }];
    }
    case 'resolution': {
      const { resolution } = input;
      const out: PortfolioOutput[] = [];
      for (const [key, p] of state.positions) {
        if (p.market !== resolution.market) continue;
        const won = p.direction === 'YES' ? p.assetId === resolution.winningAssetId : p.assetId !== resolution.winningAssetId;
        // 1e6 micro-dollars per share: the payout in micro-dollars equals the size in micro-shares.
        const payout = won ? p.size : 0;
        const pnl = payout - p.cost;
        state.cash += payout;
        state.realizedPnl += pnl;
        state.positions.delete(key);
        if (!state.positions.has(positionKey(p.assetId, p.direction === 'YES' ? 'NO' : 'YES'))) state.held.delete(p.assetId);
        const settled: SettledPosition = {
          assetId: p.assetId,
          market: p.market,
          direction: p.direction,
          ts: resolution.ts,
          size: p.size as SizeMicros,
          cost: p.cost as UsdMicros,
          payout: payout as UsdMicros,
          realizedPnl: pnl as UsdMicros,
        };
        out.push({ snapshot: snapshot(state, 'settlement', resolution.ts), settled });
      }
      return out;
    }
    case 'book': {
      const { update, book } = input.change;
      const id = update.assetId;
      const bid = book.bestBid();
      const ask = book.bestAsk();
      // One side empty: the last mark stays.
      const held = state.held.has(id);
      if (bid > 0 && ask > 0) {
        const mid = (bid + ask) / 2;
        if (state.mids.size >= (opts.maxAssets ?? PORTFOLIO_DEFAULTS.maxAssets) && !state.mids.has(id)) {
          const oldest = state.mids.keys().next();
          if (oldest.done !== true) state.mids.delete(oldest.value);
        }
        state.mids.set(id, mid);
        if (held) {
          for (const direction of ['YES', 'NO'] as const) {
            const p = state.positions.get(positionKey(id, direction));
            if (p !== undefined) p.mark = markOf(direction, mid);
          }
        }
      }
      if (!held || update.ts - state.lastMarkTs < (opts.markIntervalMs ?? PORTFOLIO_DEFAULTS.markIntervalMs)) return [];
      state.lastMarkTs = update.ts;
      return [{ snapshot: snapshot(state, 'mark', update.ts) }];
    }
  }
}

/**
 * Paper portfolio: cash starts at `bankroll`; a fill debits `notionalMicros(price, size) + fee`
 * and adds to the position (asset, direction) at cost, fees included; positions are marked at mid
 * (NO at 1e6 - mid); a resolution pays 1e6 per share to YES on the winner and to NO on every other
 * token of the market. Emits a snapshot per fill ('fill'), per settled position ('settlement'),
 * and on book changes of held assets at most once per `markIntervalMs` of event time ('mark').
 * Equity = cash + marked value = bankroll + realizedPnl + unrealizedPnl.
 *
 * @example
 * merge(fills$.pipe(map((fill) => ({ kind: 'fill', fill }) as const)), ...)
 *   .pipe(portfolio({ bankroll: 10_000_000_000 as UsdMicros, markIntervalMs: 60_000 }));
 */
export function portfolio(opts: PortfolioOptions, slot?: StateSlot): OperatorFunction<PortfolioInput, PortfolioSnapshot> {
  return stepOperator(
    () => initialPortfolioState(opts),
    (state, input: PortfolioInput) => {
      const out = portfolioStep(state, input, opts);
      return out.length === 0 ? undefined : out.map((o) => o.snapshot);
    },
    { slot },
  );
}
