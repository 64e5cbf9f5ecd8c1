import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Subscription } from 'rxjs';
import type { L2Book } from '../operators/l2-book.js';
import { applyBookUpdate } from '../operators/order-book.js';
import type { WalletStanding } from '../operators/whale-wallets.js';
import type { Bus } from '../runtime/bus.js';
import type { AssetId, MarketId } from '../schemas/ids.js';
import type { MarketMeta } from '../schemas/market-meta.js';
import type { TopicName, TopicTypes } from '../schemas/topics.js';
import { RecordLog } from './record-log.js';

/** Topics the API lists. */
export const LISTED_TOPICS = [
  'prediction.v1',
  'signal.v1',
  'order.v1',
  'fill.v1',
  'portfolio.v1',
  'risk.event',
  'pm.resolution',
  'arbitrage.v1',
  'whale.v1',
] as const satisfies readonly TopicName[];
export type ListedTopic = (typeof LISTED_TOPICS)[number];

type Logs = { readonly [K in ListedTopic]: RecordLog<TopicTypes[K]> };

/**
 * What the API reads about a run, kept in memory: the listed topics (bounded logs), markets, the
 * live books (top of book) and wallet standings. Fed either from a running bus (embedded: the
 * values are the ones the run publishes) or from a finished run's JSONL files.
 */
export class RunReadModel {
  readonly logs: Logs;
  readonly markets = new Map<MarketId, MarketMeta>();
  readonly wallets = new Map<string, WalletStanding>();
  private readonly books = new Map<AssetId, L2Book>();
  private subscription: Subscription | undefined;
  private _lastBookRecvTs: number | undefined;
  /** Where the records came from. */
  source: 'bus' | 'files' | 'none' = 'none';

  constructor(maxRecordsPerTopic: number) {
    const log = <K extends ListedTopic>(): RecordLog<TopicTypes[K]> => new RecordLog<TopicTypes[K]>(maxRecordsPerTopic);
    this.logs = Object.fromEntries(LISTED_TOPICS.map((t) => [t, log()])) as unknown as Logs;
  }

  /** Receive time of the last book update seen on the bus (feed freshness). */
  get lastBookRecvTs(): number | undefined {
    return this._lastBookRecvTs;
  }

  /** True while subscribed to a running bus. */
  get attached(): boolean {
    return this.subscription !== undefined && !this.subscription.closed;
  }

  /** Subscribes to a running bus; unsubscribe the result (or `detach`) to stop. */
  attach(bus: Bus): Subscription {
    const sub = new Subscription();
    for (const topic of LISTED_TOPICS) sub.add(bus.topic(topic).subscribe((r) => this.add(topic, r)));
    sub.add(bus.topic('pm.market.meta').subscribe((m) => this.markets.set(m.market, m)));
    sub.add(
      bus.topic('pm.book').subscribe((u) => {
        applyBookUpdate(this.books, u);
        this._lastBookRecvTs = u.recvTs;
      }),
    );
    this.subscription = sub;
    this.source = 'bus';
    return sub;
  }

  detach(): void {
    this.subscription?.unsubscribe();
  }

  add<K extends ListedTopic>(topic: K, record: TopicTypes[K]): void {
    (this.logs[topic] as RecordLog<TopicTypes[K]>).append(record);
  }

  setWallet(standing: WalletStanding): void {
    this.wallets.set(standing.wallet, standing);
  }

  /** Top of book of an asset seen on the bus, or undefined. */
  top(asset: AssetId): { bestBid: number; bestAsk: number; bidDepth: number; askDepth: number; ts: number; ready: boolean } | undefined {
    const b = this.books.get(asset);
    if (b === undefined) return undefined;
    return { bestBid: b.bestBid(), bestAsk: b.bestAsk(), bidDepth: b.depthTopLevels('bid', 1), askDepth: b.depthTopLevels('ask', 1), ts: b.lastUpdateTs, ready: b.ready };
  }

  /** Loads `<dir>/<topic>.jsonl` of every listed topic present (and `pm.market.meta.jsonl`). */
  loadRunDir(dir: string): void {
    for (const topic of LISTED_TOPICS) for (const r of readJsonl<TopicTypes[typeof topic]>(join(dir, `${topic}.jsonl`))) this.add(topic, r);
    for (const m of readJsonl<MarketMeta>(join(dir, 'pm.market.meta.jsonl'))) this.markets.set(m.market, m);
    this.source = 'files';
  }
}

function readJsonl<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);
}
