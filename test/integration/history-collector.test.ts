/**
 * `polyflow history` end to end against a local fake of Gamma and CLOB serving real resolved
 * markets and price series from ../shared/data/polymarket (emre-agentic-research-platform,
 * ochaff-fated-btc-daily-bands; see test/helpers/polymarket-history-fixture.ts), with scripted
 * faults: several keyset pages, a 500, a 429 with Retry-After, "interval is too long" above 3 days,
 * a voided (50-50) market, a 0/0 payout, an unresolved one, a duplicated token, real series that end
 * early or on the loser's side. Needs only the shared data directory. Nothing really sleeps: the
 * HTTP clients run on a ManualClock.
 */
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectHistory, type CollectSummary } from '../../sources/history/collect-history.js';
import type { HistoryQuery } from '../../sources/history/history-query.js';
import { HttpClient } from '../../runtime/http/http-client.js';
import { HttpAbortedError } from '../../runtime/http/http-errors.js';
import { ManualClock } from '../../runtime/http/manual-clock.js';
import { startFakePolymarket, type FakePolymarket, type ScriptedFault } from '../helpers/fake-polymarket-server.js';
import { loadHistoryFixture, type HistoryFixture, type SourceMarket } from '../helpers/polymarket-history-fixture.js';

const DATA = resolve(process.cwd(), '../shared/data/polymarket');
const MAX_RANGE = 3 * 86_400;
const FIDELITY = 60;
const STALE = 86_400 + FIDELITY * 60;
const PAGE = 7;
const FAULTS: ScriptedFault[] = [
  { path: '/markets/keyset', nth: 2, status: 500 },
  { path: '/prices-history', nth: 3, status: 429, retryAfter: '2' },
  { path: '/prices-history', nth: 9, status: 503 },
];
const DATA_FILES = ['markets.jsonl', 'prices.jsonl', 'skipped.jsonl', 'manifest.json', 'SOURCE.md'];
const UNTIL_EMRE_ONLY = Date.UTC(2025, 9, 1); // emre closes 2025-02 .. 2025-06, ochaff 2025-11 .. 2026-01

let fx: HistoryFixture;
const work = mkdtempSync(join(tmpdir(), 'polyflow-history-'));
const servers: FakePolymarket[] = [];

async function server(onRequest?: (count: number) => void): Promise<FakePolymarket> {
  const s = await startFakePolymarket({ markets: fx.gamma, series: fx.series, maxRangeSeconds: MAX_RANGE, faults: FAULTS, ...(onRequest ? { onRequest } : {}) });
  servers.push(s);
  return s;
}

async function collect(outDir: string, srv: FakePolymarket, query: Partial<HistoryQuery> = {}, signal?: AbortSignal) {
  const clock = new ManualClock(Date.UTC(2026, 5, 1));
  const http = (baseUrl: string) => new HttpClient({ baseUrl, clock, random: () => 0.5, retry: { maxAttempts: 4 } });
  const summary = await collectHistory({
    outDir,
    gamma: http(srv.url),
    clob: http(srv.url),
    query: { minVolumeUsd: 0, fidelityMinutes: FIDELITY, ...query },
    endpoints: { gamma: 'http://gamma.test', clob: 'http://clob.test' },
    clock,
    pageLimit: PAGE,
    ...(signal === undefined ? {} : { signal }),
  });
  return { summary, clock };
}

