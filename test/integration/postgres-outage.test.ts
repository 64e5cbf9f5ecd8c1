import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayRecords } from '../../pipelines/replay.js';
import { loadConfig } from '../../runtime/config.js';
import { createLogger } from '../../runtime/logger.js';
import { replayCheckpoints } from '../../runtime/replay-checkpoints.js';
import { JsonlFiles } from '../../sinks/jsonl-files.js';
import { PgClient } from '../../sinks/postgres/pg-client.js';
import { SqlStateStore } from '../../sinks/postgres/sql-state-store.js';
import { readReplay } from '../../sources/replay/replay-directory.js';
import { createTestDatabase } from '../helpers/postgres-test-db.js';
import { expectStoreHoldsOutputs } from '../helpers/state-expectations.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { tradingEnv, tradingScorer } from '../helpers/trading-model.js';

/*
 * Postgres unreachable for a while in the middle of a replay: the store sits behind a TCP proxy
 * that cuts every connection and refuses new ones for 1.5 s. The commit is retried with backoff,
 * the replay waits for it (it reads at most one checkpoint interval ahead: a bounded buffer), and
 * after the outage every row arrives, once, and the outputs equal a run without state.
 */
const CLI = 'dist/bin/polyflow.js';
const EVERY = 300;

describe('state store outage', () => {
  const root = mkdtempSync(join(tmpdir(), 'polyflow-outage-'));
  const recording = join(root, 'rec');
  const plain = join(root, 'plain');
  let db: { url: string; drop: () => Promise<void> };
  let proxy: TcpProxy;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm run build)`);
    execFileSync(process.execPath, [CLI, 'simulate', '--out', recording, '--events', '4000', '--markets', '10', '--seed', '5', '--hours', '6'], { stdio: 'pipe' });
    execFileSync(process.execPath, [CLI, 'replay', recording, '--out', plain, '--no-progress'], { stdio: 'pipe', env: tradingEnv({ POLYFLOW_LOG_LEVEL: 'warn', POLYFLOW_STATE_KIND: 'off', POLYFLOW_ANALYTICS_MODE: 'files' }) });
    db = await createTestDatabase('polyflow_outage');
    const target = new URL(db.url);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
  }, 60_000);
  afterAll(async () => {
    await proxy?.stop();
    await db?.drop();
  });

  it('retries with backoff, holds the replay back while down, loses and duplicates nothing', async () => {
    const viaProxy = new URL(db.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    let retries = 0;
    const store = new SqlStateStore(new PgClient({ url: viaProxy.toString(), connectTimeoutMs: 300 }), {
      retry: { baseDelayMs: 50, maxDelayMs: 400, retryForMs: 30_000, onRetry: () => retries++ },
    });
    await store.migrate();
    const config = loadConfig({ env: {} });
    let commits = 0;
    let down = false;
    let fedWhileDown = 0;
    let fedAtDown = 0;
    let outageOver: Promise<void> = Promise.resolve();
    const checkpoints = await replayCheckpoints(store, {
      pipeline: 'outage-test',
      inputId: 'rec',
      everyRecords: EVERY,
      maxBufferedRows: 10_000,
      onCommit: (cp) => {
        if (++commits !== 3) return;
        proxy.down();
        down = true;
        fedAtDown = cp.inputOffset;
        outageOver = new Promise((resolve) =>
          setTimeout(() => {
            down = false;
            proxy.up();
            resolve();
          }, 1_500),
        );
      },
    });
    const rowsPerCommit: number[] = [];
    const durable = {
      ...checkpoints.durability,
      commit: async (...args: Parameters<typeof checkpoints.durability.commit>) => {
        const r = args[0];
        rowsPerCommit.push(r.orders.length + r.fills.length + r.portfolio.length + r.riskEvents.length + r.markets.length + r.resolutions.length);
        await checkpoints.durability.commit(...args);
      },
    };
    const out = join(root, 'with-outage');
    const files = new JsonlFiles(out);
    const scorer = await tradingScorer();
    const result = await replayRecords(readReplay(recording), {
      config,
      scorer,
      files,
      logger: createLogger('silent'),
      durable,
      progressEvery: 1,
      onProgress: (fed) => {
        if (down) fedWhileDown = Math.max(fedWhileDown, fed - fedAtDown);
      },
    });
    files.close();
    writeFileSync(join(out, 'summary.json'), `${JSON.stringify(result.summary, null, 2)}\n`);
    await outageOver;

    expect(retries).toBeGreaterThan(0);
    // Backpressure: while the store was down the replay read at most up to the next checkpoint.
    expect(fedWhileDown).toBeGreaterThan(0);
    expect(fedWhileDown).toBeLessThanOrEqual(EVERY);
    expect(Math.max(...rowsPerCommit)).toBeLessThanOrEqual(10_000);

    const read = (dir: string) => Object.fromEntries(readdirSync(dir).filter((n) => n.endsWith('.jsonl')).map((n) => [n, readFileSync(join(dir, n), 'utf8')]));
    expect(read(out)).toEqual(read(plain));
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))).toEqual(JSON.parse(readFileSync(join(plain, 'summary.json'), 'utf8')));
    await expectStoreHoldsOutputs(store, out);
    expect((await store.loadCheckpoint('outage-test'))?.complete).toBe(true);
    await store.close();
  }, 120_000);
});
