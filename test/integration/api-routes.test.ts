import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonlFiles } from '../../sinks/jsonl-files.js';
import { replayRecords } from '../../pipelines/replay.js';
import { createLogger } from '../../runtime/logger.js';
import { marketId } from '../../schemas/ids.js';
import type { MarketMeta } from '../../schemas/market-meta.js';
import type { RiskEvent } from '../../schemas/risk-event.js';
import type { Signal } from '../../schemas/signal.js';
import { readReplay } from '../../sources/replay/replay-directory.js';
import { configLoader, startEmbeddedSystem, type EmbeddedSystem } from '../helpers/embedded-api-system.js';
import { tradingScorer } from '../helpers/trading-model.js';

/*
 * Every route of the API against a running embedded system after a replay of data/sample: the
 * answers are compared with the JSONL the same run wrote, and the analytics with a separate
 * `replayRecords` run's summary. Needs nothing but the sample (PGlite for settings).
 */
const TOKEN = 'test-token-5f1c9a';
const root = mkdtempSync(join(tmpdir(), 'polyflow-api-'));
const outDir = join(root, 'out');
const stateDir = join(root, 'pglite');
let sys: EmbeddedSystem;
const bodies: string[] = [];

const readJsonl = <T>(name: string): T[] =>
  readFileSync(join(outDir, `${name}.jsonl`), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);

async function get(url: string): Promise<LightMyRequestResponse> {
  const res = await sys.app.inject({ method: 'GET', url });
  bodies.push(res.body);
  return res;
}

/** Every item of a paged list, following nextCursor. */
async function all<T>(path: string, query = ''): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const res = await get(`${path}?limit=1000${query}${cursor === null ? '' : `&cursor=${cursor}`}`);
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json<{ items: T[]; nextCursor: string | null }>();
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return items;
}

beforeAll(async () => {
  sys = await startEmbeddedSystem({ stateDir, outDir, overrides: { api: { token: TOKEN, cacheTtlMs: 0 } } });
});

afterAll(async () => {
  await sys?.close();
  // No response ever carries the token.
  for (const body of bodies) expect(body).not.toContain(TOKEN);
});

