import { resolve } from 'node:path';
import type { Config } from '../../runtime/config.js';
import type { ConnectionRetryOptions } from './retry-connection.js';
import { PgClient } from './pg-client.js';
import { PgliteClient } from './pglite-client.js';
import { SqlStateStore } from './sql-state-store.js';

export interface OpenStateStoreOptions {
  readonly kind: 'postgres' | 'pglite';
  /** postgres: the server. */
  readonly url?: string;
  /** pglite: the data directory (relative to the working directory); none: in memory. */
  readonly dir?: string | undefined;
  readonly poolSize?: number;
  readonly retry?: ConnectionRetryOptions;
  /** Apply pending migrations on open (default true). */
  readonly migrate?: boolean;
}

/**
 * The state store of `kind`, migrated: `postgres` over a `pg` pool, `pglite` embedded. Both run
 * the same migrations and statements (sql-state-store.ts).
 */
export async function openStateStore(opts: OpenStateStoreOptions): Promise<SqlStateStore> {
  const client =
    opts.kind === 'postgres'
      ? new PgClient({ url: opts.url ?? 'postgres://postgres@127.0.0.1:5432/polyflow', ...(opts.poolSize === undefined ? {} : { poolSize: opts.poolSize }) })
      : await PgliteClient.open(opts.dir === undefined ? undefined : resolve(opts.dir));
  const store = new SqlStateStore(client, opts.retry === undefined ? {} : { retry: opts.retry });
  try {
    if (opts.migrate !== false) await store.migrate();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}

/** `openStateStore` options from the config's `state` section (kind must not be `off`). */
export function stateStoreOptions(state: Config['state'], overrides: { dir?: string } = {}): OpenStateStoreOptions {
  if (state.kind === 'off') throw new Error('state.kind is off');
  return {
    kind: state.kind,
    url: state.url,
    dir: overrides.dir ?? state.dir,
    poolSize: state.poolSize,
    retry: { baseDelayMs: state.retryBaseMs, maxDelayMs: state.retryMaxMs, retryForMs: state.retryForMs },
  };
}
