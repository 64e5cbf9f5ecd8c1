import { describe, expect, it } from 'vitest';
import { parseFeed } from './feed-entries.js';

describe('parseFeed', () => {
  it('reads RSS 2.0 items', () => {
    const r = parseFeed(
      `<rss version="2.0"><channel><title>Desk</title><item><title>A &amp; B</title><link>https://x.example/1</link>
       <description><![CDATA[<b>Bold</b> text]]></description><pubDate>Tue, 05 May 2026 09:30:00 GMT</pubDate></item>
       <item><title>No link</title></item></channel></rss>`,
      'fallback',
    );
    expect(r).toEqual({ ok: true, entries: [{ url: 'https://x.example/1', title: 'A & B', summary: 'Bold text', publishedTs: Date.UTC(2026, 4, 5, 9, 30), source: 'Desk' }] });
  });

  it('reads Atom entries, preferring the alternate link', () => {
    const r = parseFeed(
      `<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title><entry><title>T</title>
       <link rel="self" href="https://x.example/self"/><link rel="alternate" href="https://x.example/a"/>
       <content type="html">&lt;p&gt;Body&lt;/p&gt;</content><updated>2026-05-05T10:00:00Z</updated></entry></feed>`,
      'fallback',
    );
    expect(r).toEqual({ ok: true, entries: [{ url: 'https://x.example/a', title: 'T', summary: 'Body', publishedTs: Date.UTC(2026, 4, 5, 10), source: 'Atom' }] });
  });

  it('refuses what is not a feed', () => {
    expect(parseFeed('<html><body/></html>', 'f')).toEqual({ ok: false, reason: 'neither an RSS channel nor an Atom feed' });
    expect(parseFeed('', 'f').ok).toBe(false);
  });
});
