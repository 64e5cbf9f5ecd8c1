/**
 * The last `capacity` ids seen, in arrival order: what a consumer dedupes redelivered records by
 * (a restarted upstream re-publishes the outputs of input it had not committed, with the same ids).
 * Memory is bounded: past `capacity` the oldest id is forgotten first.
 */
export class RecentIds {
  private readonly ids = new Set<string>();
  private readonly ring: (string | undefined)[];
  private next = 0;

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`RecentIds: capacity must be a positive integer, not ${capacity}`);
    this.ring = new Array<string | undefined>(capacity);
  }

  /** True when `id` was seen (among the last `capacity`); otherwise remembers it and returns false. */
  seen(id: string): boolean {
    if (this.ids.has(id)) return true;
    const evicted = this.ring[this.next];
    if (evicted !== undefined) this.ids.delete(evicted);
    this.ring[this.next] = id;
    this.next = (this.next + 1) % this.capacity;
    this.ids.add(id);
    return false;
  }

  get size(): number {
    return this.ids.size;
  }

  clear(): void {
    this.ids.clear();
    this.ring.fill(undefined);
    this.next = 0;
  }
}

/** The dedupe id of a record: its `id` field when it has one (derived events, trades, news); else none. */
export function recordId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const id = (value as { id?: unknown }).id;
  return typeof id === 'string' && id !== '' ? id : undefined;
}
