/**
 * Live ingest: the real-world sources feeding the same `ingest` pipeline a replay feeds.
 *
 *   Gamma discovery ──(market records, resolution frames)──┐
 *   CLOB market ws  ──(frames)──────────────────────────────┼─> records$ ─> ingest ─> pm.* / dlq.ingest
 *   REST /book resync ─(book frames)────────────────────────┘        ├─> recorder (optional)
 *                                                                    └─> pm.market.raw (each frame as received)
 *   pm.book ─> orderBook ─> gaps (top mismatch, crossed, awaiting snapshot) ─> REST /book resync
 *   pm.book ─> feedStaleness ─> risk.event (stale_book trip/reset)
 *   Data API /trades ─> pm.wallet.trade          RSS/Atom + NewsAPI ─> news.item
 *
 * Every timer runs on the injected scheduler (asyncScheduler live, a virtual one in tests).
 */
import { filter, Subject, Subscription, type SchedulerLike } from 'rxjs';
import { feedStaleness } from '../operators/feed-staleness.js';
import { orderBook } from '../operators/order-book.js';
import type { Bus } from '../runtime/bus.js';
import type { Config } from '../runtime/config.js';
import type { Logger } from '../runtime/logger.js';
import type { PipelineMetrics } from '../runtime/metrics.js';
import type { DeadLetter } from '../schemas/dead-letter.js';
import { HostRateLimiter } from '../runtime/http/host-rate-limiter.js';
import { HttpClient, type RetryNotice } from '../runtime/http/http-client.js';
import { MarketLinker } from '../sources/news/market-linker.js';
import { NewsPoller } from '../sources/news/news-poller.js';
import { BookResync } from '../sources/polymarket/book-resync.js';
import { MarketChannelClient } from '../sources/polymarket/market-channel-client.js';
import type { MarketChannelStatus } from '../sources/polymarket/market-channel-status.js';
import { GammaMarketDiscovery } from '../sources/polymarket/market-discovery.js';
import { MarketFeedMetrics } from '../sources/polymarket/market-feed-metrics.js';
import { networkUnreachable } from '../sources/polymarket/network-unreachable.js';
import { pollLoop } from '../sources/polymarket/poll-loop.js';
import { schedulerClock } from '../sources/polymarket/scheduler-clock.js';
import { WalletTradesPoller } from '../sources/polymarket/wallet-trades-poller.js';
import type { RecordingWriter } from '../sources/recorder/recording-writer.js';
import type { ReplayRecord } from '../sources/replay/replay-record.js';
import { ingestPipeline, publishRawFrame } from './ingest.js';

export interface LiveIngestDeps {
  readonly config: Config;
  readonly bus: Bus;
  readonly metrics: PipelineMetrics;
  readonly logger: Logger;
  readonly scheduler: SchedulerLike;
  /** Every record fed to ingest is also written here. */
  readonly recorder?: RecordingWriter;
  /** [0,1) jitter source (reconnect and HTTP backoff). */
  readonly random?: () => number;
  /** Seen by tests: every record fed to ingest. */
  readonly onRecord?: (record: ReplayRecord) => void;
}

export interface LiveIngest {
  /** First market discovery (a host that cannot be reached fails here, in one line), then everything starts. */
  start(): Promise<void>;
  /** Stops every source; the caller closes the recorder and the bus. */
  stop(): void;
  /** One discovery refresh now (also run every `live.marketRefreshMs`). */
  refreshMarkets(): Promise<void>;
  readonly client: MarketChannelClient;
  readonly resync: BookResync;
  readonly wallets: WalletTradesPoller;
  readonly news: NewsPoller;
  readonly feedMetrics: MarketFeedMetrics;
}

const BOOK_GAP = new Set(['top_mismatch', 'crossed', 'awaiting_snapshot']);

