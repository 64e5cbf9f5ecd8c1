import type { MarketId } from './ids.js';

/** Topic `news.item` (key: url hash): a news article linked to the markets it mentions. */
export interface NewsItem {
  readonly id: string;
  readonly url: string;
  readonly title: string;
  readonly source: string;
  readonly publishedTs: number;
  readonly recvTs: number;
  /** Lexicon sentiment in [-1, 1]. */
  readonly sentiment: number;
  readonly markets: readonly MarketId[];
}
