import { createHash } from 'node:crypto';

/**
 * Remembers articles already published, by normalised URL and by content hash (the same story
 * syndicated under two URLs, or one URL re-listed with tracking parameters), up to `max` of each.
 */
export class NewsDedupe {
  private readonly urls = new Set<string>();
  private readonly contents = new Set<string>();

  constructor(private readonly max = 50_000) {}

  /** True (and remembered) when neither the URL nor the content was seen before. */
  admit(url: string, title: string, summary: string): boolean {
    const u = normaliseUrl(url);
    const c = contentHash(title, summary);
    if (this.urls.has(u) || this.contents.has(c)) return false;
    remember(this.urls, u, this.max);
    remember(this.contents, c, this.max);
    return true;
  }
}

/** Lower-case scheme and host, no fragment, no `utm_*`/`fbclid`/`gclid`, no trailing slash. */
export function normaliseUrl(url: string): string {
  try {
    const u = new URL(url.trim());
    u.hash = '';
    for (const key of [...u.searchParams.keys()]) if (/^(utm_|fbclid$|gclid$|mc_)/i.test(key)) u.searchParams.delete(key);
    if (u.pathname.length > 1 && u.pathname.endsWith('/')) u.pathname = u.pathname.slice(0, -1);
    return u.toString();
  } catch {
    return url.trim();
  }
}

/** sha256 of the lower-cased, whitespace-collapsed title and summary. */
export function contentHash(title: string, summary: string): string {
  const norm = (s: string): string => s.toLowerCase().replace(/\s+/g, ' ').trim();
  return createHash('sha256').update(`${norm(title)}\n${norm(summary)}`).digest('hex');
}

function remember(set: Set<string>, key: string, max: number): void {
  set.add(key);
  if (set.size <= max) return;
  let drop = Math.ceil(max / 10);
  for (const old of set) {
    if (drop-- <= 0) break;
    set.delete(old);
  }
}
