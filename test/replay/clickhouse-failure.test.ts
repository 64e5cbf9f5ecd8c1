// A replay whose ClickHouse sink gives up on a batch (a non-retriable insert error) stops at the
// next record with the sink's error, instead of replaying the rest of the recording into a sink
// that drops every row and failing only at the final flush.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayRecords } from '../../pipelines/replay.js';
import { loadConfig } from '../../runtime/config.js';
import { createLogger } from '../../runtime/logger.js';
import { fromPackageRoot } from '../../runtime/package-root.js';
import { ClickHouseSink, ClickHouseSinkError } from '../../sinks/clickhouse/clickhouse-sink.js';
import { JsonlFiles } from '../../sinks/jsonl-files.js';
import { readReplay } from '../../sources/replay/replay-directory.js';
import { tradingScorer } from '../helpers/trading-model.js';

describe('replay with a failed ClickHouse sink', () => {
  it('stops at the first record after the failure, with the sink error', async () => {
    const config = loadConfig({ env: {} });
    let inserts = 0;
    const sink = new ClickHouseSink(
      {
        insert: () => {
          inserts++;
          return Promise.reject(Object.assign(new Error('Syntax error'), { code: '62' }));
        },
      },
      { run: 'r', session: 1, maxBatchRows: 50, flushIntervalMs: 1_000, maxBufferRows: 10_000, maxRetries: 3, retryBaseMs: 10, retryMaxMs: 10 },
    );
    const files = new JsonlFiles(mkdtempSync(join(tmpdir(), 'polyflow-ch-failure-')));
    let fed = 0;
    try {
      const run = replayRecords(readReplay(fromPackageRoot('data/sample')), {
        config,
        scorer: await tradingScorer(),
        files,
        logger: createLogger('silent'),
        clickhouse: sink,
        progressEvery: 1,
        onProgress: (n) => (fed = n),
      });
      await expect(run).rejects.toBeInstanceOf(ClickHouseSinkError);
    } finally {
      files.close();
    }
    expect(inserts).toBe(1);
    // The sample has 30,000 records; the first batch of 50 rows fails within the first few hundred.
    expect(fed).toBeGreaterThan(0);
    expect(fed).toBeLessThan(3_000);
  });
});
