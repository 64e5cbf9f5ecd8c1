import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { PolyflowError } from '../../runtime/errors.js';
import { fromPackageRoot } from '../../runtime/package-root.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
  readonly checksum: string;
}

export interface MigrationResult {
  readonly applied: readonly number[];
  readonly skipped: readonly number[];
}

const FILE = /^(\d+)_([\w-]+)\.sql$/;

/** `NNN_name.sql` files of `dir` in version order, split into statements (`;` at a line end; `--` lines dropped). */
export function readMigrations(dir: string = fromPackageRoot('infra/clickhouse')): Migration[] {
  return readdirSync(dir)
    .map((file) => ({ file, m: FILE.exec(file) }))
    .filter((x): x is { file: string; m: RegExpExecArray } => x.m !== null)
    .map(({ file, m }) => {
      const text = readFileSync(join(dir, file), 'utf8');
      const body = text
        .split('\n')
        .filter((line) => !line.trimStart().startsWith('--'))
        .join('\n');
      return {
        version: Number(m[1]),
        name: m[2] ?? file,
        statements: body
          .split(/;\s*(?:\n|$)/)
          .map((s) => s.trim())
          .filter((s) => s !== ''),
        checksum: createHash('sha256').update(text).digest('hex'),
      };
    })
    .sort((a, b) => a.version - b.version);
}

/**
 * Applies the migrations not yet recorded in `schema_migrations`, in order, and records each.
 * Statements are idempotent (IF NOT EXISTS), so two processes migrating at once do no harm. A
 * recorded migration whose file has changed stops the run: write a new migration instead.
 */
export async function applyMigrations(client: ClickHouseClient, migrations: readonly Migration[] = readMigrations()): Promise<MigrationResult> {
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS schema_migrations
      (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
      ENGINE = ReplacingMergeTree ORDER BY version`,
  });
  const recorded = await (
    await client.query({ query: 'SELECT version, checksum FROM schema_migrations FINAL', format: 'JSONEachRow' })
  ).json<{ version: number | string; checksum: string }>();
  const known = new Map(recorded.map((r) => [Number(r.version), r.checksum]));
  const applied: number[] = [];
  const skipped: number[] = [];
  for (const m of migrations) {
    const checksum = known.get(m.version);
    if (checksum !== undefined) {
      if (checksum !== m.checksum) {
        throw new PolyflowError('CLICKHOUSE_MIGRATION_CHANGED', `ClickHouse migration ${m.version}_${m.name} was applied and has changed since; add a new migration instead`);
      }
      skipped.push(m.version);
      continue;
    }
    for (const query of m.statements) await client.command({ query });
    await client.insert({ table: 'schema_migrations', values: [{ version: m.version, name: m.name, checksum: m.checksum }], format: 'JSONEachRow' });
    applied.push(m.version);
  }
  return { applied, skipped };
}
