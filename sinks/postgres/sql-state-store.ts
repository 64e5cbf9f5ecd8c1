import type { PipelineCheckpoint, SettingRow, StateRows, StateStore } from '../../runtime/state-store.js';
import { migrate, readMigrations } from './migrate.js';
import { listModelRows, upsertModelRow, type ModelRow, type ModelRowInput } from './model-rows-sql.js';
import { retryConnection, type ConnectionRetryOptions } from './retry-connection.js';
import type { SqlClient } from './sql-client.js';
import { writeStateRows } from './state-rows-sql.js';

export interface SqlStateStoreOptions {
  /** Account the portfolio rows belong to (default `paper`). */
  readonly account?: string;
  readonly retry?: ConnectionRetryOptions;
}

/** The tables a run's rows go to (state-rows-sql.ts), not settings, models or checkpoints. */
const ACCOUNT_TABLES = ['markets', 'resolutions', 'orders', 'fills', 'positions', 'portfolio_snapshots', 'risk_events', 'risk_state'] as const;

interface CheckpointRow {
  pipeline: string;
  seq: string | number;
  input_id: string;
  input_offset: string | number;
  output_positions: Record<string, number>;
  clock_ms: number;
  complete: boolean;
  state: string;
}

/**
 * The StateStore over any SqlClient: `pg` against a server, or PGlite embedded. Every call is
 * retried on connection errors (the statements are idempotent, so an attempt whose COMMIT was
 * lost in transit is simply done again).
 */
export class SqlStateStore implements StateStore {
  private readonly account: string;

  constructor(
    private readonly sql: SqlClient,
    private readonly opts: SqlStateStoreOptions = {},
  ) {
    this.account = opts.account ?? 'paper';
  }

  get kind(): 'postgres' | 'pglite' {
    return this.sql.kind;
  }

  private retry<T>(attempt: () => Promise<T>): Promise<T> {
    return retryConnection(attempt, this.opts.retry);
  }

  migrate(): Promise<number[]> {
    const migrations = readMigrations();
    return this.retry(() => migrate(this.sql, migrations));
  }

  commit(rows: StateRows, checkpoint?: PipelineCheckpoint): Promise<void> {
    return this.retry(() =>
      this.sql.transaction(async (tx) => {
        await writeStateRows(tx, rows, this.account);
        if (checkpoint === undefined) return;
        await tx.query(
          `INSERT INTO pipeline_checkpoints (pipeline, seq, input_id, input_offset, output_positions, clock_ms, complete, state, updated_at)
           VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, decode($8, 'base64'), now())
           ON CONFLICT (pipeline) DO UPDATE SET seq = excluded.seq, input_id = excluded.input_id, input_offset = excluded.input_offset,
             output_positions = excluded.output_positions, clock_ms = excluded.clock_ms, complete = excluded.complete,
             state = excluded.state, updated_at = now()
           WHERE pipeline_checkpoints.seq <= excluded.seq`,
          [
            checkpoint.pipeline,
            checkpoint.seq,
            checkpoint.inputId,
            checkpoint.inputOffset,
            JSON.stringify(checkpoint.outputPositions),
            checkpoint.clockMs,
            checkpoint.complete,
            // As base64 text: PGlite's bytea parameters cost ~0.3 s per MB, text ~3 ms.
            Buffer.from(checkpoint.state.buffer, checkpoint.state.byteOffset, checkpoint.state.byteLength).toString('base64'),
          ],
        );
      }),
    );
  }

  async loadCheckpoint(pipeline: string): Promise<PipelineCheckpoint | undefined> {
    const rows = await this.retry(() => this.sql.query<CheckpointRow>(`SELECT pipeline, seq, input_id, input_offset, output_positions, clock_ms, complete, encode(state, 'base64') AS state
         FROM pipeline_checkpoints WHERE pipeline = $1`, [pipeline]));
    const row = rows[0];
    if (row === undefined) return undefined;
    return {
      pipeline: row.pipeline,
      seq: Number(row.seq),
      inputId: row.input_id,
      inputOffset: Number(row.input_offset),
      outputPositions: row.output_positions,
      clockMs: Number(row.clock_ms),
      complete: row.complete,
      state: new Uint8Array(Buffer.from(row.state, 'base64')),
    };
  }

  async deleteCheckpoint(pipeline: string): Promise<void> {
    await this.retry(() => this.sql.query('DELETE FROM pipeline_checkpoints WHERE pipeline = $1', [pipeline]));
  }

  async resetRun(pipeline: string): Promise<void> {
    await this.retry(() =>
      this.sql.transaction(async (tx) => {
        for (const table of ACCOUNT_TABLES) await tx.query(`DELETE FROM ${table}`);
        await tx.query('DELETE FROM pipeline_checkpoints WHERE pipeline = $1', [pipeline]);
      }),
    );
  }

  async getSetting(key: string): Promise<unknown> {
    const rows = await this.retry(() => this.sql.query<{ value: unknown }>('SELECT value FROM settings WHERE key = $1', [key]));
    return rows[0]?.value;
  }

  async setSetting(key: string, value: unknown): Promise<void> {
    await this.retry(() =>
      this.sql.query(
        `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2::jsonb, now())
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()`,
        [key, JSON.stringify(value)],
      ),
    );
  }

  async deleteSetting(key: string): Promise<boolean> {
    const rows = await this.retry(() => this.sql.query<{ key: string }>('DELETE FROM settings WHERE key = $1 RETURNING key', [key]));
    return rows.length > 0;
  }

  async listSettings(): Promise<SettingRow[]> {
    const rows = await this.retry(() =>
      this.sql.query<{ key: string; value: unknown; updated_at: string }>(
        `SELECT key, value, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS updated_at FROM settings ORDER BY key`,
      ),
    );
    return rows.map((r) => ({ key: r.key, value: r.value, updatedAt: r.updated_at }));
  }

  /** Records a model in the registry (`models`), replacing the row of the same version. */
  async upsertModel(row: ModelRowInput): Promise<void> {
    await this.retry(() => upsertModelRow(this.sql, row));
  }

  /** The model registry, newest first. */
  listModels(): Promise<ModelRow[]> {
    return this.retry(() => listModelRows(this.sql));
  }

  async deliveredAlerts(target: string, limit: number): Promise<string[]> {
    const rows = await this.retry(() =>
      this.sql.transaction(async (tx) => {
        const latest = await tx.query<{ alert_id: string; seq: string | number }>(
          'SELECT alert_id, seq FROM alert_deliveries WHERE target = $1 ORDER BY seq DESC LIMIT $2',
          [target, limit],
        );
        const oldest = latest[latest.length - 1];
        if (latest.length === limit && oldest !== undefined) await tx.query('DELETE FROM alert_deliveries WHERE target = $1 AND seq < $2', [target, oldest.seq]);
        return latest;
      }),
    );
    return rows.map((r) => r.alert_id).reverse();
  }

  async recordAlertDelivery(target: string, alertId: string): Promise<void> {
    await this.retry(() => this.sql.query('INSERT INTO alert_deliveries (target, alert_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [target, alertId]));
  }

  query<R extends object>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    return this.retry(() => this.sql.query<R>(sql, params));
  }

  close(): Promise<void> {
    return this.sql.close();
  }
}