describe('API over a running embedded system (data/sample replayed)', () => {
  it('answers /health and /ready (bus subscribed, PGlite up, feed fresh on the run clock, model loaded)', async () => {
    expect((await get('/health')).json()).toEqual({ status: 'ok' });
    const ready = await get('/ready');
    expect(ready.statusCode, ready.body).toBe(200);
    const checks = ready.json<{ checks: Record<string, { ok: boolean; detail: string }> }>().checks;
    expect(Object.keys(checks).sort()).toEqual(['analytics', 'bus', 'feed', 'model', 'state']);
    expect(checks['model']!.detail).toMatch(/\S/);
    expect(checks['state']!.detail).toBe('pglite');
  });

  it('reports /ready 503 when the feed goes stale', async () => {
    const last = sys.model.lastBookRecvTs!;
    sys.scheduler.advanceTo(last + sys.live.config.api.feedStaleMs + 1);
    const res = await get('/ready');
    expect(res.statusCode).toBe(503);
    expect(res.json<{ checks: { feed: { ok: boolean } } }>().checks.feed.ok).toBe(false);
  });

  it('serves Prometheus text at /metrics from the run and the API', async () => {
    const res = await get('/metrics');
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/polyflow_operator_events_in_total\{operator="arbitrage"\} \d+/);
    expect(res.body).toContain('polyflow_api_requests_total');
  });

  it('publishes an OpenAPI document at /docs/json with every route', async () => {
    const doc = (await get('/docs/json')).json<{ openapi: string; paths: Record<string, unknown> }>();
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of ['/health', '/ready', '/metrics', '/markets', '/markets/{market}', '/markets/{market}/book', '/predictions', '/signals', '/orders', '/fills', '/portfolio', '/portfolio/history', '/analytics', '/arbitrage', '/whales', '/whales/wallets', '/models', '/settings', '/settings/{key}', '/risk', '/risk/events', '/risk/kill-switch']) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
    expect((await get('/docs')).statusCode).toBeLessThan(400);
  });

  it('lists markets, one market and its book top', async () => {
    const metas = readJsonl<MarketMeta>('pm.market.meta');
    const list = (await get('/markets?limit=1000')).json<{ items: MarketMeta[]; total: number }>();
    expect(list.total).toBe(new Set(metas.map((m) => m.market)).size);
    const politics = (await get('/markets?category=politics&limit=1000')).json<{ total: number }>();
    expect(politics.total).toBe(new Set(metas.filter((m) => m.category === 'politics').map((m) => m.market)).size);
    const m = metas[0]!;
    const one = (await get(`/markets/${m.market}`)).json<MarketMeta & { resolution: unknown }>();
    expect({ ...one, resolution: undefined }).toEqual({ ...metas.filter((x) => x.market === m.market).at(-1), resolution: undefined });
    const book = (await get(`/markets/${m.market}/book`)).json<{ tokens: { assetId: string; bestBid: number; bestAsk: number }[] }>();
    expect(book.tokens.map((t) => t.assetId)).toEqual(m.assetIds);
    for (const t of book.tokens) if (t.bestBid >= 0 && t.bestAsk >= 0) expect(t.bestBid).toBeLessThan(t.bestAsk);
    expect((await get('/markets/0xnope')).statusCode).toBe(404);
  });

  it('pages through predictions, signals, orders, fills and portfolio exactly as the JSONL has them', async () => {
    for (const [path, topic] of [
      ['/predictions', 'prediction.v1'],
      ['/signals', 'signal.v1'],
      ['/orders', 'order.v1'],
      ['/fills', 'fill.v1'],
      ['/portfolio/history', 'portfolio.v1'],
      ['/arbitrage', 'arbitrage.v1'],
      ['/whales', 'whale.v1'],
      ['/risk/events', 'risk.event'],
    ] as const) {
      const expected = readJsonl<unknown>(topic);
      expect(await all(path), path).toEqual(expected);
    }
    expect((await get('/portfolio')).json()).toEqual(readJsonl('portfolio.v1').at(-1));
    // Newest first, one page.
    const desc = (await get('/signals?order=desc&limit=3')).json<{ items: Signal[] }>();
    expect(desc.items).toEqual(readJsonl<Signal>('signal.v1').reverse().slice(0, 3));
  });

  it('filters signals by strength, market, edge and time', async () => {
    const signals = readJsonl<Signal>('signal.v1');
    expect(await all<Signal>('/signals', '&strength=STRONG&strength=MEDIUM')).toEqual(signals.filter((s) => s.strength !== 'WEAK'));
    const market = signals[0]!.market;
    expect(await all<Signal>('/signals', `&market=${market}&minEdge=0.1`)).toEqual(signals.filter((s) => s.market === market && s.edge >= 0.1));
    const mid = signals[Math.floor(signals.length / 2)]!.ts;
    expect(await all<Signal>('/signals', `&since=${mid}`)).toEqual(signals.filter((s) => s.ts >= mid));
    expect(await all<Signal>('/signals', `&until=${mid}`)).toEqual(signals.filter((s) => s.ts < mid));
  });

  it('filters arbitrage by kind and whales by source', async () => {
    const arb = readJsonl<{ kind: string }>('arbitrage.v1');
    expect(await all('/arbitrage', '&kind=complement_buy')).toEqual(arb.filter((a) => a.kind === 'complement_buy'));
    const whales = readJsonl<{ source: string }>('whale.v1');
    expect(await all('/whales', '&source=ws_trade')).toEqual(whales.filter((w) => w.source === 'ws_trade'));
  });

  it('serves analytics equal to a separate replay of the same sample, with calibration', async () => {
    const scorer = await tradingScorer();
    const other = new JsonlFiles(join(root, 'other'));
    const { summary } = await replayRecords(readReplay('data/sample'), { config: configLoader({})({}), scorer, files: other, logger: createLogger('silent') });
    other.close();
    const res = (await get('/analytics')).json<{ source: string; figures: Record<string, unknown>; hitRate: unknown; calibration: { rows: number; model: { count: number }[] } }>();
    expect(res.source).toBe('live');
    expect(res.figures).toEqual(JSON.parse(JSON.stringify(summary)));
    expect(res.hitRate).toEqual(summary.win_rate);
    expect(res.calibration.model).toHaveLength(10);
    expect(res.calibration.model.reduce((n, b) => n + b.count, 0)).toBe(res.calibration.rows);
    // The same rows the stream scores: predictions before their market's resolution, pModel and pMarket finite.
    expect(res.calibration.rows).toBe(summary.scored_predictions);
  });

  it('reports breakers from risk.event and the kill switch from the settings', async () => {
    const events = readJsonl<RiskEvent>('risk.event').filter((e) => e.action === 'trip' || e.action === 'reset');
    const body = (await get('/risk')).json<{ killSwitch: boolean; breakers: { rule: string; tripped: boolean }[] }>();
    expect(body.killSwitch).toBe(false);
    for (const b of body.breakers) {
      if (b.rule === 'kill_switch') continue;
      const last = new Map<string, boolean>();
      for (const e of events.filter((x) => x.rule === b.rule)) last.set(e.assetId !== '' ? e.assetId : e.market, e.action === 'trip');
      expect(b.tripped, b.rule).toBe([...last.values()].some((t) => t));
    }
  });

  it('lists the model registry and the loaded model', async () => {
    const body = (await get('/models')).json<{ loaded: string; models: unknown[] }>();
    expect(body.loaded).toMatch(/\S/);
    expect(body.models).toEqual(await sys.store.query('SELECT version FROM models'));
  });

  it('ranks wallets from Data API trades (real recorded rows) fed to the running watch pipeline', async () => {
    const { parseWalletTradeRow } = await import('../../sources/polymarket/wallet-trade-row.js');
    const rows = JSON.parse(readFileSync('../shared/data/polymarket/nautilus-ws-fixtures/rest/trades.json', 'utf8')) as unknown[];
    const volume = new Map<string, number>();
    for (const row of rows) {
      const p = parseWalletTradeRow(row);
      if (!p.ok) throw new Error(p.reason);
      sys.bus.publish('pm.wallet.trade', p.trade.market, { ...p.trade, id: p.key });
      volume.set(p.trade.wallet, (volume.get(p.trade.wallet) ?? 0) + Math.round((p.trade.price * p.trade.size) / 1e6));
    }
    const ranked = (await get('/whales/wallets?sort=volume')).json<{ items: { wallet: string; volume: number; rank: number }[]; total: number }>();
    expect(ranked.total).toBe(volume.size);
    const expected = [...volume].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    expect(ranked.items.map((w) => [w.wallet, w.volume])).toEqual(expected);
    expect((await get('/whales/wallets?sort=pnl&limit=1')).json<{ items: unknown[] }>().items).toHaveLength(1);
  });

  it('refuses bad input with a 4xx and a clear message', async () => {
    const cases: [string, RegExp][] = [
      ['/signals?limit=5000', /limit must be <= 1000/],
      ['/signals?strength=HUGE', /strength.*allowed values/],
      ['/signals?cursor=abc', /cursor must match pattern/],
      ['/whales?wallet=xyz', /wallet must match pattern/],
      ['/signals?colour=red', /must NOT have additional properties/],
      ['/settings/nope.key', /not a config key/],
      ['/analytics?bins=1', /bins must be >= 2/],
    ];
    for (const [url, message] of cases) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.json<{ message: string }>().message, url).toMatch(message);
    }
  });
});

