/**
 * News source: polls RSS/Atom feeds (feed-entries.ts) and, when a key is configured, NewsAPI
 * (newsapi-articles.ts; the key travels in the `X-Api-Key` header, never in a URL or a log),
 * through runtime/http. Each new article (NewsDedupe: URL and content hash) becomes a `news.item`
 * with its event time (`publishedTs`, the receive time when the feed gives none), the markets it
 * mentions (MarketLinker) and its lexicon sentiment (finance-sentiment.ts). A feed that fails or
 * is not a feed is reported and skipped; the others go on.
 */
import { createHash } from 'node:crypto';
import type { DeadLetter } from '../../schemas/dead-letter.js';
import type { NewsItem } from '../../schemas/news-item.js';
import type { HttpClient } from '../../runtime/http/http-client.js';
import { parseFeed } from './feed-entries.js';
import { financeSentiment } from './finance-sentiment.js';
import type { MarketLinker } from './market-linker.js';
import { NewsDedupe, normaliseUrl } from './news-dedupe.js';
import type { NewsEntry } from './news-entry.js';
import { parseNewsApiArticles } from './newsapi-articles.js';

export const NEWS_DLQ_SOURCE = 'ingest.news';

export interface NewsApiSettings {
  readonly url: string;
  readonly key: string;
  readonly query: string;
}

export interface NewsPollerOptions {
  readonly http: HttpClient;
  readonly feeds: readonly string[];
  readonly newsapi?: NewsApiSettings;
  readonly linker: MarketLinker;
  readonly now: () => number;
  readonly onItem: (item: NewsItem) => void;
  readonly onDeadLetter: (dead: DeadLetter) => void;
  readonly onError?: (source: string, err: unknown) => void;
  readonly signal?: AbortSignal;
}

export class NewsPoller {
  private readonly dedupe = new NewsDedupe();

  constructor(private readonly options: NewsPollerOptions) {}

  get sourceCount(): number {
    return this.options.feeds.length + (this.options.newsapi === undefined ? 0 : 1);
  }

  async poll(): Promise<void> {
    for (const feed of this.options.feeds) {
      if (this.options.signal?.aborted === true) return;
      try {
        const res = await this.options.http.request(feed, { ...this.signal(), headers: { accept: 'application/rss+xml, application/atom+xml, application/xml, text/xml' } });
        const parsed = parseFeed(res.body, hostOf(feed));
        if (!parsed.ok) this.dead(`${feed}: ${parsed.reason}`, res.body);
        else this.publish(parsed.entries);
      } catch (err) {
        this.options.onError?.(feed, err);
      }
    }
    const api = this.options.newsapi;
    if (api !== undefined && api.key !== '' && this.options.signal?.aborted !== true) {
      try {
        const body = await this.options.http.getJson(new URL('/v2/everything', api.url).toString(), {
          ...this.signal(),
          query: { q: api.query, language: 'en', sortBy: 'publishedAt', pageSize: 100 },
          headers: { 'x-api-key': api.key },
        });
        const parsed = parseNewsApiArticles(body);
        if (!parsed.ok) this.dead(parsed.reason, JSON.stringify(body).slice(0, 2_000));
        else this.publish(parsed.entries);
      } catch (err) {
        this.options.onError?.('newsapi', err);
      }
    }
  }

  private publish(entries: readonly NewsEntry[]): void {
    const now = this.options.now();
    // Oldest first, so event time mostly increases.
    const ordered = [...entries].sort((a, b) => (a.publishedTs ?? now) - (b.publishedTs ?? now));
    for (const e of ordered) {
      if (!this.dedupe.admit(e.url, e.title, e.summary)) continue;
      const url = normaliseUrl(e.url);
      const text = `${e.title}. ${e.summary}`;
      this.options.onItem({
        id: createHash('sha256').update(url).digest('hex').slice(0, 32),
        url,
        title: e.title,
        source: e.source,
        publishedTs: e.publishedTs ?? now,
        recvTs: now,
        sentiment: financeSentiment(text),
        markets: this.options.linker.link(text),
      });
    }
  }

  private dead(reason: string, raw: string): void {
    this.options.onDeadLetter({ source: NEWS_DLQ_SOURCE, reason, raw: raw.slice(0, 10_000), ts: this.options.now() });
  }

  private signal(): { signal?: AbortSignal } {
    return this.options.signal === undefined ? {} : { signal: this.options.signal };
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
