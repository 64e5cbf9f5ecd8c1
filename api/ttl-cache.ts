/**
 * A small cache for heavy reads. An entry is fresh for `ttlMs` of the injected clock; the key
 * must name everything the value depends on (the route, its query, the settings version), so a
 * settings change is a new key and never serves a stale value.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { readonly value: V; readonly expires: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly maxEntries = 256,
  ) {}

  async get(key: string, load: () => Promise<V>): Promise<{ value: V; cached: boolean }> {
    const t = this.now();
    const hit = this.entries.get(key);
    if (hit !== undefined && t < hit.expires) return { value: hit.value, cached: true };
    const value = await load();
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      for (const [k, e] of this.entries) if (e.expires <= t) this.entries.delete(k);
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    }
    if (this.ttlMs > 0) this.entries.set(key, { value, expires: t + this.ttlMs });
    return { value, cached: false };
  }
}