export function liveIngest(deps: LiveIngestDeps): LiveIngest {
  const { config, bus, metrics, scheduler } = deps;
  const live = config.live;
  const log = deps.logger.child({ component: 'live' });
  const random = deps.random ?? Math.random;
  const feedMetrics = new MarketFeedMetrics(metrics.registry);
  const abort = new AbortController();
  const subs = new Subscription();
  const clock = schedulerClock(scheduler);

  const limiter = new HostRateLimiter({
    clock,
    // Below Polymarket's throttles (B.5 "Rate limits"): Gamma /markets 300 per 10 s, CLOB /book
    // 1,500 per 10 s, Data API /trades 200 per 10 s.
    limits: {
      'gamma/markets': { capacity: 20, refillPerSecond: 20 },
      'clob/book': { capacity: 50, refillPerSecond: 100 },
      'data/trades': { capacity: 5, refillPerSecond: 10 },
    },
    defaultLimit: { capacity: 10, refillPerSecond: 5 },
  });
  const onRetry = (n: RetryNotice): void => log.debug({ url: n.url, attempt: n.attempt, delayMs: n.delayMs, error: n.error.message }, 'http retry');
  const http = (baseUrl: string, maxAttempts: number): HttpClient =>
    new HttpClient({ baseUrl, clock, random, rateLimiter: limiter, timeoutMs: live.httpTimeoutMs, retry: { maxAttempts }, onRetry });
  const gamma = http(live.gammaUrl, 3);
  const clob = http(live.clobUrl, 3);
  const data = http(live.dataUrl, 3);
  const web = http(live.newsapiUrl, 2);

  const records$ = new Subject<ReplayRecord>();
  const feed = (record: ReplayRecord): void => {
    try {
      deps.recorder?.write(record);
      deps.onRecord?.(record);
      // Every frame as received: under one key, so one partition keeps the receive order.
      publishRawFrame(bus, record);
      records$.next(record);
    } catch (err) {
      // A failing downstream must not take the sources down with it.
      feedMetrics.sourceErrors.labels('ingest').inc();
      log.error({ err }, 'record handling failed');
    }
  };
  const emitFrame = (frame: string, recvTs: number): void => feed({ kind: 'frame', recvTs, frame });
  const deadLetter = (d: DeadLetter): void => {
    metrics.deadLetters.labels(d.source).inc();
    bus.publish('dlq.ingest', d.source, d);
  };
  const sourceError = (source: string) => (err: unknown) => {
    feedMetrics.sourceErrors.labels(source).inc();
    log.warn({ source, error: err instanceof Error ? err.message : String(err) }, 'live source failed; retrying next poll');
  };

  subs.add(ingestPipeline(records$, bus, metrics));

  const resync = new BookResync({
    clob,
    scheduler,
    emit: emitFrame,
    cooldownMs: live.resyncCooldownMs,
    onResult: (asset, outcome, detail) => {
      feedMetrics.resyncs.labels(outcome).inc();
      if (outcome === 'failed' || outcome === 'invalid') log.warn({ asset, outcome, detail }, 'book resync');
      else log.debug({ asset, outcome, detail }, 'book resync');
    },
  });

  const onStatus = (s: MarketChannelStatus): void => {
    if (s.type === 'ping') {
      feedMetrics.pings.inc();
      return;
    }
    if (s.type === 'closed') {
      feedMetrics.reconnects.inc();
      log.warn({ connection: s.connection, reason: s.reason, retryInMs: s.retryInMs }, 'market channel connection lost');
      return;
    }
    log.info({ connection: s.connection, assets: s.assets.length, reconnect: s.reconnect }, 'market channel subscribed');
    // After a gap the server re-sends snapshots (fact 6); REST makes sure of it (hash compare skips the same book).
    if (s.reconnect) resync.request(s.assets);
  };
  const client = new MarketChannelClient({
    url: live.wsUrl,
    scheduler,
    random,
    maxAssetsPerConnection: live.assetsPerConnection,
    timing: {
      pingIntervalMs: live.pingIntervalMs,
      pongTimeoutMs: live.pongTimeoutMs,
      dataTimeoutMs: live.dataTimeoutMs,
      backoff: { baseDelayMs: live.reconnectBaseMs, maxDelayMs: live.reconnectMaxMs },
    },
    onFrame: (frame, recvTs) => {
      feedMetrics.frames.inc();
      emitFrame(frame, recvTs);
    },
    onStatus,
    onCallbackError: (err) => log.error({ err }, 'market channel callback failed'),
  });

  // Gaps: the rebuilt book disagrees with the feed's top of book, is crossed, or waits for a snapshot.
  const books$ = bus.topic('pm.book');
  subs.add(
    books$.subscribe((u) => {
      resync.noteUpdate(u.assetId, u.kind, u.hash, u.ts);
    }),
  );
  subs.add(
    books$
      .pipe(
        orderBook({ maxAssets: config.book.maxAssets }),
        filter((c) => BOOK_GAP.has(c.status)),
      )
      .subscribe((c) => resync.request([c.update.assetId])),
  );
  let stale = 0;
  subs.add(
    books$.pipe(feedStaleness({ staleAfterMs: live.feedStaleMs, checkEveryMs: live.feedStaleCheckMs, scheduler })).subscribe((e) => {
      stale += e.action === 'trip' ? 1 : -1;
      feedMetrics.staleAssets.set(stale);
      if (e.action === 'trip') feedMetrics.staleTrips.inc();
      bus.publish('risk.event', e.market, e);
    }),
  );

  const discovery = new GammaMarketDiscovery({
    gamma,
    now: () => scheduler.now(),
    signal: abort.signal,
    filters: {
      minVolumeUsd: live.minVolumeUsd,
      minLiquidityUsd: live.minLiquidityUsd,
      maxEndDays: live.maxEndDays,
      tagIds: live.tagIds,
      negRisk: live.negRisk,
      maxMarkets: live.maxMarkets,
    },
  });
  subs.add(bus.topic('pm.resolution').subscribe((r) => discovery.noteResolved(r.market)));

  const refreshMarkets = async (): Promise<void> => {
    const result = await discovery.refresh();
    for (const record of result.records) feed(record);
    const { added, removed } = client.setAssets(result.assets);
    for (const id of removed) resync.forget(id);
    feedMetrics.subscribedAssets.set(result.assets.length);
    if (added.length > 0 || removed.length > 0 || result.resolved.length > 0) {
      log.info({ markets: result.markets, assets: result.assets.length, added: added.length, removed: removed.length, resolved: result.resolved.length }, 'markets refreshed');
    }
  };

  const linker = new MarketLinker();
  subs.add(bus.topic('pm.market.meta').subscribe((m) => linker.add(m.market, m.question)));
  subs.add(bus.topic('pm.resolution').subscribe((r) => linker.remove(r.market)));
  const news = new NewsPoller({
    http: web,
    feeds: live.newsFeeds,
    ...(live.newsapiKey === '' ? {} : { newsapi: { url: live.newsapiUrl, key: live.newsapiKey, query: live.newsapiQuery } }),
    linker,
    now: () => scheduler.now(),
    signal: abort.signal,
    onItem: (item) => {
      feedMetrics.newsItems.inc();
      bus.publish('news.item', item.id, item);
    },
    onDeadLetter: deadLetter,
    onError: (source, err) => sourceError(`news ${source}`)(err),
  });

  const wallets = new WalletTradesPoller({
    data,
    minCashUsd: live.whaleMinUsd,
    wallets: live.wallets,
    now: () => scheduler.now(),
    signal: abort.signal,
    onTrade: (t) => {
      feedMetrics.walletTrades.inc();
      bus.publish('pm.wallet.trade', t.market, t);
    },
    onDeadLetter: deadLetter,
    onError: (stream, err) => sourceError(`data-api ${stream}`)(err),
  });

  return {
    client,
    resync,
    wallets,
    news,
    feedMetrics,
    refreshMarkets,
    async start() {
      try {
        await refreshMarkets();
      } catch (err) {
        throw networkUnreachable(err, live.gammaUrl, 'POLYMARKET_GAMMA_URL');
      }
      subs.add(pollLoop(scheduler, live.marketRefreshMs, refreshMarkets, sourceError('gamma'), live.marketRefreshMs));
      if (live.bookAuditMs > 0) {
        subs.add(pollLoop(scheduler, live.bookAuditMs, async () => resync.request(client.assets()), sourceError('book-audit'), live.bookAuditMs));
      }
      if (wallets.streamCount > 0) subs.add(pollLoop(scheduler, live.walletPollMs, () => wallets.poll(), sourceError('data-api')));
      if (news.sourceCount > 0) subs.add(pollLoop(scheduler, live.newsPollMs, () => news.poll(), sourceError('news')));
      log.info(
        { ws: live.wsUrl, gamma: live.gammaUrl, clob: live.clobUrl, data: live.dataUrl, walletStreams: wallets.streamCount, newsSources: news.sourceCount },
        'live ingest started',
      );
    },
    stop() {
      abort.abort(new Error('live ingest stopped'));
      subs.unsubscribe();
      client.stop();
      resync.stop();
      records$.complete();
    },
  };
}
