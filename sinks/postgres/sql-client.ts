/**
 * The little of a Postgres connection the state store needs, so the same SQL runs on a `pg` pool
 * (a real server) and on PGlite (Postgres in WASM, embedded). Parameters are `$1..$n`.
 */
export interface SqlClient {
  readonly kind: 'postgres' | 'pglite';
  query<R extends object = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs a script of several statements, without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Runs `fn` inside BEGIN ... COMMIT on one connection; ROLLBACK when it throws. */
  transaction<T>(fn: (tx: SqlQuery) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** What runs inside a transaction. */
export type SqlQuery = Pick<SqlClient, 'query' | 'exec'>;
