/**
 * A live session written by the recorder replays, through `readReplay` and the same ingest
 * pipeline, to exactly the book updates the live run produced (local fake Polymarket only).
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { ingestPipeline } from '../../pipelines/ingest.js';
import { MemoryBus } from '../../runtime/memory-bus.js';
import { PipelineMetrics } from '../../runtime/metrics.js';
import type { BookUpdate } from '../../schemas/book-update.js';
import type { MarketMeta } from '../../schemas/market-meta.js';
import type { Resolution } from '../../schemas/resolution.js';
import { RecordingWriter } from '../../sources/recorder/recording-writer.js';
import { readReplay } from '../../sources/replay/replay-directory.js';
import type { ReplayRecord } from '../../sources/replay/replay-record.js';
import { addMarket, liveHarness, testMarket, type LiveHarness } from '../helpers/live-harness.js';
import { advance, until } from '../helpers/virtual-drive.js';

let h: LiveHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('recorder', () => {
  it('records a live session (frames, REST resyncs, markets, resolutions) that replays to the same book updates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'polyflow-record-'));
    // Tiny files so the session spans several rotated gzip files.
    const recorder = new RecordingWriter(dir, { maxFileBytes: 2_000, maxFileMs: 60_000 });
    h = await liveHarness({ markets: 2, recorder });
    const [a, b] = testMarket(1).tokens;
    const [c] = testMarket(2).tokens;
    await h.live.start();
    await until(() => h!.got.books.length === 4, 'snapshots');
    for (let i = 0; i < 30; i++) {
      h.fake.delta(i % 2 === 0 ? a : c, i % 3 === 0 ? 'SELL' : 'BUY', i % 3 === 0 ? '0.45' : '0.38', String(10 + i));
      if (i % 10 === 5) h.fake.trade(b, '0.58', '3', 'SELL');
      await advance(h.scheduler, 2_000, 1_000);
    }
    h.fake.delta(a, 'BUY', '0.40', '0', { skip: true });
    h.fake.delta(a, 'SELL', '0.42', '0');
    await until(() => h!.records.some((r) => r.kind === 'frame' && r.frame.includes('rest /book')), 'a resync');
    h.fake.drop();
    await advance(h.scheduler, 2_000, 250);
    await until(() => h!.fake.openConnections().length === 1 && h!.got.books.filter((u) => u.kind === 'snapshot').length >= 9, 'reconnect');
    const m1 = h.fake.gammaMarkets[0] as Record<string, unknown>;
    Object.assign(m1, { closed: true, umaResolutionStatus: 'resolved', outcomePrices: '["1", "0"]', closedTime: '2026-05-01T13:00:00Z' });
    addMarket(h.fake, 3);
    await h.live.refreshMarkets();
    await until(() => h!.got.books.filter((u) => u.assetId === testMarket(3).tokens[0]).length === 1, 'the new market');

    const live = { books: [...h.got.books], meta: [...h.got.meta], resolutions: [...h.got.resolutions], dead: h.got.dead.length };
    expect(live.resolutions).toHaveLength(1);
    await h.close();
    h = undefined;
    await recorder.close();
    const files = readdirSync(dir).sort();
    expect(files.filter((f) => /^market-ws-\d{4}\.log\.gz$/.test(f)).length).toBeGreaterThan(1);
    expect(files.some((f) => f.endsWith('.part'))).toBe(false);
    expect(files).toContain('markets.jsonl');

    const bus = new MemoryBus();
    const replayed = { books: [] as BookUpdate[], meta: [] as MarketMeta[], resolutions: [] as Resolution[], dead: 0 };
    bus.topic('pm.book').subscribe((u) => replayed.books.push(u));
    bus.topic('pm.market.meta').subscribe((m) => replayed.meta.push(m));
    bus.topic('pm.resolution').subscribe((r) => replayed.resolutions.push(r));
    bus.topic('dlq.ingest').subscribe(() => replayed.dead++);
    const input = new Subject<ReplayRecord>();
    const sub = ingestPipeline(input, bus, new PipelineMetrics());
    for await (const chunk of readReplay(dir)) for (const record of chunk) input.next(record);
    sub.unsubscribe();
    expect(replayed.books).toEqual(live.books);
    expect(replayed.meta).toEqual(live.meta);
    expect(replayed.resolutions).toEqual(live.resolutions);
    expect(replayed.dead).toBe(live.dead);
  });
});
