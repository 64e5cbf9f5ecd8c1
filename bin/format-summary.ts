import type { RunSummary } from '../schemas/run-summary.js';

const num = (x: number | null, digits = 4): string => (x === null ? '-' : x.toFixed(digits));
const int = (x: number): string => x.toLocaleString('en-US');
const usd = (x: number | null): string => (x === null ? '-' : `${x < 0 ? '-' : ''}$${Math.abs(x).toFixed(2)}`);

/** The summary table the CLI prints at the end of a run. */
export function formatSummary(s: RunSummary): string {
  const rows: Array<[string, string]> = [
    ['events', int(s.events)],
    ['markets', int(s.markets)],
    ['dead letters (dlq)', int(s.dlq)],
    ['book updates / trades', `${int(s.book_updates)} / ${int(s.trades)}`],
    ['predictions', int(s.predictions)],
    ['signals STRONG / MEDIUM / WEAK', `${int(s.signals.STRONG)} / ${int(s.signals.MEDIUM)} / ${int(s.signals.WEAK)}`],
    ['orders / fills', `${int(s.orders)} / ${int(s.fills)}`],
    ['risk events', int(s.risk_events)],
    ['PnL (realized + unrealized)', usd(s.pnl)],
    ['equity', usd(s.equity)],
    ['max drawdown', s.max_drawdown === null ? '-' : `${(s.max_drawdown * 100).toFixed(2)}%`],
    ['win rate (settled positions)', s.win_rate === null ? '-' : `${(s.win_rate * 100).toFixed(1)}% of ${int(s.settled_positions)}`],
    ['Sharpe (daily, annualised)', num(s.sharpe, 2)],
    ['resolved markets / scored predictions', `${int(s.resolved_markets)} / ${int(s.scored_predictions)}`],
    ['Brier  model | market', `${num(s.brier_model)} | ${num(s.brier_market)}`],
    ['log loss  model | market', `${num(s.log_loss_model)} | ${num(s.log_loss_market)}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return `\n${rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n')}\n`;
}

/**
 * The run's speed, of the events this process replayed: a run resumed from a checkpoint counts
 * those after it only (the events before were replayed by the process that was stopped).
 */
export function formatThroughput(events: number, resumedAtEvent: number | undefined, seconds: number): string {
  const rate = (x: number): string => `${int(x)} events in ${seconds.toFixed(2)} s (${int(Math.round(x / seconds))} events/s)`;
  if (resumedAtEvent === undefined) return rate(events);
  const now = events - resumedAtEvent;
  if (now <= 0) return `${int(events)} events; resumed at the end of the input, nothing left to replay (${seconds.toFixed(2)} s)`;
  return `${int(events)} events; resumed after event ${int(resumedAtEvent)}: ${rate(now)}`;
}
