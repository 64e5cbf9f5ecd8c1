import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { SqlClient, SqlQuery } from './sql-client.js';

/**
 * Embedded Postgres (PGlite: the real server compiled to WASM) keeping its data in `dir`, or in
 * memory when `dir` is undefined. One backend: transactions run one after another.
 */
export class PgliteClient implements SqlClient {
  readonly kind = 'pglite' as const;

  private constructor(private readonly db: PGlite) {}

  static async open(dir: string | undefined): Promise<PgliteClient> {
    if (dir !== undefined) mkdirSync(dir, { recursive: true });
    const db = await PGlite.create(dir === undefined ? {} : { dataDir: dir });
    return new PgliteClient(db);
  }

  async query<R extends object>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    const result = await this.db.query<R>(sql, params as unknown[]);
    return result.rows;
  }

  async exec(sql: string): Promise<void> {
    await this.db.exec(sql);
  }

  async transaction<T>(fn: (tx: SqlQuery) => Promise<T>): Promise<T> {
    return this.db.transaction(async (t) =>
      fn({
        query: async <R extends object>(sql: string, params: readonly unknown[] = []) => (await t.query<R>(sql, params as unknown[])).rows,
        exec: async (sql: string) => {
          await t.exec(sql);
        },
      }),
    );
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
