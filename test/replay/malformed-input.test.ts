import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayRecords } from '../../pipelines/replay.js';
import { loadConfig } from '../../runtime/config.js';
import { createLogger } from '../../runtime/logger.js';
import type { BookUpdate } from '../../schemas/book-update.js';
import type { DeadLetter } from '../../schemas/dead-letter.js';
import { JsonlFiles } from '../../sinks/jsonl-files.js';
import { readReplay } from '../../sources/replay/replay-directory.js';
import { TINY, writeTinyRecording } from '../helpers/tiny-recording.js';
import { tradingScorer } from '../helpers/trading-model.js';

const readJsonl = <T>(file: string): T[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);

async function replay(dir: string, out: string) {
  const config = loadConfig({ env: {}, overrides: { output: { topics: ['dlq.ingest', 'pm.resolution', 'prediction.v1'] } } });
  const scorer = await tradingScorer();
  const files = new JsonlFiles(out);
  try {
    return await replayRecords(readReplay(dir), { config, scorer, files, logger: createLogger('silent') });
  } finally {
    files.close();
  }
}

describe('malformed input in a recording', () => {
  it('goes to the dead-letter stream with its reason and raw payload; every valid event is still processed', async () => {
    const root = mkdtempSync(join(tmpdir(), 'polyflow-malformed-'));
    const clean = writeTinyRecording(join(root, 'clean'), { malformed: false });
    const dirty = writeTinyRecording(join(root, 'dirty'), { malformed: true });
    const a = await replay(join(root, 'clean'), join(root, 'out-clean'));
    const b = await replay(join(root, 'dirty'), join(root, 'out-dirty'));

    expect(a.summary.events).toBe(clean.frames);
    expect(b.summary.events).toBe(dirty.frames);
    expect(a.summary.dlq).toBe(0);
    expect(b.summary.dlq).toBe(dirty.malformed);
    // Identical valid input, identical results: nothing valid was lost around the bad frames.
    const { events: _e1, dlq: _d1, ...restA } = a.summary;
    const { events: _e2, dlq: _d2, ...restB } = b.summary;
    expect(restB).toEqual(restA);
    // 2 snapshots + 2 deltas (one price_change frame, two assets) + tick change + snapshot = 6 book updates.
    expect(a.summary.book_updates).toBe(6);
    expect(a.summary.trades).toBe(1);
    expect(a.summary.resolutions).toBe(1);
    expect(a.summary.markets).toBe(1);

    const dead = readJsonl<DeadLetter>(join(root, 'out-dirty', 'dlq.ingest.jsonl'));
    expect(dead).toHaveLength(5);
    expect(dead.every((d) => d.source === 'ingest.market-channel' && d.reason.length > 0 && d.raw.length > 0)).toBe(true);
    expect(dead.map((d) => d.ts)).toEqual([500, 1_500, 2_500, 2_600, 2_700].map((dt) => TINY.t0 + dt + 20));
    expect(dead[2]?.reason).toMatch(/price/);
    expect(dead[3]?.reason).toMatch(/size/);
    expect(dead[4]?.reason).toMatch(/asset_id/);
    const resolutions = readJsonl<{ winningAssetId: string }>(join(root, 'out-dirty', 'pm.resolution.jsonl'));
    expect(resolutions.map((r) => r.winningAssetId)).toEqual([TINY.yes]);
  });

  it('keeps book updates in order through a tick-size change', async () => {
    const root = mkdtempSync(join(tmpdir(), 'polyflow-tick-'));
    writeTinyRecording(join(root, 'rec'), { malformed: true });
    const updates: BookUpdate['kind'][] = [];
    const config = loadConfig({ env: {}, overrides: { output: { topics: ['pm.book'] } } });
    const scorer = await tradingScorer();
    const files = new JsonlFiles(join(root, 'out'));
    await replayRecords(readReplay(join(root, 'rec')), { config, scorer, files, logger: createLogger('silent') });
    files.close();
    for (const u of readJsonl<BookUpdate>(join(root, 'out', 'pm.book.jsonl'))) updates.push(u.kind);
    expect(updates).toEqual(['snapshot', 'snapshot', 'delta', 'delta', 'tick_size', 'snapshot']);
  });
});
