import { describe, expect, it } from 'vitest';
import { readMigrations } from './migrations.js';

describe('readMigrations', () => {
  it('reads infra/clickhouse in version order and splits statements without comment lines', () => {
    const migrations = readMigrations();
    expect(migrations.map((m) => m.version)).toEqual([...migrations.map((m) => m.version)].sort((a, b) => a - b));
    expect(migrations[0]?.version).toBe(1);
    for (const m of migrations) {
      expect(m.statements.length).toBeGreaterThan(0);
      for (const s of m.statements) {
        expect(s).toMatch(/^CREATE (TABLE|VIEW|MATERIALIZED VIEW) IF NOT EXISTS /);
        expect(s).not.toMatch(/;\s*$/);
      }
    }
  });
});
