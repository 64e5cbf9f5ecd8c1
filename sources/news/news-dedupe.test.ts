import { describe, expect, it } from 'vitest';
import { NewsDedupe, normaliseUrl } from './news-dedupe.js';

describe('news dedupe', () => {
  it('normalises URLs: host case, fragment, tracking parameters, trailing slash', () => {
    expect(normaliseUrl('HTTPS://News.Example/a/?utm_source=x&id=3#top')).toBe('https://news.example/a?id=3');
    expect(normaliseUrl('not a url ')).toBe('not a url');
  });

  it('admits an article once by URL and once by content', () => {
    const d = new NewsDedupe();
    expect(d.admit('https://a.example/1', 'Title', 'Body')).toBe(true);
    expect(d.admit('https://a.example/1?utm_medium=rss', 'Other', 'Other')).toBe(false);
    expect(d.admit('https://b.example/2', ' title ', 'BODY')).toBe(false);
    expect(d.admit('https://b.example/2', 'New', 'Story')).toBe(true);
  });
});
