// Trading does not depend on how the predict stage cuts its scoring batches: every prediction
// takes effect `scoring.maxWaitMs` after the input its vector came from (predictionDue), whether
// its batch was scored at once (full) or when its timer came due. A simulated recording dense
// enough that the caps bind, replayed with batches of 1, 7 and 256 vectors.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { replayRecords } from '../../pipelines/replay.js';
import { loadConfig } from '../../runtime/config.js';
import { createLogger } from '../../runtime/logger.js';
import type { RunSummary } from '../../schemas/run-summary.js';
import type { TopicName } from '../../schemas/topics.js';
import { JsonlFiles } from '../../sinks/jsonl-files.js';
import { readReplay } from '../../sources/replay/replay-directory.js';
import { SIMULATE_DEFAULTS, simulate } from '../../sources/simulator/simulate.js';
import { tradingScorer } from '../helpers/trading-model.js';

const root = mkdtempSync(join(tmpdir(), 'polyflow-batches-'));
const recording = join(root, 'rec');
const TRADING: readonly TopicName[] = ['signal.v1', 'order.v1', 'fill.v1', 'portfolio.v1', 'risk.event'];

/** Replays the recording with scoring batches of `maxBatch` vectors; the run's summary. */
async function replay(maxBatch: number): Promise<RunSummary> {
  // Every 2-cent edge trades, $100 stakes, 5 s cooldowns: enough orders that exposure caps bind.
  const config = loadConfig({
    env: {},
    overrides: {
      scoring: { maxBatch },
      signal: { cooldownMs: 5_000, minEdge: 0.02, mediumEdge: 0.02, strongEdge: 0.02 },
      risk: { maxStakeUsd: 100, minOrderShares: 0 },
      output: { topics: [...TRADING, 'prediction.v1'] },
    },
  });
  const scorer = await tradingScorer();
  const files = new JsonlFiles(join(root, `batch-${maxBatch}`));
  try {
    return (await replayRecords(readReplay(recording), { config, scorer, files, logger: createLogger('silent') })).summary;
  } finally {
    files.close();
    await scorer.release();
  }
}

const stream = (maxBatch: number, topic: TopicName): string => readFileSync(join(root, `batch-${maxBatch}`, `${topic}.jsonl`), 'utf8');
const ids = (maxBatch: number, topic: TopicName): string[] =>
  stream(maxBatch, topic)
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { id: string }).id);

let summaries: RunSummary[] = [];

beforeAll(async () => {
  await simulate({ outDir: recording, events: 8_000, markets: 8, durationMs: SIMULATE_DEFAULTS.durationMs, seed: 5 });
  summaries = [];
  for (const maxBatch of [256, 7, 1]) summaries.push(await replay(maxBatch));
}, 120_000);

describe('trading, whatever the scoring batch size', () => {
  it('writes the same signals, orders, fills, portfolio and risk events with batches of 256, 7 and 1 vectors', () => {
    expect(summaries[0]!.orders).toBeGreaterThan(20);
    expect(summaries[0]!.fills).toBeGreaterThan(20);
    expect(summaries[0]!.risk_events).toBeGreaterThan(0);
    for (const topic of TRADING) {
      expect(stream(7, topic), topic).toBe(stream(256, topic));
      expect(stream(1, topic), topic).toBe(stream(256, topic));
    }
    const trading = (s: RunSummary) => [s.orders, s.fills, s.risk_events, s.pnl, s.equity, s.max_drawdown];
    for (const s of summaries) expect(trading(s)).toEqual(trading(summaries[0]!));
  });

  it('scores the same vectors: the predictions differ only in the order scoring published them', () => {
    // Batches are published as scored, and a full batch of 256 goes before the timer of a smaller one.
    expect(ids(1, 'prediction.v1').sort()).toEqual(ids(256, 'prediction.v1').sort());
    expect(ids(1, 'prediction.v1').length).toBeGreaterThan(500);
  });
});