const read = (dir: string, file: string): string => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8') : '');
const lines = (dir: string, file: string): Record<string, unknown>[] =>
  read(dir, file)
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** What the collector must write, computed from the source records alone. */
function expected(until?: number): { markets: Record<string, unknown>[]; prices: Record<string, unknown>[]; skipped: string[] } {
  const iso = (text: string): string => new Date(Date.parse(text)).toISOString().replace('.000Z', 'Z');
  const excluded: Record<string, string> = {
    [fx.faults.voided]: 'voided_50_50',
    [fx.faults.noWinner]: 'no_winner',
    [fx.faults.notFinal]: 'not_final',
  };
  const inQuery = (s: SourceMarket): boolean => until === undefined || Date.parse(s.closed_time) < until;
  const markets: Record<string, unknown>[] = [];
  const prices: Record<string, unknown>[] = [];
  for (const s of fx.sources) {
    if (!inQuery(s) || excluded[s.market_id] !== undefined) continue;
    const from = Math.floor(Date.parse(s.start_date) / 1000);
    const to = Math.ceil(Date.parse(s.closed_time) / 1000);
    const tradingEnd = Math.min(Date.parse(s.end_date), Date.parse(s.closed_time)) / 1000;
    const flags: string[] = [];
    const tokenSeries = s.token_ids.map((token, i) => ({
      token_id: token,
      market_id: s.market_id,
      outcome: s.outcomes[i],
      series: (fx.series.get(token) ?? []).filter(([t]) => t >= from && t <= to),
    }));
    if (tokenSeries.some((p) => p.series.length === 0)) flags.push('series_missing');
    if (tokenSeries.some((p) => p.series.length > 0 && (p.series.at(-1)?.[0] ?? 0) < tradingEnd - STALE)) flags.push('series_ends_early');
    if (tokenSeries.some((p) => {
      const last = p.series.at(-1)?.[1];
      return last !== undefined && (p.outcome === s.winning_outcome ? last < 0.5 : last > 0.5);
    })) flags.push('last_price_contradicts_winner');
    prices.push(...tokenSeries);
    markets.push({
      market_id: s.market_id,
      condition_id: s.condition_id,
      question: s.question,
      market_slug: s.market_slug,
      event_id: s.event_id,
      event_slug: s.event_slug,
      event_title: null,
      category: s.category,
      tags: [],
      end_date: iso(s.end_date),
      closed_time: iso(s.closed_time),
      start_date: iso(s.start_date),
      volume: s.volume,
      liquidity: null,
      neg_risk: s.neg_risk,
      outcomes: s.outcomes,
      token_ids: s.token_ids,
      winning_outcome: s.winning_outcome,
      yes_resolved: s.winning_outcome === 'Yes' ? 1 : 0,
      uma_resolution_status: 'resolved',
      flags,
    });
  }
  const skipped = Object.entries(excluded)
    .filter(([id]) => inQuery(fx.sources.find((s) => s.market_id === id) as SourceMarket))
    .map(([id, reason]) => `${id} ${reason}`);
  const dupOf = fx.sources.find((s) => s.source === 'ochaff') as SourceMarket;
  if (inQuery(dupOf)) skipped.push(`${fx.faults.duplicateToken} duplicate_token`);
  return { markets, prices, skipped: skipped.sort() };
}

const reference = join(work, 'reference');
let refSummary: CollectSummary;
let refServer: FakePolymarket;
let refClock: ManualClock;

beforeAll(async () => {
  if (!existsSync(DATA)) throw new Error(`shared data missing: ${DATA}`);
  fx = loadHistoryFixture(DATA);
  refServer = await server();
  ({ summary: refSummary, clock: refClock } = await collect(reference, refServer));
});

afterAll(async () => {
  for (const s of servers) await s.close();
  rmSync(work, { recursive: true, force: true });
});

