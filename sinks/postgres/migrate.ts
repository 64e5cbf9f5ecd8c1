import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PolyflowError } from '../../runtime/errors.js';
import { fromPackageRoot } from '../../runtime/package-root.js';
import type { SqlClient } from './sql-client.js';

/** The migrations shipped with polyflow: `infra/postgres/migrations/<NNN>_<name>.sql`. */
export const MIGRATIONS_DIR = 'infra/postgres/migrations';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

/** Reads the numbered `.sql` files of `dir`, in version order. */
export function readMigrations(dir: string = fromPackageRoot(MIGRATIONS_DIR)): Migration[] {
  const out: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    const m = /^(\d+)_([\w-]+)\.sql$/.exec(file);
    if (m === null) continue;
    const sql = readFileSync(join(dir, file), 'utf8');
    out.push({ version: Number(m[1]), name: m[2] ?? file, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  const versions = out.map((m) => m.version);
  if (new Set(versions).size !== versions.length) throw new PolyflowError('MIGRATION_INVALID', `${dir}: two migrations share a version`);
  return out;
}

/**
 * Applies the migrations not yet recorded in `schema_migrations`, each in its own transaction
 * with its record, under an advisory lock so two processes starting together apply each once.
 * A recorded migration whose file changed since is refused: migrations are append-only.
 * Returns the versions applied by this call.
 */
export async function migrate(sql: SqlClient, migrations: readonly Migration[] = readMigrations()): Promise<number[]> {
  // Under the lock too: two servers' first starts would race on the catalog otherwise.
  await sql.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(7373001)');
    await tx.exec(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
  });
  const applied: number[] = [];
  for (const m of migrations) {
    const done = await sql.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(7373001)');
      const rows = await tx.query<{ checksum: string }>('SELECT checksum FROM schema_migrations WHERE version = $1', [m.version]);
      const recorded = rows[0];
      if (recorded !== undefined) {
        if (recorded.checksum !== m.checksum) {
          throw new PolyflowError('MIGRATION_CHANGED', `migration ${m.version}_${m.name} was changed after it was applied; add a new migration instead`);
        }
        return false;
      }
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
      return true;
    });
    if (done) applied.push(m.version);
  }
  return applied;
}
