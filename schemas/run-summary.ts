/**
 * The figures a run ends with (`summary.json`, the CLI table, later `polyflow report --json`).
 * Keys are snake_case and stable: users' scripts read them. Money is in dollars; NaN (nothing to
 * measure yet) is written as null.
 */
export interface RunSummary {
  /** Market-channel messages received (websocket frames, PONG keepalives and bad ones included). */
  readonly events: number;
  readonly markets: number;
  readonly dlq: number;
  readonly book_updates: number;
  readonly trades: number;
  readonly resolutions: number;
  readonly predictions: number;
  readonly signals: { readonly STRONG: number; readonly MEDIUM: number; readonly WEAK: number; readonly total: number };
  readonly orders: number;
  readonly fills: number;
  readonly risk_events: number;
  readonly pnl: number;
  readonly equity: number | null;
  readonly max_drawdown: number;
  readonly win_rate: number | null;
  readonly settled_positions: number;
  readonly sharpe: number | null;
  readonly resolved_markets: number;
  readonly scored_predictions: number;
  readonly brier_model: number | null;
  readonly brier_market: number | null;
  readonly log_loss_model: number | null;
  readonly log_loss_market: number | null;
}
