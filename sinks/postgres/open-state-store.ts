import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { Config } from '../../runtime/config.js';
import { fromPackageRoot } from '../../runtime/package-root.js';
import type { ConnectionRetryOptions } from './retry-connection.js';
import { PgClient } from './pg-client.js';
import { readMigrations } from './migrate.js';
import { PgliteClient, pgliteVersion } from './pglite-client.js';
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
 *
 * A new PGlite directory (a replay makes one under every new --out) starts as a copy of a migrated,
 * empty cluster when there is one: initdb and the migrations are most of PGlite's start. Measured
 * on 2 cores shared with other jobs: open + migrate of a new directory 8.6 s by initdb (the copy
 * included), 2.5-3.8 s from the copy (an existing directory: 1.3 s). The first new directory of an
 * install runs initdb and leaves the copy (`emptyClusterFile()`) for the next.
 */
export async function openStateStore(opts: OpenStateStoreOptions): Promise<SqlStateStore> {
  const template = opts.kind === 'pglite' && opts.dir !== undefined && opts.migrate !== false ? emptyClusterFile() : undefined;
  const client =
    opts.kind === 'postgres'
      ? new PgClient({ url: opts.url ?? 'postgres://postgres@127.0.0.1:5432/polyflow', ...(opts.poolSize === undefined ? {} : { poolSize: opts.poolSize }) })
      : await PgliteClient.open(opts.dir === undefined ? undefined : resolve(opts.dir), template === undefined ? {} : { template });
  const store = new SqlStateStore(client, opts.retry === undefined ? {} : { retry: opts.retry });
  try {
    if (opts.migrate !== false) await store.migrate();
    // Nothing but the migrations is in a new cluster yet: the copy for the next new directory.
    if (template !== undefined && client instanceof PgliteClient && client.created === 'initdb') await client.saveTemplate(template).catch(() => undefined);
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}

/**
 * The migrated empty cluster's file, named by PGlite's version and the migrations, in
 * `node_modules/.cache/polyflow` of the package: a cache (made again when deleted) in a folder the
 * installing user owns, not a shared temp directory where another user could plant a cluster.
 */
export function emptyClusterFile(): string {
  const migrations = createHash('sha256')
    .update(readMigrations().map((m) => `${m.version}:${m.checksum}`).join('\n'))
    .digest('hex')
    .slice(0, 16);
  return fromPackageRoot(join('node_modules', '.cache', 'polyflow', `pglite-${pgliteVersion()}-${migrations}.tar.gz`));
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
