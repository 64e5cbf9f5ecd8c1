import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The Postgres the integration tests use (`.ci/run` starts the system cluster). */
export const TEST_POSTGRES_URL = process.env['POLYFLOW_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** `url` with its database replaced. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * A fresh database on the test server, so parallel suites and reruns never see each other's rows.
 * Fails with the URL in the message when the server is not there: these tests need a real Postgres.
 */
export async function createTestDatabase(prefix: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(`integration tests need Postgres at ${TEST_POSTGRES_URL} (POLYFLOW_TEST_POSTGRES_URL): ${(err as Error).message}`);
  }
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: withDatabase(TEST_POSTGRES_URL, name),
    drop: async () => {
      const c = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
