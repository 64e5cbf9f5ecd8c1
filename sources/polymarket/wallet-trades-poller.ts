/**
 * Whale tracking from the Data API (POLYMARKET.md §0 fact 14, B.6 "Whale-tracking recipe"):
 * - large trades: `GET /trades?filterType=CASH&filterAmount=<usd>&takerOnly=false&limit=500`;
 * - each tracked wallet: `GET /trades?user=<wallet>&takerOnly=false&limit=500`.
 * Each poll reads the newest page; while a page is full and all of it is new, the next one is
 * read (`offset` += `limit`, offset capped at 10,000 by the API) up to `maxPages`, so a burst
 * between polls is not lost. The first poll of a stream reads one page only (no backfill).
 * Rows are deduplicated on (transactionHash, asset, wallet, side, price, size) plus the row's
 * occurrence among identical rows of its page ("one tx can settle several fills", B.6), with a
 * bounded memory of ids. New rows are emitted oldest first. Requests go through runtime/http
 * under the `/trades` limit (200 per 10 s, B.5 "Rate limits"); a failed request ends that stream's
 * poll and the next poll tries again.
 */
import type { DeadLetter } from '../../schemas/dead-letter.js';
import type { WalletTrade } from '../../schemas/wallet-trade.js';
import type { HttpClient, QueryValue } from '../../runtime/http/http-client.js';
import { parseWalletTradeRow } from './wallet-trade-row.js';

export const DATA_API_DLQ_SOURCE = 'ingest.data-api';
const OFFSET_CAP = 10_000;

export interface WalletTradesPollerOptions {
  readonly data: HttpClient;
  /** Large-trade threshold in USD (CASH); 0 disables the large-trade stream. */
  readonly minCashUsd: number;
  readonly wallets: readonly string[];
  readonly now: () => number;
  readonly onTrade: (trade: WalletTrade) => void;
  readonly onDeadLetter: (dead: DeadLetter) => void;
  readonly onError?: (stream: string, err: unknown) => void;
  readonly pageLimit?: number;
  readonly maxPages?: number;
  readonly maxRemembered?: number;
  readonly signal?: AbortSignal;
}

interface Stream {
  readonly name: string;
  readonly query: Record<string, QueryValue>;
  polled: boolean;
}

export class WalletTradesPoller {
  private readonly streams: Stream[] = [];
  private readonly seen = new Set<string>();
  private readonly pageLimit: number;
  private readonly maxPages: number;
  private readonly maxRemembered: number;

  constructor(private readonly options: WalletTradesPollerOptions) {
    this.pageLimit = options.pageLimit ?? 500;
    this.maxPages = options.maxPages ?? 5;
    this.maxRemembered = options.maxRemembered ?? 100_000;
    if (options.minCashUsd > 0) {
      this.streams.push({ name: 'large', query: { filterType: 'CASH', filterAmount: options.minCashUsd, takerOnly: false }, polled: false });
    }
    for (const wallet of new Set(options.wallets.map((w) => w.toLowerCase()))) {
      this.streams.push({ name: `wallet:${wallet}`, query: { user: wallet, takerOnly: false }, polled: false });
    }
  }

  get streamCount(): number {
    return this.streams.length;
  }

  /** Polls every stream once; failures are reported per stream and do not stop the others. */
  async poll(): Promise<void> {
    for (const stream of this.streams) {
      if (this.options.signal?.aborted === true) return;
      try {
        await this.pollStream(stream);
      } catch (err) {
        this.options.onError?.(stream.name, err);
      }
    }
  }

  private async pollStream(stream: Stream): Promise<void> {
    const fresh: Array<Omit<WalletTrade, 'id'> & { id: string }> = [];
    const pages = stream.polled ? this.maxPages : 1;
    for (let page = 0, offset = 0; page < pages && offset <= OFFSET_CAP; page++, offset += this.pageLimit) {
      const body = await this.options.data.getJson('/trades', {
        query: { ...stream.query, limit: this.pageLimit, offset: offset === 0 ? undefined : offset },
        rateLimitKey: 'data/trades',
        ...(this.options.signal === undefined ? {} : { signal: this.options.signal }),
      });
      if (!Array.isArray(body)) {
        this.options.onDeadLetter({ source: DATA_API_DLQ_SOURCE, reason: '/trades: expected an array of trades', raw: JSON.stringify(body).slice(0, 2_000), ts: this.options.now() });
        break;
      }
      let known = 0;
      const occurrences = new Map<string, number>();
      for (const row of body) {
        const parsed = parseWalletTradeRow(row);
        if (!parsed.ok) {
          const id = `dead:${JSON.stringify(row)}`;
          if (!this.seen.has(id)) {
            this.remember(id);
            this.options.onDeadLetter({ source: DATA_API_DLQ_SOURCE, reason: parsed.reason, raw: JSON.stringify(row) ?? String(row), ts: this.options.now() });
          }
          continue;
        }
        const n = (occurrences.get(parsed.key) ?? 0) + 1;
        occurrences.set(parsed.key, n);
        const id = `${parsed.key}#${n}`;
        if (this.seen.has(id)) {
          known++;
          continue;
        }
        this.remember(id);
        fresh.push({ id, ...parsed.trade });
      }
      if (body.length < this.pageLimit || known > 0) break;
    }
    stream.polled = true;
    fresh.sort((a, b) => a.ts - b.ts);
    for (const trade of fresh) this.options.onTrade(trade);
  }

  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > this.maxRemembered) {
      // Sets iterate in insertion order: drop the oldest tenth.
      let drop = Math.ceil(this.maxRemembered / 10);
      for (const old of this.seen) {
        if (drop-- <= 0) break;
        this.seen.delete(old);
      }
    }
  }
}
