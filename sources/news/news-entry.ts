/** One article as a feed lists it, before dedupe, linking and sentiment. */
export interface NewsEntry {
  readonly url: string;
  readonly title: string;
  readonly summary: string;
  /** Publication time (ms), undefined when the feed gives none or an unreadable one. */
  readonly publishedTs: number | undefined;
  /** The feed or publisher name. */
  readonly source: string;
}
