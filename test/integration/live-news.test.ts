/**
 * News against local feeds (127.0.0.1): RSS and Atom feeds and NewsAPI with a key from env,
 * dedupe by URL and content, links to markets by question keywords, sentiment, and the key never
 * in a log line or a URL.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { addMarket, liveHarness, testMarket, type LiveHarness } from '../helpers/live-harness.js';
import { until } from '../helpers/virtual-drive.js';

let h: LiveHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const RSS = `<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<item><title>Fed cuts rates; Powell warns of recession risk</title><link>https://news.example/a?utm_source=x</link>
<description>&lt;p&gt;Markets fell after the Federal Reserve decision.&lt;/p&gt;</description><pubDate>Fri, 01 May 2026 10:00:00 GMT</pubDate></item>
<item><title>Lakers beat Celtics to win the NBA title</title><link>https://news.example/b</link><description>A strong finish.</description>
<pubDate>Fri, 01 May 2026 11:00:00 GMT</pubDate></item>
</channel></rss>`;

const ATOM = `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Atom desk</title>
<entry><title>Lakers beat Celtics to win the NBA title</title><link rel="alternate" href="https://mirror.example/lakers"/>
<summary>A strong finish.</summary><updated>2026-05-01T11:05:00Z</updated></entry>
<entry><title type="html">Bitcoin rally stalls</title><link href="https://news.example/a#comments"/><updated>2026-05-01T11:10:00Z</updated></entry>
</feed>`;

describe('live news', () => {
  it('reads RSS, Atom and NewsAPI, dedupes, links to markets and scores sentiment; the key stays secret', async () => {
    const logs: string[] = [];
    const logStream = new Writable({ write: (chunk: Buffer, _enc, done) => (logs.push(chunk.toString()), done()) });
    h = await liveHarness({
      markets: 0,
      logStream,
      live: (fake) => ({
        newsapiKey: 'sekret-key-123',
        newsFeeds: ['/feeds/rss.xml', '/feeds/atom.xml', '/feeds/broken.xml', '/feeds/missing.xml'].map((p) => `${fake.httpUrl}${p}`),
      }),
    });
    addMarket(h.fake, 1, { question: 'Will the Fed cut rates in May 2026?' });
    addMarket(h.fake, 2, { question: 'Will the Lakers win the 2026 NBA Finals?' });
    h.fake.feeds.set('/feeds/rss.xml', { contentType: 'application/rss+xml', body: RSS });
    h.fake.feeds.set('/feeds/atom.xml', { contentType: 'application/atom+xml', body: ATOM });
    h.fake.feeds.set('/feeds/broken.xml', { contentType: 'text/html', body: '<html><body>nope</body></html>' });
    h.fake.newsapi = {
      key: 'sekret-key-123',
      body: {
        status: 'ok',
        articles: [
          { source: { name: 'Reuters' }, title: 'Fed rate cut not expected to boost growth', description: '', url: 'https://reuters.example/fed', publishedAt: '2026-05-01T12:00:00Z' },
          { source: { name: 'X' }, title: '[Removed]', url: 'https://removed.example/' },
        ],
      },
    };
    await h.live.start();
    await until(() => h!.got.meta.length === 2, 'market meta');
    await h.live.news.poll();
    const fed = testMarket(1).conditionId;
    const lakers = testMarket(2).conditionId;
    expect(h.got.news.map((n) => [n.title, n.source, n.url, n.markets])).toEqual([
      ['Fed cuts rates; Powell warns of recession risk', 'Wire', 'https://news.example/a', [fed]],
      ['Lakers beat Celtics to win the NBA title', 'Wire', 'https://news.example/b', [lakers]],
      // Atom: the Lakers story again (same content, other URL) and news.example/a#comments (same URL) are dropped.
      ['Fed rate cut not expected to boost growth', 'Reuters', 'https://reuters.example/fed', [fed]],
    ]);
    expect(h.got.news[0]).toMatchObject({ publishedTs: Date.UTC(2026, 4, 1, 10) });
    expect(h.got.news[0]!.sentiment).toBeLessThan(0); // cuts, warns, recession, risk, fell
    expect(h.got.news[1]!.sentiment).toBeGreaterThan(0); // beat, win, strong
    expect(h.got.news[2]!.sentiment).toBeLessThan(0); // "not ... boost growth"
    expect(h.got.news[0]!.id).toMatch(/^[0-9a-f]{32}$/);
    expect(h.got.dead.map((d) => d.source)).toEqual(['ingest.news']); // the HTML page
    // A second poll publishes nothing new.
    await h.live.news.poll();
    expect(h.got.news).toHaveLength(3);
    // The key went in a header only, and never into a log line.
    const api = h.fake.requests.filter((r) => r.path.startsWith('/v2/everything'));
    expect(api).toHaveLength(2);
    expect(api[0]!.path).not.toContain('sekret');
    expect(api[0]!.headers['x-api-key']).toBe('sekret-key-123');
    expect(logs.join('')).not.toContain('sekret');
    expect(logs.join('')).toContain('missing.xml'); // the 404 feed is reported and skipped
  });
});
