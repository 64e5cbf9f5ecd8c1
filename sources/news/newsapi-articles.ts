/**
 * NewsAPI (`GET /v2/everything?q=...`, header `X-Api-Key`) answers `{"status":"ok","articles":
 * [{"source":{"name"},"title","description","url","publishedAt" (ISO 8601),"content"}]}` or
 * `{"status":"error","code","message"}`. Articles without a URL or title are skipped;
 * NewsAPI's "[Removed]" placeholders too.
 */
import type { NewsEntry } from './news-entry.js';

export type NewsApiResult = { ok: true; entries: NewsEntry[] } | { ok: false; reason: string };

export function parseNewsApiArticles(body: unknown): NewsApiResult {
  if (typeof body !== 'object' || body === null) return { ok: false, reason: 'NewsAPI: expected an object' };
  const b = body as { status?: unknown; message?: unknown; code?: unknown; articles?: unknown };
  if (b.status !== 'ok') return { ok: false, reason: `NewsAPI: ${String(b.code ?? b.status)}: ${String(b.message ?? '').slice(0, 200)}` };
  if (!Array.isArray(b.articles)) return { ok: false, reason: 'NewsAPI: articles missing' };
  const entries: NewsEntry[] = [];
  for (const a of b.articles as unknown[]) {
    if (typeof a !== 'object' || a === null) continue;
    const r = a as Record<string, unknown>;
    const url = typeof r.url === 'string' ? r.url.trim() : '';
    const title = typeof r.title === 'string' ? r.title.trim() : '';
    if (!/^https?:\/\//i.test(url) || title === '' || title === '[Removed]') continue;
    const published = typeof r.publishedAt === 'string' ? Date.parse(r.publishedAt) : NaN;
    const source = typeof r.source === 'object' && r.source !== null && typeof (r.source as { name?: unknown }).name === 'string' ? (r.source as { name: string }).name : 'NewsAPI';
    entries.push({
      url,
      title,
      summary: typeof r.description === 'string' ? r.description : '',
      publishedTs: Number.isFinite(published) ? published : undefined,
      source,
    });
  }
  return { ok: true, entries };
}
