// The integration suite's real services, started through infra/ before any test file runs (the
// Kafka mock cluster is started per file by test/helpers/kafka-mock-cluster.ts, through
// infra/kafka/mock-cluster.sh): Postgres for the state-store tests, by infra/postgres/start.sh.
import { execFileSync } from 'node:child_process';
import { fromPackageRoot } from '../../runtime/package-root.js';

export function setup(): void {
  try {
    const url = execFileSync(fromPackageRoot('infra/postgres/start.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    process.env['POLYFLOW_TEST_POSTGRES_URL'] ??= url;
  } catch (err) {
    // The Postgres tests then fail with the connection error; the others run.
    const stderr = (err as { stderr?: string }).stderr ?? String(err);
    process.stderr.write(`integration setup: Postgres not started: ${stderr}\n`);
  }
}