describe('polyflow history against a fake Gamma + CLOB', () => {
  it('collects exactly the expected resolved markets, series, flags and skips', () => {
    const want = expected();
    expect(fx.sources.length).toBeGreaterThanOrEqual(28);
    expect(lines(reference, 'markets.jsonl')).toEqual(want.markets);
    expect(lines(reference, 'prices.jsonl')).toEqual(want.prices);
    expect(lines(reference, 'skipped.jsonl').map((s) => `${String(s.market_id)} ${String(s.reason)}`).sort()).toEqual(want.skipped);
    // the real problem records are there and flagged, not silently kept
    const flagged = want.markets.filter((m) => (m.flags as string[]).length > 0);
    expect(flagged.map((m) => m.market_id)).toEqual(expect.arrayContaining(['514710', '519542', '651831']));
    expect(refSummary.appended).toBe(want.markets.length);
    expect(refSummary.skipped).toEqual({ voided_50_50: 1, no_winner: 1, not_final: 1, duplicate_token: 1 });
    // work files are gone after a complete run
    expect(existsSync(join(reference, 'collect-pending.jsonl'))).toBe(false);
  });

  it('writes a manifest and SOURCE.md with the query, counts, checks and look-ahead note', () => {
    const want = expected();
    const manifest = JSON.parse(read(reference, 'manifest.json')) as { counts: Record<string, unknown>; query: Record<string, unknown>; look_ahead: string; date_range: Record<string, unknown> };
    const count = (flag: string): number => want.markets.filter((m) => (m.flags as string[]).includes(flag)).length;
    expect(manifest.counts).toMatchObject({
      markets: want.markets.length,
      series: want.prices.length,
      points: want.prices.reduce((n, p) => n + (p.series as unknown[]).length, 0),
      skipped: { duplicate_token: 1, no_winner: 1, not_final: 1, voided_50_50: 1 },
      flagged: Object.fromEntries(['last_price_contradicts_winner', 'series_ends_early'].map((f) => [f, count(f)]).filter(([, n]) => n !== 0)),
    });
    expect(manifest.query).toMatchObject({ fidelity_minutes: FIDELITY, min_volume_usd: 0, since: null, until: null });
    expect(manifest.look_ahead).toMatch(/labels or metadata, never features/);
    const closes = want.markets.map((m) => String(m.closed_time)).sort();
    expect(manifest.date_range.closed_time).toEqual([closes[0], closes.at(-1)]);
    expect(read(reference, 'SOURCE.md')).toContain('# Polymarket resolved markets');
  });

  it('pages through keyset with after_cursor, survives the scripted 500/429/503, and splits long ranges', () => {
    expect(refSummary.pages).toBe(Math.ceil(fx.gamma.length / PAGE));
    expect(refServer.keysetQueries.every((q) => q.includes('closed=true') && !q.includes('offset'))).toBe(true);
    expect(refServer.keysetQueries.filter((q) => q.includes('after_cursor=')).length).toBeGreaterThanOrEqual(refSummary.pages - 1);
    expect(refServer.counts.faultsServed).toBe(FAULTS.length);
    expect(refClock.sleeps).toContain(2_000); // Retry-After: 2
    // "interval is too long": halved a few times for the first token, then the working size is kept
    expect(refServer.counts.rejectedTooLong).toBeGreaterThan(0);
    expect(refServer.counts.rejectedTooLong).toBeLessThanOrEqual(4);
    expect(refSummary.chunkSeconds).toBeLessThanOrEqual(MAX_RANGE);
    expect(refServer.priceQueries.every(([, , , fidelity]) => fidelity === FIDELITY)).toBe(true);
  });

  it('a run stopped after N requests and resumed equals an uninterrupted run byte for byte', async () => {
    for (const stopAfter of [1, 4, 12, 40, 90]) {
      const dir = join(work, `resume-${stopAfter}`);
      const controller = new AbortController();
      const first = await server((count) => {
        if (count >= stopAfter) controller.abort(new Error('test stop'));
      });
      await expect(collect(dir, first, {}, controller.signal)).rejects.toBeInstanceOf(HttpAbortedError);
      if (stopAfter === 40 && existsSync(join(dir, 'prices.jsonl'))) {
        // a hard stop between the price lines and their market line, and a line cut short
        appendFileSync(join(dir, 'prices.jsonl'), `${JSON.stringify({ token_id: '1', market_id: 'orphan', outcome: 'Yes', series: [] })}\n{"token_id":"2","mar`);
      }
      const { summary } = await collect(dir, await server());
      if (stopAfter === 40) expect(summary.truncatedBytes).toBeGreaterThan(0);
      for (const file of DATA_FILES) expect(read(dir, file), `${file} after a stop at request ${stopAfter}`).toBe(read(reference, file));
    }
  });

  it('a second identical run appends nothing and fetches no series', async () => {
    const dir = join(work, 'twice');
    await collect(dir, await server());
    const before = DATA_FILES.map((f) => read(dir, f));
    const again = await server();
    const { summary } = await collect(dir, again);
    expect(summary.appended).toBe(0);
    expect(summary.alreadyCollected).toBe(expected().markets.length);
    expect(again.counts.byPath['/prices-history'] ?? 0).toBe(0);
    expect(DATA_FILES.map((f) => read(dir, f))).toEqual(before);
  });

  it('a later --until appends only the markets that are new', async () => {
    const dir = join(work, 'until');
    const early = await collect(dir, await server(), { untilMs: UNTIL_EMRE_ONLY });
    const wantEarly = expected(UNTIL_EMRE_ONLY);
    expect(lines(dir, 'markets.jsonl')).toEqual(wantEarly.markets);
    expect(early.summary.outsideQuery.notBeforeUntil).toBeGreaterThan(0);
    const before = read(dir, 'markets.jsonl');

    const later = await collect(dir, await server(), { untilMs: Date.UTC(2026, 5, 1) });
    const wantAll = expected();
    expect(later.summary.appended).toBe(wantAll.markets.length - wantEarly.markets.length);
    expect(later.summary.alreadyCollected).toBe(wantEarly.markets.length);
    expect(read(dir, 'markets.jsonl').startsWith(before)).toBe(true);
    for (const file of ['markets.jsonl', 'prices.jsonl', 'skipped.jsonl']) expect(read(dir, file)).toBe(read(reference, file));
  });

  it('--min-volume is sent to Gamma and applied to what comes back', async () => {
    const dir = join(work, 'volume');
    const srv = await server();
    const { summary } = await collect(dir, srv, { minVolumeUsd: 20_000 });
    const kept = lines(dir, 'markets.jsonl');
    expect(srv.keysetQueries.every((q) => q.includes('volume_num_min=20000'))).toBe(true);
    const want = expected().markets.filter((m) => typeof m.volume === 'number' && m.volume >= 20_000);
    expect(kept.map((m) => m.market_id)).toEqual(want.map((m) => m.market_id));
    expect(summary.appended).toBe(want.length);
  });

  it('refuses to mix fidelities in one directory', async () => {
    await expect(collect(reference, await server(), { fidelityMinutes: 1 })).rejects.toThrow(/fidelity/);
  });
});
