import type { Fill } from '../schemas/fill.js';
import type { MarketMeta } from '../schemas/market-meta.js';
import type { Order } from '../schemas/order.js';
import type { PortfolioSnapshot } from '../schemas/portfolio-snapshot.js';
import type { Resolution } from '../schemas/resolution.js';
import type { RiskEvent } from '../schemas/risk-event.js';

/**
 * Durable state (DESIGN §4): the account's rows, the pipelines' checkpoints and the operator
 * settings, in Postgres. One interface; `sinks/postgres/` implements it over a `pg` pool (a real
 * server) and over PGlite (embedded), with the same SQL and migrations.
 */
export interface StateStore {
  readonly kind: 'postgres' | 'pglite';
  /** Applies pending migrations; returns the versions applied now. Safe to call on every start. */
  migrate(): Promise<number[]>;
  /**
   * Writes `rows` (idempotent upserts keyed by event id; positions recomputed from fills and
   * resolutions) and, when given, the checkpoint that reflects them: all in ONE transaction.
   * Connection failures are retried with backoff until `retryForMs`; the caller awaits, which is
   * the backpressure.
   */
  commit(rows: StateRows, checkpoint?: PipelineCheckpoint): Promise<void>;
  loadCheckpoint(pipeline: string): Promise<PipelineCheckpoint | undefined>;
  deleteCheckpoint(pipeline: string): Promise<void>;
  /**
   * Deletes the account's rows (markets, resolutions, orders, fills, positions, portfolio
   * snapshots, risk events, breaker state) and `pipeline`'s checkpoint in one transaction; settings,
   * models and other pipelines' checkpoints stay. For a store that holds one run only (a replay's
   * `<out>/pglite`) started again from its first record.
   */
  resetRun(pipeline: string): Promise<void>;
  /** The stored JSON value, undefined when the key is not set. */
  getSetting(key: string): Promise<unknown>;
  setSetting(key: string, value: unknown): Promise<void>;
  /** True when the key was set. */
  deleteSetting(key: string): Promise<boolean>;
  listSettings(): Promise<SettingRow[]>;
  /**
   * The latest `limit` alert ids recorded as delivered to webhook target `target`, oldest first;
   * older rows of the target are deleted.
   */
  deliveredAlerts(target: string, limit: number): Promise<string[]>;
  /** Records that alert `alertId` was delivered to `target` (again: no change). */
  recordAlertDelivery(target: string, alertId: string): Promise<void>;
  /** A read for tools and tests. */
  query<R extends object = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

/** Records to persist, as published on their topics. */
export interface StateRows {
  readonly markets: readonly MarketMeta[];
  readonly resolutions: readonly Resolution[];
  readonly orders: readonly Order[];
  readonly fills: readonly Fill[];
  readonly portfolio: readonly PortfolioSnapshot[];
  readonly riskEvents: readonly RiskEvent[];
}

export const NO_ROWS: StateRows = { markets: [], resolutions: [], orders: [], fills: [], portfolio: [], riskEvents: [] };

export const rowCount = (rows: StateRows): number =>
  rows.markets.length + rows.resolutions.length + rows.orders.length + rows.fills.length + rows.portfolio.length + rows.riskEvents.length;

/** A pipeline's operator state and the input it has consumed, committed with the rows it produced. */
export interface PipelineCheckpoint {
  /** Which pipeline (a replay: `replay:<absolute out dir>`). */
  readonly pipeline: string;
  /** Increases with every checkpoint of the pipeline. */
  readonly seq: number;
  /** What the input is (a replay: the recording's files and sizes), so a resume cannot read another input. */
  readonly inputId: string;
  /** Records of the input consumed (a replay: the index of the next record). */
  readonly inputOffset: number;
  /** Byte length of each output file at the checkpoint; anything after it is re-produced on resume. */
  readonly outputPositions: Readonly<Record<string, number>>;
  /** The (virtual) clock. */
  readonly clockMs: number;
  /** The input was consumed to its end. */
  readonly complete: boolean;
  /** v8-serialized operator and pipeline state. */
  readonly state: Uint8Array;
}

export interface SettingRow {
  readonly key: string;
  readonly value: unknown;
  readonly updatedAt: string;
}
