import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { checkStream, checkedMarkets } from './stream-checker.js';
import { generateFrames, generateMarkets, simulate, type GenerateOptions } from './simulate.js';

const OPTS: GenerateOptions = { markets: 12, events: 30_000, seed: 42, durationMs: 12 * 3_600_000, malformedRate: 0.01 };
const frames = [...generateFrames(OPTS)];
const records = generateMarkets(OPTS);
const markets = checkedMarkets(records);
const check = checkStream(markets, frames);
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('simulate', () => {
  it('is deterministic: the same seed gives identical bytes, another seed differs', async () => {
    const again = [...generateFrames(OPTS)];
    expect(again.length).toBe(frames.length);
    expect(again.map((f) => `${f.recvTs}\t${f.frame}`).join('\n')).toBe(frames.map((f) => `${f.recvTs}\t${f.frame}`).join('\n'));
    const other = [...generateFrames({ ...OPTS, seed: 43 })];
    expect(other[5]?.frame).not.toBe(frames[5]?.frame);

    const a = mkdtempSync(join(tmpdir(), 'sim-a-'));
    const b = mkdtempSync(join(tmpdir(), 'sim-b-'));
    dirs.push(a, b);
    const small = { markets: 4, events: 2_000, seed: 9 };
    await simulate({ ...small, outDir: a });
    await simulate({ ...small, outDir: b });
    for (const name of ['markets.jsonl', 'market-ws-0000.log']) expect(readFileSync(join(a, name))).toEqual(readFileSync(join(b, name)));
  });

  it('emits exactly the requested number of lines, in receive-time order', () => {
    expect(frames.length).toBe(30_000);
    for (let i = 1; i < frames.length; i++) expect((frames[i] as { recvTs: number }).recvTs).toBeGreaterThanOrEqual((frames[i - 1] as { recvTs: number }).recvTs);
  });

  it('contains every frame type, JSON arrays and PONGs', () => {
    for (const type of ['book', 'price_change', 'last_trade_price', 'tick_size_change', 'market_resolved']) expect(check.byType[type] ?? 0).toBeGreaterThan(0);
    expect(check.arrays).toBeGreaterThan(0);
    expect(check.pong).toBeGreaterThan(0);
    expect(check.resolved.size).toBeGreaterThan(0);
  });

  it('malforms about the requested share of data lines', () => {
    // 1 % of ~26,000 data lines: expected 260, sd ~16.
    const share = check.malformed / check.dataLines;
    expect(share).toBeGreaterThan(0.007);
    expect(share).toBeLessThan(0.013);
    const none = checkStream(markets, generateFrames({ ...OPTS, malformedRate: 0 }));
    expect(none.malformed).toBe(0);
  });

  it('keeps books consistent: deltas apply cleanly, best bid/ask match the tracked book, prices on the tick grid', () => {
    // checkStream rejects off-grid prices and negative sizes as malformed and records any mismatch.
    expect(check.violations).toEqual([]);
  });

  it('keeps the NO book the mirror of the YES book after every price_change', () => {
    type Side = Map<number, string>;
    const books = new Map<string, { bids: Side; asks: Side }>();
    const mills = (p: string): number => Math.round(Number(p) * 1000);
    const tokens = new Map(markets.map((m) => [m.conditionId, m]));
    let compared = 0;
    for (const { frame } of frames) {
      if (frame === 'PONG') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(frame);
      } catch {
        continue;
      }
      // Malformed copies (see wire.ts) are skipped; the checker test covers them.
      if (/"price":"abc"|"size":"-|"price_update"/.test(frame)) continue;
      const events = (Array.isArray(parsed) ? parsed : [parsed]) as Record<string, unknown>[];
      let e: Record<string, unknown> | undefined;
      for (const ev of events) {
        if (ev['event_type'] === 'book' && typeof ev['asset_id'] === 'string') {
          const b = ev as { asset_id: string; bids: { price: string; size: string }[]; asks: { price: string; size: string }[] };
          books.set(b.asset_id, { bids: new Map(b.bids.map((l) => [mills(l.price), l.size])), asks: new Map(b.asks.map((l) => [mills(l.price), l.size])) });
        } else if (ev['event_type'] === 'price_change') {
          const entries = ev['price_changes'] as { asset_id?: string; price: string; size: string; side: string }[];
          if (entries.some((x) => x.asset_id === undefined)) continue;
          for (const x of entries) {
            const b = books.get(x.asset_id as string);
            if (b === undefined) continue;
            const side = x.side === 'BUY' ? b.bids : b.asks;
            if (x.size === '0') side.delete(mills(x.price));
            else side.set(mills(x.price), x.size);
          }
          // A level change is atomic across both tokens; snapshot pairs arrive one frame apart.
          e = ev;
        }
      }
      if (e === undefined) continue;
      const m = tokens.get(e['market'] as string);
      const yes = m && books.get(m.yes);
      const no = m && books.get(m.no);
      if (yes === undefined || no === undefined) continue;
      const mirror = (side: Side): string[] => [...side].map(([p, s]) => `${1000 - p}:${s}`).sort();
      const plain = (side: Side): string[] => [...side].map(([p, s]) => `${p}:${s}`).sort();
      expect(plain(no.bids)).toEqual(mirror(yes.asks));
      expect(plain(no.asks)).toEqual(mirror(yes.bids));
      compared++;
    }
    expect(compared).toBeGreaterThan(1_000);
  });

  it('writes markets.jsonl in the Gamma shape with JSON-encoded outcomes and token ids', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-dir-'));
    dirs.push(dir);
    const summary = await simulate({ markets: 10, events: 5_000, seed: 3, outDir: dir, gzip: true, linesPerFile: 2_000 });
    expect(readdirSync(dir).sort()).toEqual(['market-ws-0000.log.gz', 'market-ws-0001.log.gz', 'market-ws-0002.log.gz', 'markets.jsonl']);
    expect(summary.events).toBe(5_000);
    const lines = ['market-ws-0000.log.gz', 'market-ws-0001.log.gz', 'market-ws-0002.log.gz'].flatMap((f) =>
      gunzipSync(readFileSync(join(dir, f))).toString('utf8').trimEnd().split('\n'),
    );
    expect(lines).toHaveLength(5_000);
    for (const line of lines) expect(line).toMatch(/^\d{13}\t./);

    const rows = readFileSync(join(dir, 'markets.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { recvTs: number; market: Record<string, unknown> });
    expect(rows).toHaveLength(10);
    const categories = new Set(['politics', 'sports', 'crypto', 'economics', 'geopolitics', 'culture']);
    for (const { recvTs, market } of rows) {
      expect(typeof recvTs).toBe('number');
      expect(market['id']).toMatch(/^\d+$/);
      expect(market['conditionId']).toMatch(/^0x[0-9a-f]{64}$/);
      expect(market['questionID']).toMatch(/^0x[0-9a-f]{64}$/);
      expect(typeof market['question']).toBe('string');
      expect(typeof market['slug']).toBe('string');
      expect(categories.has(market['category'] as string)).toBe(true);
      expect(typeof market['outcomes']).toBe('string');
      expect(JSON.parse(market['outcomes'] as string)).toEqual(['Yes', 'No']);
      expect(typeof market['clobTokenIds']).toBe('string');
      const tokens = JSON.parse(market['clobTokenIds'] as string) as string[];
      expect(tokens).toHaveLength(2);
      for (const t of tokens) expect(t).toMatch(/^[1-9]\d{76}$/);
      expect([0.01, 0.001]).toContain(market['orderPriceMinTickSize']);
      expect(market['orderMinSize']).toBe(5);
      expect(market['negRisk']).toBe(false);
      expect(market['active']).toBe(true);
      expect(market['closed']).toBe(false);
      expect(Number.isNaN(Date.parse(market['startDate'] as string))).toBe(false);
      expect(Number.isNaN(Date.parse(market['endDate'] as string))).toBe(false);
      const events = market['events'] as { id: string; slug: string; title: string }[];
      expect(events).toHaveLength(1);
      expect(events[0]?.id).toMatch(/^\d+$/);
      expect(Array.isArray(market['tags'])).toBe(true);
      for (const key of ['volume', 'volumeNum', 'outcomePrices', 'closedTime', 'umaResolutionStatus']) expect(market).not.toHaveProperty(key);
    }
  });

  it('has sibling markets in some events and a resolution consistent with the final prices', () => {
    const byEvent = new Map<string, number>();
    for (const { market } of generateMarkets({ markets: 60, seed: 5 })) {
      const id = (market['events'] as { id: string }[])[0]!.id;
      byEvent.set(id, (byEvent.get(id) ?? 0) + 1);
    }
    expect([...byEvent.values()].some((n) => n > 1)).toBe(true);
    for (const [conditionId, { yesWon }] of check.resolved) {
      const mids = check.mids.get(conditionId) ?? [];
      const last = mids[mids.length - 1];
      if (last === undefined) continue;
      // The outcome is revealed over the final hour: the last mid sits on the winning side.
      expect(yesWon ? last[1] > 0.5 : last[1] < 0.5).toBe(true);
    }
  });
});
