import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, readMigrations } from '../../sinks/postgres/migrate.js';
import { emptyClusterFile, openStateStore } from '../../sinks/postgres/open-state-store.js';
import { PgliteClient } from '../../sinks/postgres/pglite-client.js';

/*
 * New PGlite directories start from a copy of a migrated, empty cluster (sinks/postgres/
 * open-state-store.ts): the copy is a working, migrated store with no row, a damaged copy is
 * dropped for initdb, and an existing directory is opened as it is. PGlite on disk, nothing else.
 */
const root = mkdtempSync(join(tmpdir(), 'polyflow-pglite-template-'));
const template = join(root, 'empty.tar.gz');
const ROW_TABLES = ['markets', 'orders', 'fills', 'positions', 'portfolio_snapshots', 'risk_events', 'settings', 'pipeline_checkpoints'];

async function rowCounts(client: PgliteClient): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const t of ROW_TABLES) counts[t] = Number((await client.query<{ n: string | number }>(`SELECT count(*) AS n FROM ${t}`))[0]?.n);
  return counts;
}
const none = Object.fromEntries(ROW_TABLES.map((t) => [t, 0]));

describe('PGlite from the empty-cluster copy', () => {
  it('initdb makes the first cluster; the copy of it opens migrated and empty; an existing directory opens as it is', async () => {
    const first = await PgliteClient.open(join(root, 'a'), { template });
    expect(first.created).toBe('initdb');
    await migrate(first);
    await first.saveTemplate(template);
    await first.query("INSERT INTO settings (key, value) VALUES ('risk.kellyFraction', '0.1')");
    await first.close();
    expect(existsSync(template)).toBe(true);

    const copy = await PgliteClient.open(join(root, 'b'), { template });
    try {
      expect(copy.created).toBe('template');
      expect(await migrate(copy)).toEqual([]); // every migration is already recorded
      const recorded = await copy.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(recorded.map((r) => Number(r.version))).toEqual(readMigrations().map((m) => m.version));
      expect(await rowCounts(copy)).toEqual(none); // the row written after the copy was made is not in it
      await copy.query("INSERT INTO settings (key, value) VALUES ('x', '1')");
    } finally {
      await copy.close();
    }
    const again = await PgliteClient.open(join(root, 'b'), { template });
    try {
      expect(again.created).toBeUndefined();
      expect((await rowCounts(again))['settings']).toBe(1);
    } finally {
      await again.close();
    }
  }, 120_000);

  it('a damaged copy is deleted and the cluster made by initdb', async () => {
    const damaged = join(root, 'damaged.tar.gz');
    writeFileSync(damaged, 'not a tar');
    const client = await PgliteClient.open(join(root, 'c'), { template: damaged });
    try {
      expect(client.created).toBe('initdb');
      expect(existsSync(damaged)).toBe(false);
      await migrate(client);
      expect(await rowCounts(client)).toEqual(none);
    } finally {
      await client.close();
    }
  }, 120_000);

  it('openStateStore keeps the copy of the installed PGlite and migrations, and new stores start from it', async () => {
    const store = await openStateStore({ kind: 'pglite', dir: join(root, 'd') });
    await store.close();
    expect(existsSync(emptyClusterFile())).toBe(true);
    expect(emptyClusterFile()).toMatch(/node_modules\/\.cache\/polyflow\/pglite-[\d.]+-[0-9a-f]{16}\.tar\.gz$/);
  }, 120_000);
});