describe('API security', () => {
  const mutations = [
    { method: 'PUT' as const, url: '/settings/signal.minEdge', payload: { value: 0.06 } },
    { method: 'DELETE' as const, url: '/settings/signal.minEdge' },
    { method: 'PUT' as const, url: '/risk/kill-switch', payload: { on: true } },
  ];

  it('refuses every mutation without a token or with a wrong one (401), in constant-time comparison', async () => {
    for (const m of mutations) {
      for (const authorization of [undefined, 'Bearer wrong', `Bearer ${TOKEN}x`, TOKEN, 'Basic abc']) {
        const res = await sys.app.inject({ ...m, headers: authorization === undefined ? {} : { authorization } });
        bodies.push(res.body);
        expect(res.statusCode, `${m.method} ${m.url} ${authorization}`).toBe(401);
        expect(res.headers['www-authenticate']).toBe('Bearer');
      }
    }
    expect(sys.live.version).toBe(0);
  });

  it('refuses mutations when no token is configured (403)', async () => {
    const bare = await startApiOnly('');
    for (const m of mutations) {
      const res = await bare.inject({ ...m, headers: { authorization: 'Bearer anything' } });
      expect(res.statusCode).toBe(403);
      expect(res.json<{ message: string }>().message).toMatch(/POLYFLOW_API_TOKEN/);
    }
    await bare.close();
  });

  it('limits body size, needs JSON, and has CORS off unless configured', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const big = await sys.app.inject({ method: 'PUT', url: '/settings/signal.minEdge', headers: auth, payload: { value: 'x'.repeat(70_000) } });
    expect(big.statusCode).toBe(413);
    const text = await sys.app.inject({ method: 'PUT', url: '/settings/signal.minEdge', headers: { ...auth, 'content-type': 'text/plain' }, payload: '0.06' });
    expect(text.statusCode).toBe(415);
    const cors = await sys.app.inject({ method: 'GET', url: '/health', headers: { origin: 'https://evil.example' } });
    expect(cors.headers['access-control-allow-origin']).toBeUndefined();
    const open = await startApiOnly(TOKEN, { corsOrigins: ['https://grafana.local'] });
    const ok = await open.inject({ method: 'GET', url: '/health', headers: { origin: 'https://grafana.local' } });
    expect(ok.headers['access-control-allow-origin']).toBe('https://grafana.local');
    const other = await open.inject({ method: 'GET', url: '/health', headers: { origin: 'https://evil.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    await open.close();
  });

  it('listens on 127.0.0.1 by default and answers over a real port', async () => {
    expect(sys.live.config.api.host).toBe('127.0.0.1');
    const app = await startApiOnly(TOKEN);
    const address = await app.listen({ host: sys.live.config.api.host, port: 0 });
    expect(address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${address}/health`);
    expect(await res.json()).toEqual({ status: 'ok' });
    await app.close();
  });

  it('never shows the token in /settings', async () => {
    const body = (await get('/settings')).json<{ effective: { api: { token: string } } }>();
    expect(body.effective.api.token).toBe('[redacted]');
  });
});

describe('settings over the API', () => {
  const auth = { authorization: `Bearer ${TOKEN}` };
  const put = (key: string, value: unknown) => sys.app.inject({ method: 'PUT', url: `/settings/${key}`, headers: auth, payload: { value } });

  it('validates values and keys before storing anything', async () => {
    for (const [key, value, message] of [
      ['signal.minEdge', 2, /signal.minEdge/],
      ['signal.minEdge', 'high', /signal.minEdge/],
      ['signal.minEdge', 0.5, /minEdge <= mediumEdge/],
      ['api.token', 'x', /api section cannot be changed/],
      ['state.kind', 'postgres', /state section cannot be a setting/],
      ['nope.key', 1, /not a config key/],
    ] as const) {
      const res = await put(key, value);
      expect(res.statusCode, key).toBe(400);
      expect(res.json<{ message: string }>().message, key).toMatch(message);
    }
    expect(await sys.store.listSettings()).toEqual([]);
  });

  it('applies a raised edge threshold to the running trade operators without a restart', async () => {
    // Two fresh markets (fee rate 0) and one prediction each with a YES edge of 0.07: WEAK at minEdge 0.05.
    const signals: Signal[] = [];
    const sub = sys.bus.topic('signal.v1').subscribe((s) => signals.push(s));
    const market = (n: number): MarketMeta => ({
      market: marketId(`0xfeed${n}`),
      eventId: '' as MarketMeta['eventId'],
      question: `test ${n}`,
      slug: `test-${n}`,
      category: 'geopolitics',
      outcomes: ['Yes', 'No'],
      assetIds: [`9${n}01`, `9${n}02`] as unknown as MarketMeta['assetIds'],
      tickSize: 10_000 as MarketMeta['tickSize'],
      negRisk: false,
      startTs: 0,
      endTs: 0,
      ts: 0,
    });
    const predict = (m: MarketMeta) => {
      const ts = sys.scheduler.now();
      sys.bus.publish('pm.market.meta', m.market, m);
      sys.bus.publish('prediction.v1', m.assetIds[0]!, {
        id: `pred:test:${m.market}`,
        featuresId: '',
        assetId: m.assetIds[0]!,
        market: m.market,
        ts,
        // Already due: trade acts on it at once.
        dueTs: ts - 1,
        modelVersion: 'test',
        pModel: 0.62,
        pMarket: 0.525,
        confidence: 1,
        bestBid: 500_000 as never,
        bestAsk: 550_000 as never,
        bidDepth: 1_000_000_000 as never,
        askDepth: 1_000_000_000 as never,
      });
    };
    predict(market(1));
    expect(signals.map((s) => [s.market, s.strength])).toEqual([['0xfeed1', 'WEAK']]);
    expect(signals[0]!.edge).toBeCloseTo(0.07, 12);

    const res = await put('signal.minEdge', 0.08);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ key: 'signal.minEdge', value: 0.08, applied: 'live', version: 1 });
    predict(market(2));
    expect(signals).toHaveLength(1);
    expect((await get('/settings/signal.minEdge')).json()).toEqual({ key: 'signal.minEdge', value: 0.08 });
    sub.unsubscribe();
  });

  it('turns the kill switch on live: the risk gate blocks the next signal', async () => {
    const res = await sys.app.inject({ method: 'PUT', url: '/risk/kill-switch', headers: auth, payload: { on: true } });
    expect(res.json()).toMatchObject({ killSwitch: true });
    const events: RiskEvent[] = [];
    const sub = sys.bus.topic('risk.event').subscribe((e) => events.push(e));
    sys.bus.publish('signal.v1', '9301', {
      id: 'sig:test:kill',
      predictionId: 'pred:test:kill',
      assetId: '9301' as never,
      market: marketId('0xfeed3'),
      ts: sys.scheduler.now(),
      direction: 'YES',
      strength: 'STRONG',
      probability: 0.9,
      price: 500_000 as never,
      edge: 0.4,
      confidence: 1,
      liquidity: 1_000_000_000 as never,
    });
    expect(events.map((e) => e.rule)).toEqual(['kill_switch']);
    expect((await get('/risk')).json<{ killSwitch: boolean }>().killSwitch).toBe(true);
    sub.unsubscribe();
  });

  it('keeps settings across a restart (a new app on the same PGlite store)', async () => {
    expect((await sys.store.listSettings()).map((r) => [r.key, r.value])).toEqual([
      ['risk.killSwitch', true],
      ['signal.minEdge', 0.08],
    ]);
    const unset = await sys.app.inject({ method: 'DELETE', url: '/settings/risk.killSwitch', headers: auth });
    expect(unset.json()).toMatchObject({ key: 'risk.killSwitch', applied: 'live' });
    expect(sys.live.config.risk.killSwitch).toBe(false);
    await sys.close();
    sys = await startApiOnlySystem();
    expect((await get('/settings/signal.minEdge')).json()).toEqual({ key: 'signal.minEdge', value: 0.08 });
    expect((await get('/settings/risk.killSwitch')).json()).toEqual({ key: 'risk.killSwitch', value: false });
    expect(sys.live.config.signal.minEdge).toBe(0.08);
  });
});

/** An API over an empty read model and an in-memory store (security tests). */
async function startApiOnly(token: string, api: Record<string, unknown> = {}) {
  const { buildApi } = await import('../../api/build-api.js');
  const { RunReadModel } = await import('../../api/run-read-model.js');
  const { SettingsService } = await import('../../api/settings-service.js');
  const { LiveSettings } = await import('../../runtime/live-settings.js');
  const { noAnalytics } = await import('../../api/analytics-source.js');
  const load = configLoader({ api: { token, ...api } });
  const live = new LiveSettings(load({}));
  return buildApi({ config: live.config, settings: new SettingsService(undefined, live, load), model: new RunReadModel(10), analytics: noAnalytics, registries: [], clock: () => 0 });
}

/** A restarted process: a new store handle, settings and app on the same PGlite directory. */
async function startApiOnlySystem(): Promise<EmbeddedSystem> {
  const { buildApi } = await import('../../api/build-api.js');
  const { RunReadModel } = await import('../../api/run-read-model.js');
  const { SettingsService } = await import('../../api/settings-service.js');
  const { LiveSettings } = await import('../../runtime/live-settings.js');
  const { summaryFileAnalytics } = await import('../../api/analytics-source.js');
  const { openStateStore } = await import('../../sinks/postgres/open-state-store.js');
  const store = await openStateStore({ kind: 'pglite', dir: stateDir });
  const load = configLoader({ api: { token: TOKEN } });
  const live = new LiveSettings(load({}));
  const settings = new SettingsService(store, live, load);
  await settings.init();
  const model = new RunReadModel(1000);
  model.loadRunDir(outDir);
  const app = await buildApi({ config: live.config, settings, model, store, analytics: summaryFileAnalytics(outDir), registries: [], clock: () => 0 });
  return { app, store, live, settings, model, close: async () => { await app.close(); await store.close(); } } as unknown as EmbeddedSystem;
}
