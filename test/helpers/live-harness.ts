import { pino } from 'pino';
import { applyBookUpdate } from '../../operators/order-book.js';
import type { L2Book } from '../../operators/l2-book.js';
import { liveIngest, type LiveIngest } from '../../pipelines/live.js';
import { loadConfig } from '../../runtime/config.js';
import { MemoryBus } from '../../runtime/memory-bus.js';
import { PipelineMetrics } from '../../runtime/metrics.js';
import { ReplayScheduler } from '../../runtime/replay-scheduler.js';
import type { BookUpdate } from '../../schemas/book-update.js';
import type { DeadLetter } from '../../schemas/dead-letter.js';
import type { AssetId } from '../../schemas/ids.js';
import type { MarketMeta } from '../../schemas/market-meta.js';
import type { NewsItem } from '../../schemas/news-item.js';
import type { Resolution } from '../../schemas/resolution.js';
import type { RiskEvent } from '../../schemas/risk-event.js';
import type { Trade } from '../../schemas/trade.js';
import { parseMicros } from '../../schemas/units.js';
import type { WalletTrade } from '../../schemas/wallet-trade.js';
import type { RecordingWriter } from '../../sources/recorder/recording-writer.js';
import type { ReplayRecord } from '../../sources/replay/replay-record.js';
import { FakePolymarket, gammaMarket } from './fake-polymarket.js';

export const T0 = Date.UTC(2026, 4, 1, 12);

/** The n-th test market's condition id and its two 77-digit outcome tokens. */
export function testMarket(n: number): { conditionId: string; tokens: [string, string] } {
  const hex = n.toString(16).padStart(2, '0');
  const token = (k: bigint): string => (10n ** 76n * BigInt(n) + k).toString();
  return { conditionId: `0x${hex.repeat(32)}`, tokens: [token(11n), token(22n)] };
}

export interface Collected {
  books: BookUpdate[];
  trades: Trade[];
  dead: DeadLetter[];
  resolutions: Resolution[];
  risk: RiskEvent[];
  wallet: WalletTrade[];
  news: NewsItem[];
  meta: MarketMeta[];
}

export interface LiveHarness {
  readonly scheduler: ReplayScheduler;
  readonly fake: FakePolymarket;
  readonly bus: MemoryBus;
  readonly metrics: PipelineMetrics;
  readonly live: LiveIngest;
  readonly got: Collected;
  readonly records: ReplayRecord[];
  close(): Promise<void>;
}

/**
 * The fake Polymarket with `markets` binary markets (a book on each token), and live ingest
 * pointed at it on a virtual clock starting at T0. `live` overrides the config's live section.
 */
export async function liveHarness(opts: {
  markets: number;
  live?: Record<string, unknown> | ((fake: FakePolymarket) => Record<string, unknown>);
  recorder?: RecordingWriter;
  logStream?: NodeJS.WritableStream;
}): Promise<LiveHarness> {
  const scheduler = new ReplayScheduler(T0);
  const fake = await FakePolymarket.start(() => scheduler.now());
  for (let n = 1; n <= opts.markets; n++) addMarket(fake, n);
  const config = loadConfig({
    env: {},
    overrides: {
      live: {
        wsUrl: fake.wsUrl,
        gammaUrl: fake.httpUrl,
        clobUrl: fake.httpUrl,
        dataUrl: fake.httpUrl,
        newsapiUrl: fake.httpUrl,
        whaleMinUsd: 0,
        bookAuditMs: 0,
        minVolumeUsd: 0,
        minLiquidityUsd: 0,
        ...(typeof opts.live === 'function' ? opts.live(fake) : opts.live),
      },
    },
  });
  const bus = new MemoryBus();
  const metrics = new PipelineMetrics();
  const got: Collected = { books: [], trades: [], dead: [], resolutions: [], risk: [], wallet: [], news: [], meta: [] };
  bus.topic('pm.book').subscribe((u) => got.books.push(u));
  bus.topic('pm.trade').subscribe((t) => got.trades.push(t));
  bus.topic('dlq.ingest').subscribe((d) => got.dead.push(d));
  bus.topic('pm.resolution').subscribe((r) => got.resolutions.push(r));
  bus.topic('risk.event').subscribe((r) => got.risk.push(r));
  bus.topic('pm.wallet.trade').subscribe((w) => got.wallet.push(w));
  bus.topic('news.item').subscribe((n) => got.news.push(n));
  bus.topic('pm.market.meta').subscribe((m) => got.meta.push(m));
  const records: ReplayRecord[] = [];
  const logger = opts.logStream === undefined ? pino({ level: 'silent' }) : pino({ level: 'debug' }, opts.logStream);
  const live = liveIngest({
    config,
    bus,
    metrics,
    logger,
    scheduler,
    random: () => 0.5,
    onRecord: (r) => records.push(r),
    ...(opts.recorder === undefined ? {} : { recorder: opts.recorder }),
  });
  return {
    scheduler,
    fake,
    bus,
    metrics,
    live,
    got,
    records,
    async close() {
      live.stop();
      await fake.close();
      await bus.close();
    },
  };
}

export function addMarket(fake: FakePolymarket, n: number, extra: Record<string, unknown> = {}): void {
  const { conditionId, tokens } = testMarket(n);
  fake.gammaMarkets.push(gammaMarket(n, conditionId, tokens, extra));
  fake.setBook(tokens[0], conditionId, [['0.40', '100'], ['0.39', '200']], [['0.42', '150'], ['0.43', '300']]);
  fake.setBook(tokens[1], conditionId, [['0.57', '150'], ['0.56', '300']], [['0.60', '100'], ['0.61', '200']]);
}

/** Books rebuilt from `updates` with the production operator, as `price -> size` maps per side. */
export function rebuiltBooks(updates: readonly BookUpdate[]): Map<string, { bids: Map<number, number>; asks: Map<number, number>; ready: boolean }> {
  const books = new Map<AssetId, L2Book>();
  for (const u of updates) applyBookUpdate(books, u);
  const out = new Map<string, { bids: Map<number, number>; asks: Map<number, number>; ready: boolean }>();
  for (const [id, book] of books) {
    const bids = new Map<number, number>();
    const asks = new Map<number, number>();
    book.forEachLevel('bid', (p, s) => (bids.set(p, s), true));
    book.forEachLevel('ask', (p, s) => (asks.set(p, s), true));
    out.set(id, { bids, asks, ready: book.ready });
  }
  return out;
}

/** The fake's true book of an asset in micro-units. */
export function trueBook(fake: FakePolymarket, asset: string): { bids: Map<number, number>; asks: Map<number, number>; ready: boolean } {
  const b = fake.books.get(asset);
  if (b === undefined) throw new Error(`no book ${asset}`);
  const micros = (levels: Map<string, string>): Map<number, number> => new Map([...levels].map(([p, s]) => [parseMicros(p), parseMicros(s)]));
  return { bids: micros(b.bids), asks: micros(b.asks), ready: true };
}
