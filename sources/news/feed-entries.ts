/**
 * RSS 2.0 (`rss > channel > item`: `title`, `link`, `description`, `pubDate` RFC 822, `guid`) and
 * Atom 1.0 (`feed > entry`: `title`, `link[@href]` preferring `rel="alternate"`, `summary` or
 * `content`, `published` or `updated` ISO 8601) -> NewsEntry[]. Parsed with fast-xml-parser, which
 * never fetches external entities; HTML in titles and summaries is stripped to text. Entries
 * without a link or a title are skipped; a document that is neither format is refused with a reason.
 */
import { XMLParser } from 'fast-xml-parser';
import type { NewsEntry } from './news-entry.js';

export type FeedParseResult = { ok: true; entries: NewsEntry[] } | { ok: false; reason: string };

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  textNodeName: '#text',
  processEntities: true,
  htmlEntities: true,
  isArray: (name) => name === 'item' || name === 'entry' || name === 'link',
});

type Node = Record<string, unknown>;

export function parseFeed(xml: string, fallbackSource: string): FeedParseResult {
  let doc: Node;
  try {
    doc = parser.parse(xml) as Node;
  } catch (err) {
    return { ok: false, reason: `not XML: ${err instanceof Error ? err.message.slice(0, 100) : String(err)}` };
  }
  const rss = asNode(doc.rss)?.channel ?? asNode(doc['rdf:RDF']);
  if (rss !== undefined) {
    const channel = asNode(rss) ?? {};
    const source = text(channel.title) || fallbackSource;
    const items = listOf(channel.item ?? asNode(doc['rdf:RDF'])?.item);
    return { ok: true, entries: items.flatMap((item) => rssEntry(item, source)) };
  }
  const feed = asNode(doc.feed);
  if (feed !== undefined) {
    const source = text(feed.title) || fallbackSource;
    return { ok: true, entries: listOf(feed.entry).flatMap((entry) => atomEntry(entry, source)) };
  }
  return { ok: false, reason: 'neither an RSS channel nor an Atom feed' };
}

function rssEntry(item: Node, source: string): NewsEntry[] {
  const links = listOf(item.link).map(text);
  const guid = asNode(item.guid);
  const guidLink = guid !== undefined && guid['@_isPermaLink'] !== 'false' ? text(guid) : typeof item.guid === 'string' ? item.guid : '';
  const url = (links.find((l) => /^https?:\/\//i.test(l)) ?? (/^https?:\/\//i.test(guidLink) ? guidLink : '')).trim();
  const title = text(item.title);
  if (url === '' || title === '') return [];
  return [{ url, title, summary: text(item.description ?? item['content:encoded']), publishedTs: dateOf(item.pubDate ?? item['dc:date']), source }];
}

function atomEntry(entry: Node, source: string): NewsEntry[] {
  const links = listOf(entry.link);
  const alternate = links.find((l) => l['@_rel'] === undefined || l['@_rel'] === 'alternate') ?? links[0];
  const url = typeof alternate?.['@_href'] === 'string' ? alternate['@_href'].trim() : '';
  const title = text(entry.title);
  if (url === '' || title === '') return [];
  return [{ url, title, summary: text(entry.summary ?? entry.content), publishedTs: dateOf(entry.published ?? entry.updated), source }];
}

function asNode(v: unknown): Node | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Node) : undefined;
}

/** Arrays of element nodes; a bare string element becomes `{ '#text': s }`. */
function listOf(v: unknown): Node[] {
  const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  return list.map((x) => (typeof x === 'object' && x !== null ? (x as Node) : { '#text': String(x) }));
}

/** Text content, HTML tags removed and whitespace collapsed. */
function text(v: unknown): string {
  let raw = '';
  if (typeof v === 'string' || typeof v === 'number') raw = String(v);
  else if (asNode(v) !== undefined) raw = text((v as Node)['#text']);
  return raw
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function dateOf(v: unknown): number | undefined {
  const t = Date.parse(text(v));
  return Number.isFinite(t) ? t : undefined;
}
