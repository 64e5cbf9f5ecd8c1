/**
 * A bounded set of recently seen ids, least recently used forgotten first (a Map keeps insertion
 * order; touching an id re-inserts it at the end). Memory stays at `capacity` ids.
 */
export class RecentIds {
  private readonly ids = new Map<string, true>();

  constructor(readonly capacity: number) {
    if (!(Number.isInteger(capacity) && capacity >= 1)) throw new RangeError(`RecentIds: capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.ids.size;
  }

  /** True when `id` was seen (and marks it recent). */
  has(id: string): boolean {
    if (!this.ids.has(id)) return false;
    this.ids.delete(id);
    this.ids.set(id, true);
    return true;
  }

  add(id: string): void {
    this.ids.delete(id);
    this.ids.set(id, true);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.keys().next();
      if (oldest.done !== true) this.ids.delete(oldest.value);
    }
  }

  delete(id: string): void {
    this.ids.delete(id);
  }
}
