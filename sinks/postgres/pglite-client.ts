import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { SqlClient, SqlQuery } from './sql-client.js';

/**
 * Embedded Postgres (PGlite: the real server compiled to WASM) keeping its data in `dir`, or in
 * memory when `dir` is undefined. One backend: transactions run one after another.
 */
export class PgliteClient implements SqlClient {
  readonly kind = 'pglite' as const;

  private constructor(
    private readonly db: PGlite,
    /** How `open` made the cluster when `dir` had none; undefined when it opened an existing one (or in memory). */
    readonly created?: 'initdb' | 'template',
  ) {}

  /**
   * Opens the cluster in `dir`, making one when there is none: from `template` (a tar.gz of
   * PGlite's dumpDataDir) when the file exists, else by initdb, a second WASM program that is most
   * of PGlite's start (see open-state-store.ts for the figures). A template PGlite cannot load is
   * deleted and initdb runs.
   */
  static async open(dir: string | undefined, opts: { readonly template?: string } = {}): Promise<PgliteClient> {
    if (dir === undefined) return new PgliteClient(await PGlite.create());
    const fresh = !existsSync(join(dir, 'PG_VERSION'));
    mkdirSync(dir, { recursive: true });
    if (!fresh) return new PgliteClient(await PGlite.create({ dataDir: dir }));
    if (opts.template !== undefined && existsSync(opts.template)) {
      try {
        return new PgliteClient(await PGlite.create({ dataDir: dir, loadDataDir: new Blob([readFileSync(opts.template)]) }), 'template');
      } catch {
        rmSync(opts.template, { force: true });
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir, { recursive: true });
      }
    }
    return new PgliteClient(await PGlite.create({ dataDir: dir }), 'initdb');
  }

  /** Dumps the cluster to `file` (atomically: a process opening at the same time never reads half a file). */
  async saveTemplate(file: string): Promise<void> {
    const tar = Buffer.from(await (await this.db.dumpDataDir('gzip')).arrayBuffer());
    mkdirSync(dirname(file), { recursive: true });
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, tar);
    renameSync(partial, file);
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

/** PGlite's version: a data directory is read by the build that wrote it. */
export function pgliteVersion(): string {
  const pkg = join(dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite')), '..', 'package.json');
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}
