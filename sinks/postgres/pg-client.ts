import pg from 'pg';
import type { SqlClient, SqlQuery } from './sql-client.js';

export interface PgClientOptions {
  readonly url: string;
  /** Connections in the pool (default 4). */
  readonly poolSize?: number;
  /** Give up connecting after this long, ms (default 5 000); the store's retry takes over. */
  readonly connectTimeoutMs?: number;
  /** A statement running longer than this fails, ms (default 30 000). */
  readonly statementTimeoutMs?: number;
}

/** A real Postgres server through a `pg` pool. */
export class PgClient implements SqlClient {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;

  constructor(opts: PgClientOptions) {
    this.pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? 4,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 5_000,
      statement_timeout: opts.statementTimeoutMs ?? 30_000,
      query_timeout: opts.statementTimeoutMs ?? 30_000,
      idleTimeoutMillis: 10_000,
    });
    // An idle connection that breaks (server restart, network cut) must not crash the process:
    // the pool drops it and the next query gets a fresh one.
    this.pool.on('error', () => undefined);
  }

  async query<R extends object>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    const result = await this.pool.query<R>(sql, params as unknown[]);
    return result.rows;
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async transaction<T>(fn: (tx: SqlQuery) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: unknown;
    try {
      await client.query('BEGIN');
      const tx: SqlQuery = {
        query: async <R extends object>(sql: string, params: readonly unknown[] = []) => (await client.query<R>(sql, params as unknown[])).rows,
        exec: async (sql: string) => {
          await client.query(sql);
        },
      };
      const result = await fn(tx);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      broken = err;
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      // A connection that failed mid-transaction may be half-dead: destroy it rather than reuse it.
      client.release(broken === undefined ? undefined : (broken as Error));
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
